"""What the entry points (train, evaluate, export, match) share: flag definitions and main().

Only entry points call these; they turn the parsed flags into config objects, and nothing
below the entry points reads FLAGS.
"""

from __future__ import annotations

import sys
from typing import Callable

from absl import flags, logging

from dal_tf.errors import UserInputError

from dal_tf.config import DataConfig, ModelConfig


def define_data_flags():
    flags.DEFINE_string("dataset", "synthetic", "Registered data set: synthetic (built in); more with data_prep.")
    flags.DEFINE_string("data_dir", "", "Prepared data directory; empty: the data set's default location.")
    flags.DEFINE_integer("split", 1, "Train/test split number.")
    flags.DEFINE_integer("seed", 0, "Seed of the frame order and the initialisation.")


def define_model_flags():
    flags.DEFINE_string("backbone", "mobilenet", "mobilenet: slim mobilenet_v1 (1024-d) | resnet50: slim resnet_v1_50 "
                        "(2048-d), the release's networks.")
    flags.DEFINE_string("weights", "imagenet", "imagenet: the release's TF-slim ImageNet checkpoint, downloaded once | "
                        "none | PATH: a TF-slim checkpoint prefix (mobilenet_v1_1.0_224.ckpt, resnet_v1_50.ckpt) or a "
                        "Keras .h5 weights file.")
    flags.DEFINE_float("alpha", 1.0, "MobileNet width multiplier (1.0 = the paper's network).")
    flags.DEFINE_integer("image_height", 224, "Input height (release: 224).")
    flags.DEFINE_integer("image_width", 112, "Input width (release: 112).")
    flags.DEFINE_float("batchnorm_decay", 0.0, "Decay of the BatchNorm moving statistics; 0: slim's (MobileNet 0.9997, "
                       "ResNet-50 0.997). Runs much shorter than the release's may need less (the CPU demo: 0.99).")
    flags.DEFINE_boolean("restore_moving_statistics", True, "Take the BatchNorm moving statistics from --weights; "
                         "--norestore_moving_statistics starts them at 0 and 1 as the release does.")


def data_config(values) -> DataConfig:
    return DataConfig(dataset=values.dataset, data_dir=values.data_dir, split=values.split, seed=values.seed)


def model_config(values) -> ModelConfig:
    return ModelConfig(backbone=values.backbone, weights=values.weights, alpha=values.alpha,
                       image_height=values.image_height, image_width=values.image_width,
                       batchnorm_decay=values.batchnorm_decay,
                       restore_moving_statistics=values.restore_moving_statistics)


def entry_point(name: str, body: Callable[[], None]) -> Callable[[list[str]], None]:
    """An absl main running body(): bad input ends in one line `<name>: error: ...` and exit 1."""

    def main(argv):
        if len(argv) > 1:
            sys.exit(f"{name}: error: unexpected arguments {argv[1:]}")
        logging.set_verbosity(logging.WARNING)  # keeps TF's checkpoint chatter out of the output
        try:
            body()
        except UserInputError as error:
            sys.exit(f"{name}: error: {error}")

    return main
