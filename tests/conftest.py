import os
import subprocess
import sys

import pytest

from dal_tf.datasets.synthetic import SyntheticSpec, generate

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
SHARED = os.path.join(os.path.dirname(REPO), "shared")
MOBILENET_WEIGHTS = os.path.join(SHARED, "weights", "mobilenet_v1_1.0_no_top.weights.h5")


@pytest.fixture(scope="session")
def tiny_synthetic_root(tmp_path_factory):
    return generate(str(tmp_path_factory.mktemp("tiny_synthetic")), SyntheticSpec.tiny())


def tiny_train_flags(data_dir: str, train_dir: str, **overrides) -> list[str]:
    """Flags for a seconds-long training run: a narrow MobileNet on 64x32 frames."""
    values = dict(dataset="synthetic", data_dir=data_dir, train_dir=train_dir, weights="none", alpha=0.25,
                  image_height=64, image_width=32, batch_size=8, eval_batch_size=16, log_every=1,
                  checkpoint_every=2, warmup_epochs=0.5)
    values.update(overrides)
    return [f"--{name}={value}" for name, value in values.items()]


def run_module(module: str, args: list[str], **kwargs) -> subprocess.CompletedProcess:
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2", PYTHONUNBUFFERED="1")
    return subprocess.run([sys.executable, "-m", module, *args], cwd=REPO, env=env, capture_output=True, text=True,
                          **kwargs)


def only_error_line(result: subprocess.CompletedProcess, module: str) -> str:
    """The error of a refused command, which must be its one line on stderr (no traceback or log above it)."""
    lines = result.stderr.strip().splitlines()
    assert result.returncode != 0 and len(lines) == 1, result.stderr[-3000:]
    assert lines[0].startswith(f"{module}: error: "), lines[0]
    return lines[0]
