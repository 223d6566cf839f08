"""ImageNet CNN backbones that embed one frame into a vector (global average pooled)."""

from __future__ import annotations

import os

import keras
import tensorflow as tf

from dal_tf.errors import UserInputError

BACKBONES = ("mobilenet", "resnet50")


def preprocess(backbone: str, images: tf.Tensor) -> tf.Tensor:
    """The backbone's own input scaling of float RGB images in [0, 255]."""
    if backbone == "mobilenet":
        return images / 127.5 - 1.0  # [-1, 1], as the release and the TF-slim weights expect
    if backbone == "resnet50":
        return keras.applications.resnet50.preprocess_input(images)  # caffe: BGR, mean subtracted
    raise UserInputError(f"--backbone={backbone!r} is not one of {', '.join(BACKBONES)}")


def build_backbone(name: str, weights: str, height: int, width: int, alpha: float = 1.0) -> keras.Model:
    """A Keras model from preprocessed [N, height, width, 3] images to [N, D] features.

    weights: 'imagenet' (downloads), 'none' (random initialisation) or a Keras weights file.
    alpha: MobileNet's width multiplier (1.0 is the paper's network; smaller only for quick tests).
    """
    if name not in BACKBONES:
        raise UserInputError(f"--backbone={name!r} is not one of {', '.join(BACKBONES)}")
    if weights not in ("imagenet", "none") and not os.path.isfile(weights):
        raise UserInputError(f"--weights={weights!r}: no such weights file (expected imagenet, none or a .weights.h5 path)")
    keras_weights = "imagenet" if weights == "imagenet" else None
    kwargs = dict(include_top=False, weights=keras_weights, input_shape=(height, width, 3), pooling="avg")
    try:
        if name == "mobilenet":
            model = keras.applications.MobileNet(alpha=alpha, **kwargs)
        else:
            model = keras.applications.ResNet50(**kwargs)
    except Exception as error:  # noqa: BLE001 - any download failure gets the same advice
        if keras_weights != "imagenet":
            raise
        raise UserInputError(
            f"--weights=imagenet: could not download the ImageNet {name} weights ({type(error).__name__}); "
            "pass --weights=PATH to a Keras weights file, e.g. ../shared/weights/mobilenet_v1_1.0_no_top.weights.h5"
        ) from error
    if weights not in ("imagenet", "none"):
        try:
            model.load_weights(weights)
        except Exception as error:  # noqa: BLE001
            raise UserInputError(f"--weights={weights}: cannot load into {name} ({error})".splitlines()[0]) from error
    return model


def feature_dim(model: keras.Model) -> int:
    return int(model.output_shape[-1])
