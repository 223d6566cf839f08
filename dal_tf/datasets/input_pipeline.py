"""tf.data input: random training frames and streamed evaluation frames.

Frames are named by path; `read` turns a path into the encoded image (default: read the file; a
data set prepared with TFRecords serves them from memory, see ReidDataset.read_frame).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from dal_tf.datasets import augmentation
from dal_tf.datasets.base import TrackletSet


def legacy_resize(images: tf.Tensor, height: int, width: int) -> tf.Tensor:
    """float32 [H, W, C] or [N, H, W, C] images resized as TF1's resize_bilinear(align_corners=False),
    which the release uses: source coordinate = output coordinate * input size / output size, with
    no half-pixel centres (tf.image.resize shifts the grid by half a pixel)."""
    batched = images if images.shape.rank == 4 else images[tf.newaxis]
    resized = tf.raw_ops.ResizeBilinear(images=batched, size=[height, width], align_corners=False,
                                        half_pixel_centers=False)
    return resized if images.shape.rank == 4 else resized[0]


def prepare_frames(images: tf.Tensor, height: int, width: int) -> tf.Tensor:
    """uint8 RGB frames ([H, W, 3] or [N, H, W, 3], any size) as every network's input, in the
    release's order: to [0, 1], resized, then to [-1, 1]."""
    images = tf.convert_to_tensor(images)
    if images.dtype != tf.uint8:
        raise TypeError(f"prepare_frames takes uint8 frames, got {images.dtype}")
    images = legacy_resize(tf.image.convert_image_dtype(images, tf.float32), height, width)
    return (images - 0.5) * 2.0


def decode_frame(encoded: tf.Tensor) -> tf.Tensor:
    return tf.io.decode_image(encoded, channels=3, expand_animations=False)


def load_frame(path: tf.Tensor, height: int, width: int, read=tf.io.read_file) -> tf.Tensor:
    return prepare_frames(decode_frame(read(path)), height, width)


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
    tracklets: TrackletSet, batch_size: int, height: int, width: int, seed: int, first_step: int = 0,
    read=tf.io.read_file, augment: bool = False,
) -> tf.data.Dataset:
    """Batches of (images, cameras, indices within camera); no identity information. augment:
    dal_tf.datasets.augmentation's flip, pad-and-crop and erasing, keyed by each frame's position in
    the stream, so that a resumed run augments as one that never stopped."""
    paths, cameras, indices, _ = tracklets.frame_table()
    if len(paths) < batch_size:
        raise ValueError(f"{len(paths)} training frames are fewer than a batch of {batch_size}")
    table = (tf.constant(paths), tf.constant(cameras), tf.constant(indices))

    def frame(position, i):
        image = load_frame(table[0][i], height, width, read)
        if augment:
            image = augmentation.augmented(image, seed, position)
        return image, table[1][i], table[2][i]

    positions = tf.data.Dataset.range(first_step * batch_size, np.iinfo(np.int64).max)
    return (
        tf.data.Dataset.zip(positions, frame_order(len(paths), seed, first_step, batch_size))
        .map(frame, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .batch(batch_size, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )


def frames_dataset(paths: list[str], batch_size: int, height: int, width: int,
                   read=tf.io.read_file) -> tf.data.Dataset:
    """All given frames in order, as the networks' input, in batches of at most batch_size."""
    return _in_batches(paths, batch_size, lambda p: load_frame(p, height, width, read))


def uint8_frames_dataset(paths: list[str], batch_size: int, height: int, width: int,
                         read=tf.io.read_file) -> tf.data.Dataset:
    """All given frames in order as uint8 RGB at height x width (the release's resize, rounded), in
    batches: what an exported SavedModel takes."""

    def load(path):
        resized = legacy_resize(tf.cast(decode_frame(read(path)), tf.float32), height, width)
        return tf.saturate_cast(tf.round(resized), tf.uint8)

    return _in_batches(paths, batch_size, load)


def _in_batches(paths: list[str], batch_size: int, load) -> tf.data.Dataset:
    return (
        tf.data.Dataset.from_tensor_slices(tf.constant(paths, tf.string))
        .map(load, num_parallel_calls=tf.data.AUTOTUNE)
        .batch(batch_size)
        .prefetch(tf.data.AUTOTUNE)
    )
