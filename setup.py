"""For tools that look for a setup.py: dal_tf's metadata and dependencies are in pyproject.toml."""

from setuptools import setup

setup()
