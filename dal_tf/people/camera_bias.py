"""Tracklet features with each camera's bias removed (pure NumPy), --debias_cameras.

A camera's light, colour cast and background shift all of its tracklets' features alike, so across
cameras the nearest tracklet can be the one that shares the most of that shift rather than the same
person. As --association=camera_debiased does for the anchors in training (camera-specific feature
normalisation: Song, Park, Lee, "Exploring the Camera Bias of Person Re-identification", ICLR
2025), each l2-normalised feature has its camera's mean subtracted and is normalised again. The
mean is the camera's own tracklets', so it assumes many tracklets per camera, of many people.
"""

from __future__ import annotations

import numpy as np

from dal_tf.utils.arrays import l2_normalize_rows


def debiased(features: np.ndarray, cameras: np.ndarray) -> np.ndarray:
    """[N, D] l2(l2(f) - mean of l2(f) over f's camera); a camera of one tracklet, whose mean is
    the tracklet itself, is left as it is."""
    x = l2_normalize_rows(np.asarray(features, np.float64))
    cameras = np.asarray(cameras)
    shifted = x.copy()
    for camera in np.unique(cameras):
        rows = cameras == camera
        if rows.sum() > 1:
            shifted[rows] -= x[rows].mean(axis=0)
    return l2_normalize_rows(shifted)
