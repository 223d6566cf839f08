"""Which runs each table needs: a pure function of the request, so it can be listed and tested."""

from __future__ import annotations

import dataclasses
import os

from dal_tf.config import ASSOCIATION_RULES
from dal_tf.utils.errors import UserInputError

REAL_SPLITS = {"prid": tuple(range(1, 11)), "ilids": tuple(range(1, 11)), "mars": (1,)}


@dataclasses.dataclass(frozen=True)
class Run:
    row: str  # the table row it averages into
    name: str  # its directory under the runs directory
    flags: tuple[str, ...]  # dal_tf.train flags besides --train_dir
    dal: bool = True  # DAL runs have the association curves of Figure 4


@dataclasses.dataclass(frozen=True)
class Request:
    table: str  # 1 | 2 | 3 | proxy | association
    dataset: str
    backbones: tuple[str, ...] = ("mobilenet",)
    data_dir: str = ""
    splits: tuple[int, ...] = ()  # empty: all of the data set's splits
    seeds: tuple[int, ...] = (0,)
    mobilenet_weights: str = "imagenet"  # imagenet, or a checkpoint or Keras weights file
    resnet50_weights: str = "imagenet"
    extra_flags: tuple[str, ...] = ()  # e.g. a smaller --max_steps for a trial


# Each variant is one set of training flags. A table row names the variant it reports, and rows of
# different tables that report the same variant share its runs: Table 1's MobileNet row, Table 2's
# L_I + L_C row and Table 3's DAL row are the same runs.
VARIANTS = {
    "dal_mobilenet": ("--backbone=mobilenet",),
    "dal_resnet50": ("--backbone=resnet50",),
    "intra_only_mobilenet": ("--backbone=mobilenet", "--loss_terms=intra"),
    "cross_only_mobilenet": ("--backbone=mobilenet", "--loss_terms=cross"),
    "supervised_mobilenet": ("--backbone=mobilenet", "--objective=supervised"),
}
NOT_DAL = ("supervised_mobilenet",)  # no association, so no Figure 4 curves


def table_rows(table: str, backbones: tuple[str, ...]) -> list[tuple[str, str]]:
    """(row name, variant) of a paper table."""
    if table == "1":
        unknown = [b for b in backbones if f"dal_{b}" not in VARIANTS]
        if unknown:
            raise UserInputError(f"--backbones={','.join(backbones)}: {', '.join(unknown)} is not mobilenet or resnet50")
        return [(f"DAL ({b})", f"dal_{b}") for b in backbones]
    if table == "2":
        return [("L_I only", "intra_only_mobilenet"), ("L_C only", "cross_only_mobilenet"),
                ("L_I + L_C (DAL)", "dal_mobilenet")]
    if table == "3":
        return [("ID-supervised (mobilenet)", "supervised_mobilenet"), ("DAL (mobilenet)", "dal_mobilenet")]
    raise ValueError(f"--table={table} is not one of 1, 2, 3, proxy")


PROXY_VARIANTS = (
    ("untrained", ["--max_steps=0"], False),
    ("DAL (L_I + L_C)", [], True),
    ("L_I only", ["--loss_terms=intra"], True),
    ("L_C only", ["--loss_terms=cross"], True),
    ("ID-supervised", ["--objective=supervised"], False),
    ("DAL, anchor_update=normalized", ["--anchor_update=normalized"], True),
)
# The proxy study's scale: 64x32 frames (the synthetic set's 128x64, halved), 800 steps, and so
# the demo's BatchNorm decay (experiments/flags/synthetic_release.flags says why).
PROXY_FLAGS = ("--dataset=synthetic", "--backbone=mobilenet", "--image_height=64", "--image_width=32",
               "--batch_size=64", "--max_steps=800", "--batchnorm_decay=0.99", "--log_every=20",
               "--checkpoint_every=400")
# The association study: the untrained network and every association rule, at command 1's setting.
# per_camera is left out: the synthetic set has two cameras, where it is the released rule bit for
# bit (tests/test_association_rules.py checks that, and checks it against its reference on three cameras).
TWO_CAMERA_DUPLICATES = ("per_camera",)
ASSOCIATION_VARIANTS = (("untrained", ["--max_steps=0"], False),
                        *((rule, [f"--association={rule}"], True) for rule in ASSOCIATION_RULES
                          if rule not in TWO_CAMERA_DUPLICATES))
FLAGS_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "flags")


def flagfile(name: str) -> tuple[str, ...]:
    """The flags of experiments/flags/NAME.flags, in order."""
    with open(os.path.join(FLAGS_DIR, f"{name}.flags")) as handle:
        return tuple(line.strip() for line in handle if line.strip() and not line.startswith("#"))


def release_flags() -> tuple[str, ...]:
    """Command 1's setting with the release's recipe (synthetic_release.flags): the studies' base,
    so that their rows stay comparable however command 1's recipe changes."""
    return flagfile("synthetic_release")


def _study_runs(request: Request, variants, base_flags: tuple[str, ...]) -> list[Run]:
    """Every variant from the ImageNet MobileNet and from random initialisation, each seed once;
    seed by seed, so that an unfinished study has every row's first seeds."""
    planned = []
    for seed in request.seeds:
        for init, weights in (("ImageNet", request.mobilenet_weights), ("random init", "none")):
            for row, flags, dal in variants:
                name = f"{request.table}/{init.replace(' ', '_')}/{row}/seed{seed}"
                planned.append(Run(f"{row}, {init}", _safe(name),
                                   (*base_flags, f"--weights={weights}", f"--seed={seed}", *flags,
                                    *request.extra_flags), dal))
    return planned


def runs(request: Request) -> list[Run]:
    if request.table == "proxy":
        return _study_runs(request, PROXY_VARIANTS, PROXY_FLAGS)
    if request.table == "association":
        return _study_runs(request, ASSOCIATION_VARIANTS, release_flags())
    splits = request.splits or REAL_SPLITS.get(request.dataset, (1,))
    planned = []
    for row, variant in table_rows(request.table, request.backbones):
        flags = VARIANTS[variant]
        weights = request.resnet50_weights if "--backbone=resnet50" in flags else request.mobilenet_weights
        for split in splits:
            for seed in request.seeds:
                data = [f"--dataset={request.dataset}", f"--split={split}", f"--seed={seed}"]
                if request.data_dir:
                    data.append(f"--data_dir={request.data_dir}")
                planned.append(Run(row, _safe(f"{request.dataset}/{variant}/split{split}/seed{seed}"),
                                   (*data, *flags, f"--weights={weights}", *request.extra_flags),
                                   variant not in NOT_DAL))
    return planned


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "/-_." else "_" for c in name).replace("__", "_")
