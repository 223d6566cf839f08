"""The files of a training directory beside its checkpoints.

    config.json    the run's TrainConfig
    run_info.json  the anchor table sizes, and who the training people were (held back like
                   person ids: never read by training, only to refuse evaluating a model on
                   people it trained on)
    results.json   the final evaluation
    merges.csv     tracklet,partner: the cross-camera merges of the final anchor tables, each
                   tracklet named <camera>/<tracklet> by its frames' folders
"""

from __future__ import annotations

import json
import os

from dal_tf.config import TrainConfig
from dal_tf.utils.errors import UserInputError

CONFIG = "config.json"
RUN_INFO = "run_info.json"
RESULTS = "results.json"
MERGES = "merges.csv"
MERGE_COLUMNS = ["tracklet", "partner"]
# Settings that fix the shape of what a checkpoint holds or what its anchors mean: a rerun in the
# same --train_dir must agree on them to resume.
RESUME_KEYS = ("data", "model", "association", "batch_size", "seed", "objective", "mixed_precision")


def read_run_json(train_dir: str, name: str) -> dict:
    path = os.path.join(train_dir, name)
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        raise UserInputError(f"--train_dir={train_dir}: cannot read {name} ({error})".splitlines()[0]) from error


def training_people(train_dir: str) -> dict | None:
    """The training people run_info.json records; None for a run from before they were recorded."""
    return read_run_json(train_dir, RUN_INFO).get("training_people")


def read_config(train_dir: str) -> TrainConfig:
    try:
        return TrainConfig.from_dict(read_run_json(train_dir, CONFIG))
    except TypeError as error:
        raise UserInputError(f"--train_dir={train_dir}: {CONFIG} does not fit this dal_tf ({error})") from error


def check_resumable(config: TrainConfig, train_dir: str):
    """Refuses to resume a --train_dir written with settings that change the checkpoint."""
    if not os.path.exists(os.path.join(train_dir, CONFIG)):
        return
    # Read back as a TrainConfig: options added since the run was written take their defaults
    # (a run from before --association resumes with the released rule it was trained with).
    saved = read_config(train_dir).to_dict()
    current = config.to_dict()
    for key in RESUME_KEYS:
        if saved[key] != current[key]:
            raise UserInputError(
                f"--train_dir={train_dir} holds a run with other {key} settings ({saved[key]} vs {current[key]}); "
                "use a new --train_dir"
            )


def merges_csv(names: list[str], partners) -> str:
    """names: each anchor row's tracklet; partners [N, P]: rows merged with it, -1 for none."""
    lines = [",".join(MERGE_COLUMNS)]
    for row, merged in enumerate(partners.tolist()):
        lines += [f"{names[row]},{names[other]}" for other in merged if other >= 0]
    return "\n".join(lines) + "\n"


def read_merges(train_dir: str) -> list[tuple[str, str]]:
    """(tracklet, partner) of every merge a run logged."""
    import csv

    path = os.path.join(train_dir, MERGES)
    try:
        with open(path, newline="") as handle:
            return [(row["tracklet"], row["partner"]) for row in csv.DictReader(handle)]
    except (OSError, KeyError) as error:
        raise UserInputError(f"--train_dir={train_dir}: cannot read {MERGES} ({error}); runs of this dal_tf "
                             "write it") from error
