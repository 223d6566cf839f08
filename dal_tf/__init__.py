"""dal_tf: Deep Association Learning (Chen, Zhu, Gong, BMVC 2018) in TensorFlow 2 / Keras 3."""

import os
import re


def _version() -> str:
    """pyproject.toml's version: read from the file in a source checkout (so it is never stale in an
    editable install), else from the installed package's metadata."""
    pyproject = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "pyproject.toml")
    if os.path.isfile(pyproject):
        with open(pyproject) as handle:
            found = re.search(r'^version\s*=\s*"([^"]+)"', handle.read(), re.M)
        if found:
            return found.group(1)
    from importlib.metadata import version

    return version("dal_tf")


__version__ = _version()
