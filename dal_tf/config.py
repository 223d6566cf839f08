"""Plain configuration objects. Entry points build them from flags; nothing below reads FLAGS."""

from __future__ import annotations

import dataclasses
import os
import typing


def default_cache_dir() -> str:
    return os.environ.get("DAL_TF_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "dal_tf"))


@dataclasses.dataclass(frozen=True)
class DataConfig:
    dataset: str = "synthetic"
    data_dir: str = ""  # empty: the data set's own default (the cache for `synthetic`)
    split: int = 1
    seed: int = 0


@dataclasses.dataclass(frozen=True)
class AssociationConfig:
    """DAL's association settings; defaults are the released code's (see README)."""

    distance: str = "squared"  # squared | euclidean (paper)
    margin: float = 0.5  # paper: 0.2
    eta: float = 0.5
    anchor_init: str = "zeros"  # zeros | mean (paper)
    anchor_update: str = "released"  # released | normalized
    loss_terms: str = "both"  # both | intra | cross
    lambda_cross: float = 1.0

    def __post_init__(self):
        _check_choice("distance", self.distance, ("squared", "euclidean"))
        _check_choice("anchor_init", self.anchor_init, ("zeros", "mean"))
        _check_choice("anchor_update", self.anchor_update, ("released", "normalized"))
        _check_choice("loss_terms", self.loss_terms, ("both", "intra", "cross"))
        if self.margin < 0:
            raise _error(f"--margin={self.margin} must be >= 0")
        if not 0 < self.eta <= 1:
            raise _error(f"--eta={self.eta} must be in (0, 1]")
        if self.lambda_cross < 0:
            raise _error(f"--lambda_cross={self.lambda_cross} must be >= 0")


def _error(message: str):
    from dal_tf.errors import UserInputError

    return UserInputError(message)


def _check_choice(name: str, value: str, choices: tuple[str, ...]):
    if value not in choices:
        raise _error(f"--{name}={value!r} is not one of {', '.join(choices)}")


@dataclasses.dataclass(frozen=True)
class ModelConfig:
    backbone: str = "mobilenet"  # mobilenet | resnet50: the release's TF-slim networks
    weights: str = "imagenet"  # imagenet (the release's checkpoint) | none | a TF-slim checkpoint or Keras .h5 file
    alpha: float = 1.0  # MobileNet width multiplier
    image_height: int = 224
    image_width: int = 112
    batchnorm_decay: float = 0.0  # 0: slim's for the network (MobileNet 0.9997, ResNet-50 0.997)
    restore_moving_statistics: bool = True  # False: BatchNorm statistics start at 0 and 1, as the release's

    def __post_init__(self):
        _check_choice("backbone", self.backbone, ("mobilenet", "resnet50"))
        if self.image_height < 32 or self.image_width < 32:
            raise _error(f"--image_height/--image_width must be >= 32, got {self.image_height}x{self.image_width}")
        if not 0 <= self.batchnorm_decay < 1:
            raise _error(f"--batchnorm_decay={self.batchnorm_decay} must be in [0, 1) (0: the network's own)")


@dataclasses.dataclass(frozen=True)
class OptimConfig:
    """Empty / zero fields take the data set's release setting (see training.build_optimizer)."""

    optimizer: str = "auto"  # auto | rmsprop | sgd
    learning_rate: float = 0.0  # 0: 0.045 for RMSProp, 0.01 for SGD
    lr_decay_factor: float = 0.94  # RMSProp: exponential staircase decay
    epochs_per_decay: float = 2.0
    weight_decay: float = 4e-5
    clip_value: float = 2.0  # element-wise gradient clipping
    ema_decay: float = 0.9999

    def __post_init__(self):
        _check_choice("optimizer", self.optimizer, ("auto", "rmsprop", "sgd"))
        if self.learning_rate < 0 or self.weight_decay < 0 or self.clip_value <= 0:
            raise _error("--learning_rate and --weight_decay must be >= 0 and --clip_value > 0")
        if not 0 <= self.ema_decay < 1:
            raise _error(f"--ema_decay={self.ema_decay} must be in [0, 1)")


@dataclasses.dataclass(frozen=True)
class TrainConfig:
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    association: AssociationConfig = AssociationConfig()
    optim: OptimConfig = OptimConfig()
    train_dir: str = "runs/default"
    batch_size: int = 64
    max_steps: int = -1  # -1: the release's number for the data set; 0: evaluate only
    warmup_epochs: float = -1.0  # -1: the release's warm-up for the data set
    checkpoint_every: int = 200
    log_every: int = 10
    eval_batch_size: int = 128
    pooling: str = "max"
    seed: int = 0
    deterministic: bool = False  # bitwise-reproducible ops (slower)
    objective: str = "dal"  # dal | supervised (the ID-supervised counterpart, Table 3)
    label_smoothing: float = 0.1  # supervised only
    strategy: str = "default"  # default | mirrored | multiworker (tf.distribute)
    mixed_precision: bool = False  # mixed_float16 backbone; anchors and losses stay float32
    jit_compile: bool = False  # XLA-compile each replica's forward and backward pass

    def __post_init__(self):
        _check_choice("objective", self.objective, ("dal", "supervised"))
        _check_choice("strategy", self.strategy, ("default", "mirrored", "multiworker"))
        if not 0 <= self.label_smoothing < 1:
            raise _error(f"--label_smoothing={self.label_smoothing} must be in [0, 1)")
        if self.batch_size < 2:
            raise _error(f"--batch_size={self.batch_size} must be >= 2")
        if self.max_steps < -1:
            raise _error(f"--max_steps={self.max_steps} must be >= 0 (or -1 for the data set's default)")
        if self.checkpoint_every < 1 or self.log_every < 1:
            raise _error("--checkpoint_every and --log_every must be >= 1")
        _check_choice("pooling", self.pooling, ("max", "mean"))

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        """Inverse of to_dict (config.json); unknown or ill-typed keys raise TypeError."""
        types = typing.get_type_hints(cls)
        return cls(**{
            name: types[name](**value) if dataclasses.is_dataclass(types.get(name)) else value
            for name, value in values.items()
        })
