"""The authors' own training step as an oracle: run ../shared's release runner (the release's
unmodified TF1 graph), then load its saved training states into a dal_tf model built through
dal_tf's own config, run dal_tf's step on the same batches and compare.

The runner needs tf-slim and tf-keras in a folder of their own, named by DAL_RELEASE_SITE
(requirements-release.txt; .ci/run installs them); without it or ../shared the tests skip.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf
from conftest import REPO

from dal_tf.association import ranking
from dal_tf.config import ModelConfig, OptimConfig, TrainConfig
from dal_tf.datasets.base import ReidDataset, Tracklet, TrackletSet
from dal_tf.networks.slim_checkpoint import slim_variables
from dal_tf.training import distribution
from dal_tf.training.setup import build_model

sys.path.insert(0, os.path.join(REPO, "benchmarks"))
from release_worker import RUNNER, unavailable  # noqa: E402  (the one check of the runner and its packages)


def release_site() -> str:
    """The folder holding tf-slim and tf-keras for the runner, or a skip."""
    reason = unavailable()
    if reason:
        pytest.skip(reason)
    return os.environ["DAL_RELEASE_SITE"]


def run_release(out: str, *args: str) -> dict:
    """release_steps.py --out OUT ARGS; returns its meta.json."""
    env = dict(os.environ, DAL_RELEASE_SITE=release_site(), TF_CPP_MIN_LOG_LEVEL="2")
    result = subprocess.run([sys.executable, RUNNER, "--out", out, *args], env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    with open(os.path.join(out, "meta.json")) as f:
        return json.load(f)


def release_dataset(batches, meta) -> ReidDataset:
    """The runner's frames as a dal_tf data set (training only reads its sizes here)."""
    cameras, indices = batches["frame_camera"], batches["frame_index"]
    tracklets = [Tracklet(tuple(f"frame{k}" for k in np.flatnonzero((cameras == c) & (indices == i))), c, i)
                 for c, n in enumerate(meta["tracklets_per_camera"]) for i in range(n)]
    train = TrackletSet(tuple(tracklets), len(meta["tracklets_per_camera"]))
    empty = TrackletSet((), train.num_cameras)
    return ReidDataset("release", train, empty, empty, warmup_epochs=meta["settings"]["warm_up_epochs"])


def release_config(meta, out: str, **model) -> TrainConfig:
    """The release's settings in dal_tf's config, from the runner's initial checkpoint."""
    return TrainConfig(
        model=ModelConfig(weights=os.path.join(out, "init.ckpt"), image_height=meta["image_height"],
                          image_width=meta["image_width"], **model),
        optim=OptimConfig(epochs_per_decay=meta["num_epochs_per_decay"]), batch_size=meta["batch_size"],
        max_steps=meta["steps"])


def build_release_model(out: str):
    """(dal_tf model, its one-device step, the runner's batches and meta) for the run in `out`."""
    with open(os.path.join(out, "meta.json")) as f:
        meta = json.load(f)
    batches = dict(np.load(os.path.join(out, "batches.npz")))
    dataset = release_dataset(batches, meta)
    assert dataset.train.num_frames == meta["num_samples"]
    model = build_model(release_config(meta, out), dataset, meta["steps"], log=lambda *_: None)
    return model, distribution.step_function(model, tf.distribute.get_strategy()), batches, meta


def batch(batches, step: int):
    """Step `step`'s batch as dal_tf takes it: the release's preprocessed frames, 0-based ids."""
    return (tf.constant(batches["images"][step]), tf.constant(batches["cams"][step] - 1, tf.int32),
            tf.constant(batches["labels"][step] - 1, tf.int32))


def state_variables(model) -> dict[str, dict]:
    """{group: {name: variable}} in the runner's state_NNN.npz naming (slim names, per camera)."""
    names = slim_variables(model.backbone, "MobilenetV1")
    trainable = {name: v for name, v in names.items() if v.trainable}
    shadows = {id(v): s for v, s in zip(model.backbone.trainable_variables, model.ema.shadows)}
    slots = {name: model.optimizer.slots(v) for name, v in trainable.items()}
    return dict(
        weights=trainable, rms={n: s["rms"] for n, s in slots.items()},
        momentum={n: s["momentum"] for n, s in slots.items()},
        ema={name: shadows[id(v)] for name, v in trainable.items()},
        moving={name: v for name, v in names.items() if "/moving_" in name},
    )


def anchor_tables(model, counts) -> dict[str, np.ndarray]:
    """The flat anchor tables split per camera, as the release keeps them."""
    offsets = ranking.camera_offsets(counts)
    tables = {}
    for group, table in (("intra", model.anchors.intra), ("cross", model.anchors.cross)):
        values = table.numpy()
        for c, n in enumerate(counts):
            tables[f"{group}/{c}"] = values[offsets[c]:offsets[c] + n]
    return tables


def read_state(model, counts) -> dict[str, np.ndarray]:
    state = {f"{group}/{name}": np.asarray(v.numpy() if hasattr(v, "numpy") else v)
             for group, variables in state_variables(model).items() for name, v in variables.items()}
    state.update(anchor_tables(model, counts))
    state["global_step/global_step"] = np.asarray(int(model.step.numpy()))
    return state


def load_state(model, state, counts):
    """Puts a runner state (state_NNN.npz) into the model: every weight, slot, shadow, moving
    statistic, anchor and the step."""
    for group, variables in state_variables(model).items():
        for name, v in variables.items():
            v.assign(state[f"{group}/{name}"])
    for group, table in (("intra", model.anchors.intra), ("cross", model.anchors.cross)):
        table.assign(np.concatenate([state[f"{group}/{c}"] for c in range(len(counts))]))
    step = int(state["global_step/global_step"])
    model.step.assign(step)
    model.optimizer.iterations.assign(step)


def relative_error(ours: np.ndarray, theirs: np.ndarray) -> float:
    """max |ours - theirs| over max |theirs| (0 where both are 0)."""
    scale = float(np.max(np.abs(theirs))) if np.size(theirs) else 0.0
    difference = float(np.max(np.abs(ours.astype(np.float64) - theirs))) if np.size(theirs) else 0.0
    return difference / scale if scale else difference
