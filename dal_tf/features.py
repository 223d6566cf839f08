"""Tracklet features for evaluation: l2-normalised frames, pooled per tracklet, l2-normalised.

Frames stream through in fixed-size batches and are folded into per-tracklet accumulators, so
memory is bounded by the batch and the [tracklets, D] result whatever the tracklet lengths.
"""

from __future__ import annotations

from typing import Callable

import numpy as np
import tensorflow as tf

from dal_tf import input_pipeline
from dal_tf.datasets.base import TrackletSet

POOLINGS = ("max", "mean")


def l2_normalize_rows(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


class TrackletPooler:
    """Accumulates frame features into per-tracklet max or mean pools."""

    def __init__(self, num_tracklets: int, dim: int, pooling: str):
        if pooling not in POOLINGS:
            raise ValueError(f"pooling {pooling!r} is not one of {', '.join(POOLINGS)}")
        self.pooling = pooling
        fill = -np.inf if pooling == "max" else 0.0
        self.pool = np.full((num_tracklets, dim), fill, np.float32)
        self.count = np.zeros(num_tracklets, np.int64)

    def add(self, frame_features: np.ndarray, owners: np.ndarray):
        """frame_features: [n, D]; owners: [n] tracklet position of each frame."""
        normalized = l2_normalize_rows(frame_features)
        if self.pooling == "max":
            np.maximum.at(self.pool, owners, normalized)
        else:
            np.add.at(self.pool, owners, normalized)
        np.add.at(self.count, owners, 1)

    def result(self) -> np.ndarray:
        if np.any(self.count == 0):
            raise ValueError(f"{int(np.sum(self.count == 0))} tracklets received no frames")
        pooled = self.pool if self.pooling == "max" else self.pool / self.count[:, None]
        return l2_normalize_rows(pooled)


def tracklet_features(
    embed: Callable[[tf.Tensor], tf.Tensor],
    tracklets: TrackletSet,
    *,
    height: int,
    width: int,
    backbone: str,
    batch_size: int = 64,
    pooling: str = "max",
) -> np.ndarray:
    """[len(tracklets), D] features; embed maps a preprocessed image batch to frame features."""
    paths = [f for t in tracklets.tracklets for f in t.frames]
    owners = np.repeat(np.arange(len(tracklets)), [len(t.frames) for t in tracklets.tracklets])
    pooler = None
    start = 0
    for images in input_pipeline.frames_dataset(paths, batch_size, height, width, backbone):
        features = embed(images).numpy()
        if pooler is None:
            pooler = TrackletPooler(len(tracklets), features.shape[1], pooling)
        pooler.add(features, owners[start:start + len(features)])
        start += len(features)
    return pooler.result()
