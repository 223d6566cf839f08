"""Slow, independent implementations written from the definitions, for the tests and the
benchmarks to compare dal_tf's own against. Not part of the installed package."""
