"""Plain configuration objects. Entry points build them from flags; nothing below reads FLAGS."""

from __future__ import annotations

import dataclasses
import os


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
