"""Tracklet features for evaluation: l2-normalised frames, pooled per tracklet, l2-normalised.

Frames stream through in fixed-size batches and are folded into per-tracklet accumulators with
segment ops, so memory is bounded by the batch and the [tracklets, D] result whatever the
tracklet lengths.

A FrameEmbedder pairs an embedding function with the frame pipeline it expects: a training
run's network takes preprocessed float frames; an exported SavedModel takes uint8 frames.
"""

from __future__ import annotations

import dataclasses
import json
import os
from typing import Callable

import numpy as np
import tensorflow as tf

from dal_tf.config import POOLINGS, ModelConfig
from dal_tf.datasets import input_pipeline
from dal_tf.datasets.base import TrackletSet
from dal_tf.deploy.saved_model import METADATA
from dal_tf.utils.arrays import l2_normalize_rows
from dal_tf.utils.errors import UserInputError, op_error_message
from dal_tf.utils.progress import Progress


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
        present, local = np.unique(owners, return_inverse=True)
        normalized = l2_normalize_rows(np.asarray(frame_features, np.float32))
        if self.pooling == "max":
            batch_pool = tf.math.unsorted_segment_max(normalized, local, len(present)).numpy()
            self.pool[present] = np.maximum(self.pool[present], batch_pool)
        else:
            self.pool[present] += tf.math.unsorted_segment_sum(normalized, local, len(present)).numpy()
        self.count[present] += np.bincount(local, minlength=len(present))

    def result(self) -> np.ndarray:
        if np.any(self.count == 0):
            raise ValueError(f"{int(np.sum(self.count == 0))} tracklets received no frames")
        pooled = self.pool if self.pooling == "max" else self.pool / self.count[:, None]
        return l2_normalize_rows(pooled)


@dataclasses.dataclass(frozen=True)
class FrameEmbedder:
    """embed: a batch from `batches` -> [n, D] frame features; batches(paths, batch_size, read):
    the frames in order, in batches of at most batch_size, `read` giving each path's encoded
    image; step: the training step of the weights."""

    embed: Callable[[tf.Tensor], tf.Tensor]
    batches: Callable[[list[str], int, Callable], tf.data.Dataset]
    step: int


def model_embedder(network: Callable, model: ModelConfig, step: int) -> FrameEmbedder:
    """A Keras network taking preprocessed frames (the caller picks its weights, e.g. the EMA)."""

    def batches(paths, batch_size, read):
        return input_pipeline.frames_dataset(paths, batch_size, model.image_height, model.image_width, read)

    embed = tf.function(lambda images: network(images, training=False), reduce_retracing=True)
    return FrameEmbedder(embed, batches, step)


def saved_model_embedder(path: str, flag: str = "--saved_model") -> tuple[FrameEmbedder, dict]:
    """An export of dal_tf.export (a SavedModel directory; an ONNX or LiteRT export's directory or
    its file) and its metadata. Frames are resized to the export's input size and rounded to uint8
    in the pipeline (so that they batch); at that size the SavedModel's own resize is the identity,
    and the ONNX and LiteRT files take frames at that size."""
    directory = os.path.dirname(path) if os.path.isfile(path) else path
    metadata_path = os.path.join(directory, METADATA)
    try:
        with open(metadata_path) as handle:
            metadata = json.load(handle)
    except (OSError, ValueError) as error:
        raise UserInputError(f"{flag}={path} is not a dal_tf export: cannot read {metadata_path}") from error
    if metadata.get("format", "saved_model") == "saved_model":
        try:
            embed_frames = tf.saved_model.load(directory).signatures["embed_frames"]
        except (OSError, ValueError, KeyError) as error:
            raise UserInputError(f"{flag}={path} does not hold a SavedModel with an embed_frames signature") from error
        embed = lambda images: embed_frames(images=images)["embeddings"]  # noqa: E731
    else:
        from dal_tf.deploy.runtime_embedders import runtime_embed

        embed = runtime_embed(directory, metadata, flag)
    height, width = metadata["image_height"], metadata["image_width"]

    def batches(paths, batch_size, read):
        return input_pipeline.uint8_frames_dataset(paths, batch_size, height, width, read)

    return FrameEmbedder(embed, batches, metadata["step"]), metadata


def tracklet_features(embedder: FrameEmbedder, tracklets: TrackletSet, *, batch_size: int = 64,
                      pooling: str = "max", read=tf.io.read_file, log=None) -> np.ndarray:
    """[len(tracklets), D] features; read: a frame path -> its encoded image; log: where the
    progress goes (None: nowhere)."""
    paths = [f for t in tracklets.tracklets for f in t.frames]
    owners = np.repeat(np.arange(len(tracklets)), [len(t.frames) for t in tracklets.tracklets])
    if not paths:
        raise ValueError("tracklet_features: no tracklets")
    progress = Progress(len(paths), "frame", log)
    pooler = None
    start = 0
    batches = iter(embedder.batches(paths, batch_size, read))
    while True:
        try:
            images = next(batches)
        except StopIteration:
            break
        except tf.errors.OpError as error:
            raise UserInputError(_unreadable(paths[start:start + batch_size], error, read)) from error
        frame_features = np.asarray(embedder.embed(images))
        if pooler is None:
            pooler = TrackletPooler(len(tracklets), frame_features.shape[1], pooling)
        pooler.add(frame_features, owners[start:start + len(frame_features)])
        start += len(frame_features)
        progress.update(start)
    return pooler.result()


def _unreadable(paths: list[str], error: tf.errors.OpError, read) -> str:
    """Names the first of `paths` (the batch that failed) that TensorFlow cannot decode."""
    for path in paths:
        try:
            input_pipeline.decode_frame(read(path))
        except tf.errors.OpError as decode_error:
            return f"cannot read frame {path}: {op_error_message(decode_error)}"
    return f"cannot read the frames from {paths[0]} on: {op_error_message(error)}"
