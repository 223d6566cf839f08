"""tf.data input: random training frames and streamed evaluation frames.

Frames are named by path; `read` turns a path into the encoded image (default: read the file; a
data set prepared with TFRecords serves them from memory, see ReidDataset.read_frame).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from dal_tf import backbones
from dal_tf.datasets.base import TrackletSet


def prepare_frames(images: tf.Tensor, height: int, width: int, backbone: str) -> tf.Tensor:
    """RGB frames ([H, W, 3] or [N, H, W, 3], any size and dtype) as the backbone's input."""
    images = tf.image.resize(tf.cast(images, tf.float32), (height, width), method="bilinear")
    return backbones.preprocess(backbone, images)


def decode_frame(encoded: tf.Tensor) -> tf.Tensor:
    return tf.io.decode_image(encoded, channels=3, expand_animations=False)


def load_frame(path: tf.Tensor, height: int, width: int, backbone: str, read=tf.io.read_file) -> tf.Tensor:
    image = decode_frame(read(path))
    return prepare_frames(image, height, width, backbone)


def frame_order(num_frames: int, seed: int, first_step: int, batch_size: int) -> tf.data.Dataset:
    """Frame indices: each epoch a fresh permutation, a pure function of (seed, epoch).

    Starting at `first_step` reproduces exactly the indices an uninterrupted run would see from
    there on, so a resumed run gets the same data as one that was never stopped.
    """
    first = first_step * batch_size
    first_epoch, offset = divmod(first, num_frames)

    def permutation(epoch):
        keys = tf.random.stateless_uniform([num_frames], seed=tf.stack([tf.cast(seed, tf.int64), epoch]))
        return tf.data.Dataset.from_tensor_slices(tf.argsort(keys))

    epochs = tf.data.Dataset.range(first_epoch, np.iinfo(np.int64).max)
    return epochs.flat_map(permutation).skip(offset)


def training_dataset(
    tracklets: TrackletSet, batch_size: int, height: int, width: int, backbone: str, seed: int, first_step: int = 0,
    read=tf.io.read_file,
) -> tf.data.Dataset:
    """Batches of (images, cameras, indices within camera); no identity information."""
    paths, cameras, indices, _ = tracklets.frame_table()
    if len(paths) < batch_size:
        raise ValueError(f"{len(paths)} training frames are fewer than --batch_size={batch_size}")
    table = (tf.constant(paths), tf.constant(cameras), tf.constant(indices))

    def frame(i):
        return load_frame(table[0][i], height, width, backbone, read), table[1][i], table[2][i]

    return (
        frame_order(len(paths), seed, first_step, batch_size)
        .map(frame, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .batch(batch_size, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )


def frames_dataset(paths: list[str], batch_size: int, height: int, width: int, backbone: str,
                   read=tf.io.read_file) -> tf.data.Dataset:
    """All given frames in order, preprocessed for the backbone, in batches of at most batch_size."""
    return _in_batches(paths, batch_size, lambda p: load_frame(p, height, width, backbone, read))


def uint8_frames_dataset(paths: list[str], batch_size: int, height: int, width: int,
                         read=tf.io.read_file) -> tf.data.Dataset:
    """All given frames in order as uint8 RGB at height x width (bilinear, rounded), in batches."""

    def load(path):
        image = decode_frame(read(path))
        resized = tf.image.resize(tf.cast(image, tf.float32), (height, width), method="bilinear")
        return tf.saturate_cast(tf.round(resized), tf.uint8)

    return _in_batches(paths, batch_size, load)


def _in_batches(paths: list[str], batch_size: int, load) -> tf.data.Dataset:
    return (
        tf.data.Dataset.from_tensor_slices(tf.constant(paths, tf.string))
        .map(load, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
