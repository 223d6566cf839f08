"""TF-slim's resnet_v1_50 (the release's nets/resnet_v1.py), up to its global average pool.

Not keras.applications.ResNet50, which strides in each stage's first unit, has convolution biases
and takes BGR mean-subtracted input. Here, as in slim: a 7x7/2 root convolution padded explicitly
and a 3x3/2 SAME max pool; four blocks of bottleneck units whose stride-2 sits in the 3x3
convolution of the *last* unit of blocks 1-3 (padded explicitly, resnet_utils.conv2d_same); a
1x1 convolution + BatchNorm shortcut where the depth changes, otherwise a 1x1 max-pool subsample;
no biases; BatchNorm decay 0.997, epsilon 1e-5; RGB input in [-1, 1] as the release feeds every
network.
"""

from __future__ import annotations

import keras
from keras import layers

from dal_tf.networks.layers import batch_norm, conv, conv2d_same

SCOPE = "resnet_v1_50"
BATCHNORM_DECAY = 0.997  # resnet_arg_scope's batch_norm_decay
BATCHNORM_EPSILON = 1e-5
# (name, output depth, bottleneck depth, units); the last unit of each block but the last strides 2.
BLOCKS = (("block1", 256, 64, 3), ("block2", 512, 128, 4), ("block3", 1024, 256, 6), ("block4", 2048, 512, 3))


def initializer():
    """resnet_arg_scope's slim.variance_scaling_initializer() (He, truncated normal), for --weights=none."""
    return keras.initializers.VarianceScaling(2.0, mode="fan_in", distribution="truncated_normal")


def build(height: int, width: int, batchnorm_decay: float = BATCHNORM_DECAY) -> keras.Model:
    """[N, height, width, 3] images in [-1, 1] -> [N, 2048] features (slim's pool5)."""

    def bn(x, scope, relu):
        x = batch_norm(x, scope, momentum=batchnorm_decay, epsilon=BATCHNORM_EPSILON)
        return layers.ReLU(name=f"{scope}.relu")(x) if relu else x

    images = keras.Input((height, width, 3), name="images")
    x = bn(conv2d_same(images, 64, 7, 2, "conv1", initializer()), "conv1", relu=True)
    x = layers.MaxPooling2D(3, strides=2, padding="same", name="pool1")(x)
    for number, (block, depth, bottleneck_depth, units) in enumerate(BLOCKS):
        for unit in range(1, units + 1):
            stride = 2 if unit == units and number < len(BLOCKS) - 1 else 1
            x = _bottleneck(x, depth, bottleneck_depth, stride, f"{block}.unit_{unit}.bottleneck_v1", bn)
    features = layers.GlobalAveragePooling2D(name="pool5")(x)
    return keras.Model(images, features, name=SCOPE)


def _bottleneck(x, depth, bottleneck_depth, stride, scope, bn):
    if x.shape[-1] == depth:
        shortcut = x if stride == 1 else layers.MaxPooling2D(1, strides=stride, padding="same",
                                                             name=f"{scope}.shortcut")(x)
    else:
        shortcut = bn(conv(x, depth, 1, stride, f"{scope}.shortcut", initializer()), f"{scope}.shortcut", relu=False)
    residual = bn(conv(x, bottleneck_depth, 1, 1, f"{scope}.conv1", initializer()), f"{scope}.conv1", relu=True)
    residual = bn(conv2d_same(residual, bottleneck_depth, 3, stride, f"{scope}.conv2", initializer()),
                  f"{scope}.conv2", relu=True)
    residual = bn(conv(residual, depth, 1, 1, f"{scope}.conv3", initializer()), f"{scope}.conv3", relu=False)
    return layers.ReLU(name=f"{scope}.relu")(layers.Add(name=f"{scope}.add")([shortcut, residual]))
