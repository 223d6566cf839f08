"""End-to-end training behaviour: resume after a kill, bad input, evaluation-only runs."""

import json
import os
import re
import signal
import subprocess
import sys

import numpy as np
import pytest
import tensorflow as tf

from conftest import REPO, only_error_line, run_module, tiny_train_flags

pytestmark = pytest.mark.slow  # every test here runs an entry point


def checkpoint_values(path: str) -> dict:
    reader = tf.train.load_checkpoint(path)
    return {name: reader.get_tensor(name) for name in reader.get_variable_to_shape_map()
            if not name.startswith("_CHECKPOINTABLE_OBJECT_GRAPH")}


def train_until_killed(args: list[str], kill_after_step: int) -> str:
    """Starts training and SIGKILLs it as soon as it reports the checkpoint of kill_after_step."""
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "dal_tf.train", *args], cwd=REPO, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if line.startswith(f"checkpoint at step {kill_after_step}:"):
            proc.send_signal(signal.SIGKILL)
            break
    proc.wait()
    assert proc.returncode == -signal.SIGKILL, "".join(seen[-20:])
    return "".join(seen)


# --augment's draws follow the frame's place in the stream; --parts adds tables to the checkpoint;
# --loss=contrast's terms switch on with the association; --association=clusters re-clusters between steps.
@pytest.mark.parametrize("options", [dict(), dict(augment="true", parts=2, loss="contrast", association="clusters",
                                                  cluster_every=2)])
def test_killed_run_resumes_to_the_same_state_as_an_uninterrupted_one(tiny_synthetic_root, tmp_path, options):
    final_step = 10
    straight = str(tmp_path / "straight")
    interrupted = str(tmp_path / "interrupted")
    common = dict(deterministic="true", max_steps=final_step, **options)

    done = run_module("dal_tf.train", tiny_train_flags(tiny_synthetic_root, straight, **common))
    assert done.returncode == 0, done.stderr[-2000:]

    # The killed run aims much further, so the kill lands mid-training whatever the timing.
    train_until_killed(tiny_train_flags(tiny_synthetic_root, interrupted, **dict(common, max_steps=1000)),
                       kill_after_step=4)
    latest = tf.train.latest_checkpoint(os.path.join(interrupted, "checkpoints"))
    killed_at = int(latest.rsplit("-", 1)[1])
    assert 4 <= killed_at < final_step
    saved = checkpoint_values(latest)

    resumed = run_module("dal_tf.train", tiny_train_flags(tiny_synthetic_root, interrupted, **common))
    assert resumed.returncode == 0, resumed.stderr[-2000:]
    assert f"resumed from {latest} at step {killed_at}" in resumed.stdout

    a = checkpoint_values(os.path.join(straight, "checkpoints", f"ckpt-{final_step}"))
    b = checkpoint_values(os.path.join(interrupted, "checkpoints", f"ckpt-{final_step}"))
    assert a.keys() == b.keys()
    anchors = [k for k in a if k.startswith("anchors")]  # anchors/, then anchors_part1/ ... for --parts
    optimizer_slots = [k for k in a if k.startswith("optimizer/") and "iteration" not in k]
    tables = [k for k in anchors if "/state/" not in k]  # intra, cross, partner; a rule's state beside them
    assert len(tables) == 3 * (1 + options.get("parts", 0)) and optimizer_slots
    for name in a:
        np.testing.assert_allclose(a[name], b[name], rtol=1e-5, atol=1e-6, err_msg=name)
    iterations = [k for k in a if k.startswith("optimizer/") and "iteration" in k]
    assert [int(a[k]) for k in iterations] == [final_step]
    # The checkpoint the kill left behind held real progress: anchors filled in, step counted.
    assert int(saved[iterations[0]]) == killed_at
    assert all(np.any(saved[k] != 0) for k in anchors if "/intra/" in k)

    # So the evaluation agrees too.
    results = json.load(open(os.path.join(interrupted, "results.json")))
    expected = json.load(open(os.path.join(straight, "results.json")))
    assert results["step"] == expected["step"] == final_step
    for name in ("rank1", "rank5", "mAP", "mINP"):
        assert results["scores"][name] == pytest.approx(expected["scores"][name], abs=1e-6), name


def test_a_run_past_max_steps_is_not_evaluated_as_if_it_were_untrained(tiny_synthetic_root, tmp_path):
    run_dir = str(tmp_path / "run")
    trained = run_module("dal_tf.train", tiny_train_flags(tiny_synthetic_root, run_dir, max_steps=2))
    assert trained.returncode == 0, trained.stderr[-2000:]
    before = os.listdir(os.path.join(run_dir, "checkpoints"))
    for steps, message in ((0, "--max_steps=0 evaluates the network as initialised, but --train_dir="),
                           (1, "holds a run trained to step 2, beyond --max_steps=1")):
        refused = run_module("dal_tf.train", tiny_train_flags(tiny_synthetic_root, run_dir, max_steps=steps))
        assert message in only_error_line(refused, "dal_tf.train")
    assert os.listdir(os.path.join(run_dir, "checkpoints")) == before


def test_resume_refuses_other_settings(tiny_synthetic_root, tmp_path):
    run_dir = str(tmp_path / "run")
    first = run_module("dal_tf.train", tiny_train_flags(tiny_synthetic_root, run_dir, max_steps=0))
    assert first.returncode == 0, first.stderr[-2000:]
    second = run_module("dal_tf.train", tiny_train_flags(tiny_synthetic_root, run_dir, max_steps=0, margin=0.2))
    assert "holds a run with other association settings" in only_error_line(second, "dal_tf.train")


@pytest.mark.parametrize("flags, tables, refreshes", [
    (dict(association="persistent", association_visits=2), {"candidate", "streak"}, False),
    (dict(association="clusters", cluster_every=2, cluster_eps=0.9), {"partners"}, True),
])
def test_a_rule_with_state_trains_and_resumes(tiny_synthetic_root, tmp_path, flags, tables, refreshes):
    """A rule's state tables are in the checkpoint and a rerun resumes them (another rule would be
    refused, as any other association setting is above); a rule recomputed between steps says so."""
    run_dir = str(tmp_path / "run")
    flags = dict(flags, warmup_epochs=0.1)
    first = run_module("dal_tf.train", tiny_train_flags(tiny_synthetic_root, run_dir, max_steps=4, **flags))
    assert first.returncode == 0, first.stderr[-2000:]
    said = [int(line.split()[1].rstrip(":")) for line in first.stdout.splitlines() if "association refreshed" in line]
    # Clustered when the warm-up ends, then every --cluster_every steps.
    warmup = int(re.search(r"cross-camera association from step (\d+)", first.stdout).group(1))
    assert said == (list(range(warmup, 5, 2)) if refreshes else []) and (said or not refreshes)
    saved = checkpoint_values(os.path.join(run_dir, "checkpoints", "ckpt-4"))
    assert {k.split("/")[2] for k in saved if k.startswith("anchors/state/")} == tables
    again = run_module("dal_tf.train", tiny_train_flags(tiny_synthetic_root, run_dir, max_steps=5, **flags))
    assert again.returncode == 0, again.stderr[-2000:]
    assert "resumed from" in again.stdout and "at step 4" in again.stdout
