"""SavedModel export: usable without dal_tf, equal to the in-process EMA model, clear errors."""

import glob
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest
from conftest import only_error_line, run_module, tiny_train_flags

from dal_tf.datasets import input_pipeline
from dal_tf.evaluation import features
from dal_tf.runs import checkpoints

pytestmark = pytest.mark.slow  # every test here runs an entry point

# Runs in a fresh interpreter in which dal_tf cannot be imported (a None entry in sys.modules makes
# any import of it fail), so the export must work with TensorFlow alone.
LOAD_AND_EMBED = """
import sys
sys.modules["dal_tf"] = None
import numpy as np
import tensorflow as tf
export, frames_path, out_prefix = sys.argv[1:]
loaded = tf.saved_model.load(export)
frames = tf.constant(np.load(frames_path))
np.save(out_prefix + "frames.npy", loaded.signatures["embed_frames"](images=frames)["embeddings"].numpy())
np.save(out_prefix + "tracklet.npy", loaded.signatures["embed_tracklet"](images=frames)["embedding"].numpy())
"""


def test_export_matches_the_ema_model_without_dal_tf(tiny_synthetic_root, tmp_path):
    run_dir, out = str(tmp_path / "run"), str(tmp_path / "export")
    trained = run_module("dal_tf.train", tiny_train_flags(tiny_synthetic_root, run_dir, max_steps=2))
    assert trained.returncode == 0, trained.stderr[-2000:]
    exported = run_module("dal_tf.export", [f"--train_dir={run_dir}", f"--out={out}"])
    assert exported.returncode == 0, exported.stderr[-2000:]
    metadata = json.load(open(os.path.join(out, "dal_tf_export.json")))
    assert metadata["step"] == 2 and metadata["image_height"] == 64 and metadata["backbone"] == "mobilenet"

    # Frames at another size than the training 64x32, so the export's resize is exercised.
    paths = sorted(glob.glob(os.path.join(tiny_synthetic_root, "**", "*.png"), recursive=True))[:5]
    frames = np.stack([cv2.resize(cv2.cvtColor(cv2.imread(p), cv2.COLOR_BGR2RGB), (40, 96)) for p in paths])
    assert frames.dtype == np.uint8 and frames.shape == (5, 96, 40, 3)
    np.save(tmp_path / "frames.npy", frames)
    loaded = subprocess.run([sys.executable, "-c", LOAD_AND_EMBED, out, str(tmp_path / "frames.npy"),
                             str(tmp_path / "out_")], cwd=str(tmp_path), capture_output=True, text=True,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert loaded.returncode == 0, loaded.stderr[-2000:]
    frame_embeddings = np.load(tmp_path / "out_frames.npy")
    tracklet_embedding = np.load(tmp_path / "out_tracklet.npy")

    model, config = checkpoints.restore_for_inference(run_dir)
    # Inference builds the network and its averages only: no anchor tables, no optimiser state.
    backbone_variables = {id(v) for v in model.backbone.variables}
    others = [v for v in model.variables if id(v) not in backbone_variables]
    assert len(others) == len(model.backbone.trainable_variables)  # the EMA shadows, one per weight
    assert not hasattr(model, "anchors")
    m = config.model
    images = input_pipeline.prepare_frames(frames, m.image_height, m.image_width)
    with model.averaged_weights():
        expected = model(images, training=False).numpy()
    pooler = features.TrackletPooler(1, expected.shape[1], "max")
    pooler.add(expected, np.zeros(len(expected), np.int64))
    np.testing.assert_allclose(frame_embeddings, features.l2_normalize_rows(expected), atol=1e-5)
    np.testing.assert_allclose(tracklet_embedding, pooler.result()[0], atol=1e-5)
    assert frame_embeddings.shape == (5, metadata["feature_dim"])
    # The export holds the averages, not the last training weights.
    raw = features.l2_normalize_rows(model(images, training=False).numpy())
    assert np.abs(raw - frame_embeddings).max() > 1e-3

    # The interpreter's own saved_model_cli, which works from a virtual environment that is not activated.
    shown = subprocess.run([sys.executable, "-m", "tensorflow.python.tools.saved_model_cli", "show", "--dir", out,
                            "--all"], capture_output=True, text=True)
    assert shown.returncode == 0, shown.stderr[-2000:]
    assert "signature_def['embed_frames']" in shown.stdout and "signature_def['embed_tracklet']" in shown.stdout

    # An earlier export is replaced; any other existing path is refused.
    again = run_module("dal_tf.export", [f"--train_dir={run_dir}", f"--out={out}"])
    assert again.returncode == 0, again.stderr[-2000:]
    assert sorted(os.listdir(tmp_path)).count("export") == 1 and not glob.glob(str(tmp_path / ".*export-*"))
    refused = run_module("dal_tf.export", [f"--train_dir={run_dir}", f"--out={run_dir}"])
    assert "is not a dal_tf export" in only_error_line(refused, "dal_tf.export")


def test_export_without_checkpoint_gives_one_line_error(tmp_path):
    empty = tmp_path / "empty_run"
    empty.mkdir()
    result = run_module("dal_tf.export", [f"--train_dir={empty}", f"--out={tmp_path / 'export'}"])
    assert "has no checkpoint" in only_error_line(result, "dal_tf.export")
    assert not os.path.exists(tmp_path / "export")
