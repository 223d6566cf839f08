"""--parts: horizontal stripes of the last feature map beside its global pool (uPMnet: Zang et
al., "Exploiting Robust Unsupervised Video Person Re-identification", IET Image Processing 2022).

uPMnet gets its 8 parts from the input size: 256x128 frames give an 8-row map (stride 32), one
row a part; the network and its last stride are the release's. Stripe i of P over a map of H rows
covers rows floor(i H / P) to ceil((i + 1) H / P), PyTorch's adaptive pooling rule: with P
dividing H it is uPMnet's split (H / P rows each), and for any other P every row is still covered
(uPMnet's int(H / P) rows drops the last H mod P rows). P > H would leave stripes without a row
of their own, and is refused.
"""

from __future__ import annotations

import math

import keras
import tensorflow as tf

from dal_tf.utils.errors import UserInputError

PARTS_LAYER = "parts"  # [N, 1 + P, C]: the global feature, then the stripes'
FEATURE_LAYER = "part_feature"  # [N, (1 + P) C]: the test feature


def stripe_rows(height: int, parts: int) -> list[tuple[int, int]]:
    return [(i * height // parts, -(-(i + 1) * height // parts)) for i in range(parts)]


@keras.saving.register_keras_serializable("dal_tf")
class StripePooling(keras.layers.Layer):
    """[N, H, W, C] -> [N, 1 + parts, C]: the map's average, then each stripe's."""

    def __init__(self, parts: int, **kwargs):
        super().__init__(**kwargs)
        self.parts = int(parts)

    def call(self, x):
        pooled = [tf.reduce_mean(x, axis=[1, 2])]
        pooled += [tf.reduce_mean(x[:, start:end], axis=[1, 2]) for start, end in stripe_rows(x.shape[1], self.parts)]
        return tf.stack(pooled, axis=1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], 1 + self.parts, input_shape[-1])

    def get_config(self):
        return dict(super().get_config(), parts=self.parts)


@keras.saving.register_keras_serializable("dal_tf")
class PartFeature(keras.layers.Layer):
    """[N, K, C] -> [N, K C]: each of the K features l2-normalised, over sqrt(K), concatenated, so
    that the whole is a unit vector whose distances weigh every part alike (uPMnet's test feature,
    its normc(...) / sqrt(npart)). In float32 whatever the network computes in."""

    def __init__(self, **kwargs):
        kwargs.setdefault("dtype", "float32")
        super().__init__(**kwargs)

    def call(self, x):
        count = x.shape[1]
        unit = tf.math.l2_normalize(tf.cast(x, tf.float32), axis=-1, epsilon=1e-10) / math.sqrt(count)
        return tf.reshape(unit, [-1, count * x.shape[2]])

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] * input_shape[2])


def with_parts(model: keras.Model, pool_layer: str, parts: int) -> keras.Model:
    """The network with its global pool `pool_layer` replaced by StripePooling and PartFeature; the
    same layers and weights below it."""
    last_map = model.get_layer(pool_layer).input
    rows = last_map.shape[1]
    if parts > rows:
        height, width = model.input.shape[1:3]
        raise UserInputError(
            f"--parts={parts}: the network's last feature map at {height}x{width} is {rows} rows high, so at most "
            f"--parts={rows}; more needs a taller input (--image_height={32 * parts} --image_width={16 * parts} "
            f"gives {parts} rows, as uPMnet's 256x128 gives 8)")
    stripes = StripePooling(parts, name=PARTS_LAYER)(last_map)
    return keras.Model(model.input, PartFeature(name=FEATURE_LAYER)(stripes), name=model.name)


def num_parts(model: keras.Model) -> int:
    """The P of a network built with with_parts, 0 for the plain one."""
    try:
        return model.get_layer(PARTS_LAYER).parts
    except ValueError:
        return 0


def table_features(model: keras.Model):
    """A function from frames to the features the anchor tables take: [N, 1 + P, C] for a network
    with parts (the global feature first), or None for the plain one, whose output they take."""
    if not num_parts(model):
        return None
    view = keras.Model(model.input, model.get_layer(PARTS_LAYER).output)
    return lambda images, training: view(images, training=training)


def layout(parts: int) -> str:
    """What the export's metadata says of the feature's layout."""
    if not parts:
        return "the global average of the last feature map"
    return (f"{parts + 1} blocks of equal size: the global average of the last feature map, then the averages of "
            f"{parts} horizontal stripes from top to bottom, each l2-normalised and divided by sqrt({parts + 1})")
