"""TF-slim's mobilenet_v1 (the release's nets/mobilenet_v1.py), up to its AvgPool_1a feature.

The same network at every input size, unlike keras.applications.MobileNet: that one pads each
stride-2 depthwise convolution by (0, 1) and then convolves VALID, which equals slim's SAME
padding only at even sizes. At the release's 224x112 the map entering Conv2d_12 is 14x7, and
Keras' final map is 7x3 where slim's is 7x4.

Layers are created in keras.applications.MobileNet's order (Conv2D, BatchNormalization,
DepthwiseConv2D in the same sequence), so Keras weights files written for that model load here.
"""

from __future__ import annotations

import keras
from keras import layers

from dal_tf.networks.layers import batch_norm, conv

SCOPE = "MobilenetV1"
BATCHNORM_DECAY = 0.9997  # mobilenet_v1_arg_scope's batch-norm decay
BATCHNORM_EPSILON = 1e-3
MIN_DEPTH = 8
# (stride, depth) of Conv2d_0 (a full 3x3 convolution) and Conv2d_1..13 (depthwise separable).
CONV_DEFS = ((2, 32), (1, 64), (2, 128), (1, 128), (2, 256), (1, 256), (2, 512),
             (1, 512), (1, 512), (1, 512), (1, 512), (1, 512), (2, 1024), (1, 1024))


def initializer():
    """mobilenet_v1_arg_scope's weights_initializer, for --weights=none."""
    return keras.initializers.TruncatedNormal(stddev=0.09)


def scaled_depth(depth: int, alpha: float) -> int:
    """slim's width multiplier: max(int(depth * alpha), min_depth)."""
    return max(int(depth * alpha), MIN_DEPTH)


def build(height: int, width: int, alpha: float = 1.0, batchnorm_decay: float = BATCHNORM_DECAY) -> keras.Model:
    """[N, height, width, 3] images in [-1, 1] -> [N, 1024 * alpha] features (global average of
    the last map: slim's AvgPool_1a, whose 7x7-at-most kernel covers the whole map at 224x112)."""
    if alpha <= 0:
        raise ValueError(f"alpha must be > 0, got {alpha}")
    images = keras.Input((height, width, 3), name="images")
    x = images
    for i, (stride, depth) in enumerate(CONV_DEFS):
        if i == 0:
            x = _conv_bn_relu6(x, scaled_depth(depth, alpha), 3, stride, "Conv2d_0", batchnorm_decay)
        else:
            x = _conv_bn_relu6(x, None, 3, stride, f"Conv2d_{i}_depthwise", batchnorm_decay)
            x = _conv_bn_relu6(x, scaled_depth(depth, alpha), 1, 1, f"Conv2d_{i}_pointwise", batchnorm_decay)
    features = layers.GlobalAveragePooling2D(name="AvgPool_1a")(x)
    return keras.Model(images, features, name=SCOPE)


def _conv_bn_relu6(x, depth, kernel, stride, scope, batchnorm_decay):
    x = conv(x, depth, kernel, stride, scope, initializer())
    x = batch_norm(x, scope, momentum=batchnorm_decay, epsilon=BATCHNORM_EPSILON)
    return layers.ReLU(6.0, name=f"{scope}.relu6")(x)
