"""Initial weights for the networks: TF-slim checkpoints (the release's) and Keras weights files.

A TF1 checkpoint (V1 like resnet_v1_50.ckpt, or V2 like mobilenet_v1_1.0_224.ckpt) is read with
tf.train.load_checkpoint and mapped by slim variable name; the classifier (Logits) and anything
else the network does not have is ignored. A Keras weights file (.h5) goes to model.load_weights.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from dal_tf.networks.layers import scope_of
from dal_tf.utils.errors import UserInputError

BATCHNORM_VARIABLES = ("gamma", "beta", "moving_mean", "moving_variance")


def slim_variables(model: keras.Model, network_scope: str) -> dict[str, keras.Variable]:
    """{slim variable name: the model's variable} for every weight of the model."""
    names = {}
    for layer in model.layers:
        scope = scope_of(layer, network_scope)
        if isinstance(layer, keras.layers.DepthwiseConv2D):
            names[f"{scope}/depthwise_weights"] = layer.kernel
        elif isinstance(layer, keras.layers.Conv2D):
            names[f"{scope}/weights"] = layer.kernel
        elif isinstance(layer, keras.layers.BatchNormalization):
            for name in BATCHNORM_VARIABLES:
                names[f"{scope}/{name}"] = getattr(layer, name)
    return names


def is_keras_weights_file(path: str) -> bool:
    return path.endswith(".h5")


def load_slim_checkpoint(model: keras.Model, network_scope: str, path: str):
    """Assigns every weight of `model` from the TF1 checkpoint at `path` (a prefix such as
    mobilenet_v1_1.0_224.ckpt); a missing or misshapen variable is a UserInputError naming it."""
    try:
        reader = tf.train.load_checkpoint(path)
    except (tf.errors.OpError, ValueError) as error:
        raise UserInputError(f"--weights={path} is not a TF checkpoint prefix (such as mobilenet_v1_1.0_224.ckpt) "
                             "nor a Keras .h5 weights file") from error
    stored = reader.get_variable_to_shape_map()
    for name, variable in slim_variables(model, network_scope).items():
        if name not in stored:
            raise UserInputError(f"--weights={path} has no variable {name}; expected a TF-slim {network_scope} checkpoint")
        if tuple(stored[name]) != tuple(variable.shape):
            raise UserInputError(f"--weights={path}: {name} has shape {tuple(stored[name])}, the network needs "
                                 f"{tuple(variable.shape)} (another width multiplier --alpha?)")
        variable.assign(reader.get_tensor(name).astype(np.float32))


def load_keras_weights(model: keras.Model, path: str):
    """A Keras weights file, e.g. one written for keras.applications.MobileNet (same layer order)."""
    try:
        model.load_weights(path)
    except Exception as error:  # noqa: BLE001 - Keras raises many types for a file that does not fit
        reason = str(error).splitlines()[0] if str(error) else type(error).__name__
        raise UserInputError(f"--weights={path}: cannot load into {model.name} ({reason[:200]})") from error


def reset_moving_statistics(model: keras.Model):
    """Moving means to 0 and variances to 1, what the release's BatchNorm layers start from: it
    restores only the trainable variables from the ImageNet checkpoint."""
    for layer in model.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            layer.moving_mean.assign(np.zeros(layer.moving_mean.shape, np.float32))
            layer.moving_variance.assign(np.ones(layer.moving_variance.shape, np.float32))
