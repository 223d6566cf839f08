"""The frame networks DAL trains (`--backbone`) and their initial weights (`--weights`).

Both are the release's TF-slim networks (dal_tf.networks), fed RGB frames in [-1, 1]:
  mobilenet  slim mobilenet_v1 (width multiplier --alpha), 1024-d AvgPool_1a features
  resnet50   slim resnet_v1_50, 2048-d pool5 features
"""

from __future__ import annotations

import dataclasses
import os
from typing import Callable

import keras

from dal_tf.networks import imagenet, mobilenet_v1, resnet_v1, slim_checkpoint
from dal_tf.networks import parts as parts_module
from dal_tf.utils.errors import UserInputError


@dataclasses.dataclass(frozen=True)
class Network:
    build: Callable[[int, int, float, float], keras.Model]  # (height, width, alpha, batchnorm decay)
    scope: str  # the slim variable scope of its checkpoint
    batchnorm_decay: float  # slim's
    pool: str  # the layer pooling the last map into the feature


NETWORKS = {
    "mobilenet": Network(mobilenet_v1.build, mobilenet_v1.SCOPE, mobilenet_v1.BATCHNORM_DECAY, "AvgPool_1a"),
    "resnet50": Network(lambda height, width, alpha, decay: resnet_v1.build(height, width, decay), resnet_v1.SCOPE,
                        resnet_v1.BATCHNORM_DECAY, "pool5"),
}


def build_backbone(name: str, weights: str, height: int, width: int, alpha: float = 1.0, *,
                   batchnorm_decay: float = 0.0, restore_moving_statistics: bool = True, cache_dir: str = "",
                   parts: int = 0, log=print) -> keras.Model:
    """A Keras model from [N, height, width, 3] frames in [-1, 1] to [N, D] features.

    weights: 'imagenet' (the release's TF-slim checkpoint, downloaded once into cache_dir),
    'none' (random initialisation), a TF1 checkpoint prefix (e.g. mobilenet_v1_1.0_224.ckpt or
    resnet_v1_50.ckpt) or a Keras .h5 weights file.
    batchnorm_decay: the moving statistics' decay; 0: slim's for the network (0.9997, 0.997).
    restore_moving_statistics: False starts the BatchNorm moving statistics at 0 and 1 as the
    release does (it restores only trainable variables from the checkpoint).
    parts: P > 0 ends the network in P stripes beside the global pool (dal_tf.networks.parts), and
    its feature is their normalised concatenation, [N, (1 + P) D].
    """
    network = NETWORKS[name]  # one of config.BACKBONES, checked by ModelConfig with --alpha
    if weights not in ("imagenet", "none") and not _exists(weights):
        raise UserInputError(f"--weights={weights}: no such checkpoint or weights file (expected imagenet, none, "
                             "a TF checkpoint prefix such as mobilenet_v1_1.0_224.ckpt or a Keras .h5 file)")
    try:
        model = network.build(height, width, alpha, batchnorm_decay or network.batchnorm_decay)
    except ValueError as error:
        raise UserInputError(f"--backbone={name} at {height}x{width}, --alpha={alpha}: {error}") from error
    if weights != "none":
        _load(model, network, name, weights, restore_moving_statistics, cache_dir, log)
    return parts_module.with_parts(model, network.pool, parts) if parts else model


def _load(model, network, name, weights, restore_moving_statistics, cache_dir, log):
    if weights == "imagenet":
        from dal_tf.config import default_cache_dir

        weights = imagenet.imagenet_checkpoint(name, cache_dir or default_cache_dir(), log=log)
    if slim_checkpoint.is_keras_weights_file(weights):
        slim_checkpoint.load_keras_weights(model, weights)
    else:
        slim_checkpoint.load_slim_checkpoint(model, network.scope, weights)
    if not restore_moving_statistics:
        slim_checkpoint.reset_moving_statistics(model)


def _exists(path: str) -> bool:
    """A file, or a TF2-style checkpoint prefix (its .index file exists)."""
    return os.path.isfile(path) or os.path.isfile(f"{path}.index")


def feature_dim(model: keras.Model) -> int:
    return int(model.output_shape[-1])
