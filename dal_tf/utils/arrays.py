"""Small NumPy helpers shared by the pure-array modules and the TensorFlow-side ones."""

from __future__ import annotations

import numpy as np


def l2_normalize_rows(x: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length; a zero row stays zero."""
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)
