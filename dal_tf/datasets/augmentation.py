"""--augment: the training recipe of CAP (Wang et al., AAAI 2021) and Cluster Contrast (Dai et al.,
ACCV 2022), which the release does without: random horizontal flip (p 0.5), pad-and-crop (10
pixels of black on every side at 256x128, scaled with the height here, then a random crop back to
the input size) and random erasing (Zhong et al., AAAI 2020: p 0.5, area 2-40% of the frame,
aspect ratio drawn uniformly in 0.3-3.33, filled with ImageNet's mean colour: Cluster Contrast's
settings; CAP erases 2-20% at 0.3-3). Both reference codes fill the box after normalisation with
the mean's numbers (0.485, ...), a shade off the mean colour; here it is the mean colour itself.

Every draw is a stateless function of (seed, the frame's position in the training stream), so a
run sees the same augmented frames however often it is stopped and resumed, on any number of
replicas. draws() makes them and apply() uses them, so each can be checked on its own.
"""

from __future__ import annotations

from typing import NamedTuple

import tensorflow as tf

FLIP_PROBABILITY = 0.5
PAD_AT_256 = 10  # pixels, CAP's T.Pad(10) at its 256-pixel height
ERASE_PROBABILITY = 0.5
ERASE_AREA = (0.02, 0.4)
ERASE_ASPECT = (0.3, 1 / 0.3)
ERASE_ATTEMPTS = 100  # as random erasing's reference code: the first box that fits the frame
IMAGENET_MEAN_RGB = (0.485, 0.456, 0.406)  # in [0, 1]; the frames here are in [-1, 1]
SEED_SALT = 0x5EED  # keeps these draws apart from the frame order's, which also keys on the seed


def padding(height: int) -> int:
    return int(round(PAD_AT_256 * height / 256))


class Draws(NamedTuple):
    flip: tf.Tensor  # bool
    crop_top: tf.Tensor  # int32 in [0, 2 * pad]
    crop_left: tf.Tensor
    erase: tf.Tensor  # bool: a box that fits was found and the coin said erase
    erase_top: tf.Tensor  # int32
    erase_left: tf.Tensor
    erase_height: tf.Tensor
    erase_width: tf.Tensor


def draws(seed, position, height: int, width: int) -> Draws:
    """The random choices for the frame at `position` of the stream of a run with `seed`."""
    key = tf.stack([tf.cast(seed, tf.int64) * 65536 + SEED_SALT, tf.cast(position, tf.int64)])
    seeds = tf.random.experimental.stateless_split(key, 6)
    pad = padding(height)
    flip = tf.random.stateless_uniform([], seeds[0]) < FLIP_PROBABILITY
    crop = tf.random.stateless_uniform([2], seeds[1], maxval=2 * pad + 1, dtype=tf.int32)
    erase = tf.random.stateless_uniform([], seeds[2]) < ERASE_PROBABILITY
    area = tf.random.stateless_uniform([ERASE_ATTEMPTS], seeds[3], *ERASE_AREA) * height * width
    aspect = tf.random.stateless_uniform([ERASE_ATTEMPTS], seeds[4], *ERASE_ASPECT)
    box_height = tf.cast(tf.round(tf.sqrt(area * aspect)), tf.int32)
    box_width = tf.cast(tf.round(tf.sqrt(area / aspect)), tf.int32)
    fits = (box_height < height) & (box_width < width) & (box_height > 0) & (box_width > 0)
    first = tf.argmax(tf.cast(fits, tf.int32), output_type=tf.int32)
    box_height, box_width = box_height[first], box_width[first]
    corner = tf.random.stateless_uniform([2], seeds[5])
    top = tf.cast(corner[0] * tf.cast(height - box_height + 1, tf.float32), tf.int32)
    left = tf.cast(corner[1] * tf.cast(width - box_width + 1, tf.float32), tf.int32)
    return Draws(flip, crop[0], crop[1], erase & tf.reduce_any(fits),
                 tf.minimum(top, height - box_height), tf.minimum(left, width - box_width), box_height, box_width)


def apply(image: tf.Tensor, d: Draws) -> tf.Tensor:
    """One [H, W, 3] frame in [-1, 1] (the networks' input), augmented with the draws d."""
    height, width = int(image.shape[0]), int(image.shape[1])
    pad = padding(height)
    image = tf.where(d.flip, tf.reverse(image, axis=[1]), image)
    padded = tf.pad(image, [[pad, pad], [pad, pad], [0, 0]], constant_values=-1.0)  # black
    image = tf.slice(padded, tf.stack([d.crop_top, d.crop_left, 0]), [height, width, 3])
    rows, columns = tf.range(height)[:, None], tf.range(width)[None, :]
    inside = ((rows >= d.erase_top) & (rows < d.erase_top + d.erase_height)
              & (columns >= d.erase_left) & (columns < d.erase_left + d.erase_width) & d.erase)
    mean = tf.constant(IMAGENET_MEAN_RGB, image.dtype) * 2.0 - 1.0
    return tf.where(inside[:, :, None], mean, image)


def augmented(image: tf.Tensor, seed, position) -> tf.Tensor:
    return apply(image, draws(seed, position, int(image.shape[0]), int(image.shape[1])))
