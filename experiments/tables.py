"""Which runs each table needs: a pure function of the request, so it can be listed and tested."""

from __future__ import annotations

import dataclasses

REAL_SPLITS = {"prid": tuple(range(1, 11)), "ilids": tuple(range(1, 11)), "mars": (1,)}


@dataclasses.dataclass(frozen=True)
class Run:
    row: str  # the table row it averages into
    name: str  # its directory under the runs directory
    flags: tuple[str, ...]  # dal_tf.train flags besides --train_dir
    dal: bool = True  # DAL runs have the association curves of Figure 4


@dataclasses.dataclass(frozen=True)
class Request:
    table: str  # 1 | 2 | 3 | proxy
    dataset: str
    backbones: tuple[str, ...] = ("mobilenet",)
    data_dir: str = ""
    splits: tuple[int, ...] = ()  # empty: all of the data set's splits
    seeds: tuple[int, ...] = (0,)
    weights: str = "imagenet"  # imagenet or a Keras weights file for MobileNet
    extra_flags: tuple[str, ...] = ()  # e.g. a smaller --max_steps for a trial


def _variants(table: str, backbones: tuple[str, ...]) -> list[tuple[str, list[str], bool]]:
    """(row name, flags, is DAL) per variant of a paper table."""
    if table == "1":
        return [(f"DAL ({b})", [f"--backbone={b}"], True) for b in backbones]
    if table == "2":
        return [(row, ["--backbone=mobilenet", f"--loss_terms={terms}"], True)
                for row, terms in (("L_I only", "intra"), ("L_C only", "cross"), ("L_I + L_C (DAL)", "both"))]
    if table == "3":
        return [("ID-supervised (mobilenet)", ["--backbone=mobilenet", "--objective=supervised"], False),
                ("DAL (mobilenet)", ["--backbone=mobilenet"], True)]
    raise ValueError(f"--table={table} is not one of 1, 2, 3, proxy")


PROXY_VARIANTS = (
    ("untrained", ["--max_steps=0"], False),
    ("DAL (L_I + L_C)", [], True),
    ("L_I only", ["--loss_terms=intra"], True),
    ("L_C only", ["--loss_terms=cross"], True),
    ("ID-supervised", ["--objective=supervised"], False),
    ("DAL, anchor_update=normalized", ["--anchor_update=normalized"], True),
)
# The proxy study's scale: 64x32 frames (the synthetic set's 128x64, halved), 800 steps.
PROXY_FLAGS = ("--dataset=synthetic", "--backbone=mobilenet", "--image_height=64", "--image_width=32",
               "--batch_size=64", "--max_steps=800", "--log_every=20", "--checkpoint_every=400")


def runs(request: Request) -> list[Run]:
    if request.table == "proxy":
        planned = []
        for init, weights in (("ImageNet", request.weights), ("random init", "none")):
            for row, flags, dal in PROXY_VARIANTS:
                for seed in request.seeds:
                    name = f"proxy/{init.replace(' ', '_')}/{row}/seed{seed}"
                    planned.append(Run(f"{row}, {init}", _safe(name),
                                       (*PROXY_FLAGS, f"--weights={weights}", f"--seed={seed}", *flags,
                                        *request.extra_flags), dal))
        return planned
    splits = request.splits or REAL_SPLITS.get(request.dataset, (1,))
    planned = []
    for row, flags, dal in _variants(request.table, request.backbones):
        for split in splits:
            for seed in request.seeds:
                name = _safe(f"table{request.table}/{request.dataset}/{row}/split{split}/seed{seed}")
                data = [f"--dataset={request.dataset}", f"--split={split}", f"--seed={seed}"]
                if request.data_dir:
                    data.append(f"--data_dir={request.data_dir}")
                weights = [f"--weights={request.weights}"] if "--backbone=mobilenet" in flags else []
                planned.append(Run(row, name, (*data, *flags, *weights, *request.extra_flags), dal))
    return planned


def _safe(name: str) -> str:
    return "".join(c if c.isalnum() or c in "/-_." else "_" for c in name).replace("__", "_")
