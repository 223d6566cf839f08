"""Keras building blocks with TF-slim's semantics, named by slim scope.

Each layer that holds weights is named after its slim variable scope with "." for "/" (Keras
forbids "/" in names), so slim_checkpoint can map a TF-slim checkpoint onto the model without a
table per network. Only Keras layers are used: no TensorFlow import.
"""

from __future__ import annotations

import keras
from keras import layers

from dal_tf.networks.batch_norm import BatchNormalization


def conv(x, depth: int | None, kernel: int, stride: int, scope: str, initializer, *, padding: str = "same"):
    """A bias-free convolution as slim.conv2d, or depthwise as slim.separable_conv2d(num_outputs=None)
    when depth is None, followed by a normalizer (slim then drops the bias). "same" is TF's SAME
    padding at any input size: at stride 2 it pads (0, 1) at an even size and (1, 1) at an odd one."""
    if depth is None:
        return layers.DepthwiseConv2D(kernel, strides=stride, padding=padding, use_bias=False,
                                      depthwise_initializer=initializer, name=scope)(x)
    return layers.Conv2D(depth, kernel, strides=stride, padding=padding, use_bias=False,
                         kernel_initializer=initializer, name=scope)(x)


def batch_norm(x, scope: str, *, momentum: float, epsilon: float):
    """slim.batch_norm(center=True, scale=True) with slim's `decay` as Keras' momentum."""
    return BatchNormalization(momentum=momentum, epsilon=epsilon, name=f"{scope}.BatchNorm")(x)


def conv2d_same(x, depth: int, kernel: int, stride: int, scope: str, initializer):
    """resnet_utils.conv2d_same: SAME padding at stride 1; at a larger stride an explicit symmetric
    pad of kernel - 1 in all (more at the end when odd), then a VALID convolution, so the result
    does not depend on whether the input size is even."""
    if stride == 1:
        return conv(x, depth, kernel, 1, scope, initializer)
    pad_total = kernel - 1
    before, after = pad_total // 2, pad_total - pad_total // 2
    x = layers.ZeroPadding2D(((before, after), (before, after)), name=f"{scope}.pad")(x)
    return conv(x, depth, kernel, stride, scope, initializer, padding="valid")


def scope_of(layer: keras.layers.Layer, network_scope: str) -> str:
    """The slim variable scope a layer's weights live under."""
    return f"{network_scope}/{layer.name.replace('.', '/')}"
