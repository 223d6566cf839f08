"""Reproduction harness: the paper's tables and figure, and the CPU-scale proxy study."""
