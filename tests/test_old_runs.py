"""Runs written by dal_tf 0.1.0, before the library moved into subpackages, still load: their
config.json reads back, and a run trained now saves the same checkpoint layout (object paths, not
module paths, name every variable), so their checkpoints resume, evaluate and export.

tests/data/run_0.1.0 holds the small files of a 2-step run that 0.1.0 (commit 4d8dd70) trained
with these tests' tiny flags, and the names of every variable in its checkpoint."""

import dataclasses
import json
import os

import pytest
import tensorflow as tf
from conftest import run_module, tiny_train_flags

import dal_tf
from dal_tf.runs.run_files import read_config

OLD_RUN = os.path.join(os.path.dirname(__file__), "data", "run_0.1.0")


def flattened(tree: dict, prefix: str = "") -> dict:
    out = {}
    for key, value in tree.items():
        out.update(flattened(value, f"{prefix}{key}.") if isinstance(value, dict) else {prefix + key: value})
    return out


def test_a_config_json_of_0_1_0_reads_back_with_every_value():
    with open(os.path.join(OLD_RUN, "config.json")) as handle:
        written = flattened(json.load(handle))
    read = flattened(dataclasses.asdict(read_config(OLD_RUN)))
    assert {key: read[key] for key in written} == written


@pytest.mark.slow
def test_a_run_trained_now_keeps_the_checkpoint_layout_of_0_1_0(tiny_synthetic_root, tmp_path):
    with open(os.path.join(OLD_RUN, "config.json")) as handle:
        old = json.load(handle)
    assert old["association"]["association"] == "released" and old["max_steps"] == 2
    result = run_module("dal_tf.train", tiny_train_flags(tiny_synthetic_root, str(tmp_path / "run"), max_steps=2))
    assert result.returncode == 0, result.stderr[-2000:]
    keys = sorted(k for k, _ in tf.train.list_variables(str(tmp_path / "run" / "checkpoints" / "ckpt-2"))
                  if k != "_CHECKPOINTABLE_OBJECT_GRAPH")
    with open(os.path.join(OLD_RUN, "checkpoint_keys.txt")) as handle:
        assert keys == handle.read().split()
    with open(tmp_path / "run" / "run_info.json") as handle:
        assert json.load(handle)["dal_tf_version"] == dal_tf.__version__
