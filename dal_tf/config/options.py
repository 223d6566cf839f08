"""What every config object shares: a field that is also a flag (option), the check of its
choices (Checked) and of its values (require), and the names of the choices."""

from __future__ import annotations

import dataclasses
import os

from dal_tf.utils.errors import UserInputError

BACKBONES = ("mobilenet", "resnet50")
POOLINGS = ("max", "mean")
PROTOCOLS = ("mars", "torchreid", "single_shot")
PROBE_CAMS = ("1", "2", "both")
STRATEGIES = ("default", "mirrored", "multiworker")
# The names of dal_tf.association.rules.RULES, the cross-camera association rules (that registry checks it).
ASSOCIATION_RULES = ("released", "camera_debiased", "ratio_test", "debiased_ratio_test", "persistent", "per_camera",
                     "clusters")
FOLDERS = "folders"  # users' own tracklets: DIR/<camera>/<tracklet>/<frames>


def option(default, help: str, choices: tuple[str, ...] = ()):  # noqa: A002 - absl's word for it
    """A config field that is also a flag: its default, its --help text and, for a choice, the values."""
    return dataclasses.field(default=default, metadata=dict(help=help, choices=choices))


def default_cache_dir() -> str:
    return os.environ.get("DAL_TF_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "dal_tf"))


class Checked:
    """Refuses a value outside a field's choices, naming the flag (an empty default means "the
    model's or data set's own" and stays allowed)."""

    def __post_init__(self):
        for field in dataclasses.fields(self):
            choices = field.metadata.get("choices")
            value = getattr(self, field.name)
            if choices and value not in choices and not (value == "" == field.default):
                raise UserInputError(f"--{field.name}={getattr(self, field.name)!r} is not one of {', '.join(choices)}")


def require(condition: bool, message: str):
    if not condition:
        raise UserInputError(message)
