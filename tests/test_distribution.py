"""tf.distribute, mixed precision and XLA against one device in float32 (tests/distributed_equivalence.py
runs each in a fresh process split into two logical CPU devices)."""

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO, run_module, tiny_train_flags


def differences(mode: str) -> dict:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONPATH=REPO)
    result = subprocess.run([sys.executable, os.path.join(REPO, "tests", "distributed_equivalence.py"), mode],
                            capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


def test_two_replicas_train_like_one_device_and_their_checkpoint_restores_on_one():
    found = differences("mirrored")
    assert found["replicas"] == 2
    assert found["merged"] > 0  # cross-camera association ran, so the cyclic ranking is compared too
    assert found["loss"] < 1e-5 and found["state"] < 1e-5, found
    assert found["restored"] == 0.0


def test_xla_matches_plain_tensorflow():
    found = differences("jit")
    assert found["loss"] < 1e-5 and found["state"] < 1e-5, found


def test_mixed_precision_stays_close_to_float32():
    found = differences("mixed")
    assert found["loss"] < 1e-3 and found["state"] < 1e-2, found


@pytest.mark.parametrize("flags", [dict(strategy="mirrored", jit_compile=True), dict(mixed_precision=True)])
def test_training_runs_and_resumes_under_other_settings(tiny_synthetic_root, tmp_path, flags):
    run_dir = str(tmp_path / "run")
    first = run_module("dal_tf.train", tiny_train_flags(tiny_synthetic_root, run_dir, max_steps=2, **flags))
    assert first.returncode == 0, first.stderr[-2000:]
    # A checkpoint written with these settings resumes with the default strategy and no XLA.
    again = run_module("dal_tf.train", tiny_train_flags(tiny_synthetic_root, run_dir, max_steps=3,
                                                        mixed_precision=flags.get("mixed_precision", False)))
    assert again.returncode == 0, again.stderr[-2000:]
    assert "resumed from" in again.stdout and "at step 2" in again.stdout


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("localhost", 0))
        return sock.getsockname()[1]


def test_two_workers_train_one_model(tiny_synthetic_root, tmp_path):
    run_dir = str(tmp_path / "run")
    workers = [f"localhost:{free_port()}", f"localhost:{free_port()}"]
    processes = []
    for index in range(2):
        tf_config = json.dumps({"cluster": {"worker": workers}, "task": {"type": "worker", "index": index}})
        env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", TF_CONFIG=tf_config)
        processes.append(subprocess.Popen(
            [sys.executable, "-m", "dal_tf.train",
             *tiny_train_flags(tiny_synthetic_root, run_dir, max_steps=3, strategy="multiworker")],
            cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True))
    outputs = [p.communicate(timeout=600) for p in processes]
    for process, (_, stderr) in zip(processes, outputs):
        assert process.returncode == 0, stderr[-2000:]
    # Both workers computed the same global steps; only the chief (worker 0) wrote the run's files.
    losses = [[line for line in stdout.splitlines() if line.startswith("step ")] for stdout, _ in outputs]
    assert len(losses[0]) == 3 and [l.split(" (")[0] for l in losses[0]] == [l.split(" (")[0] for l in losses[1]]
    assert sorted(os.listdir(run_dir)) == ["checkpoints", "config.json", "logs", "results.json", "run_info.json"]
    # Only the chief evaluates.
    assert "| model |" in outputs[0][0] and "| model |" not in outputs[1][0]
    assert "the chief worker evaluates" in outputs[1][0]
