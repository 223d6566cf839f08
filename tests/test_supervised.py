"""The ID-supervised counterpart (Table 3): its loss, its labels, and a run through train and export."""

import json
import os

import keras
import numpy as np
import pytest
from conftest import run_module, tiny_train_flags

from dal_tf.association.model import SupervisedModel
from dal_tf.config import DataConfig
from dal_tf.datasets import registry
from dal_tf.datasets.base import Tracklet, TrackletSet
from dal_tf.runs.run_files import RUN_INFO
from dal_tf.training import setup


def test_person_classes_follow_sorted_ids_per_anchor_row():
    # Rows are camera offset + index: camera 0 holds rows 0..1, camera 1 rows 2..4.
    tracklets = TrackletSet((Tracklet(("a",), 1, 2, 7), Tracklet(("b",), 0, 0, 30), Tracklet(("c",), 1, 0, 30),
                             Tracklet(("d",), 0, 1, 7), Tracklet(("e",), 1, 1, 12)), num_cameras=2)
    classes, num_classes = setup.person_classes(setup.anchor_person_ids(tracklets))
    assert num_classes == 3
    np.testing.assert_array_equal(classes, [2, 0, 2, 1, 0])  # ids 30, 7, 30, 12, 7


def test_supervised_loss_is_label_smoothed_cross_entropy():
    backbone = keras.Sequential([keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3), keras.layers.GlobalAveragePooling2D()])
    row_classes = np.array([2, 0, 1, 1, 0])
    model = SupervisedModel(backbone, row_classes, 3, label_smoothing=0.1, weight_decay=0.0,
                            tracklets_per_camera=[2, 3])
    model.compile(optimizer=keras.optimizers.SGD(0.0))
    rng = np.random.default_rng(0)
    images = rng.uniform(-1, 1, size=(6, 8, 8, 3)).astype(np.float32)
    cameras = np.array([0, 1, 1, 0, 1, 1], np.int32)
    indices = np.array([1, 2, 0, 0, 1, 2], np.int32)
    loss = float(model.train_step((images, cameras, indices))["loss"])

    logits = backbone(images).numpy() @ model.classifier.kernel.numpy() + model.classifier.bias.numpy()
    log_probs = logits - np.log(np.exp(logits).sum(axis=1, keepdims=True))
    labels = row_classes[np.array([0, 2])[cameras] + indices]
    targets = np.full((6, 3), 0.1 / 3) + 0.9 * np.eye(3)[labels]
    np.testing.assert_allclose(loss, np.mean(-(targets * log_probs).sum(axis=1)), rtol=1e-5)


@pytest.mark.slow
def test_supervised_run_classifies_the_training_people_and_exports_only_the_backbone(tiny_synthetic_root, tmp_path):
    run_dir = str(tmp_path / "run")
    trained = run_module("dal_tf.train", tiny_train_flags(tiny_synthetic_root, run_dir, max_steps=2,
                                                          objective="supervised"))
    assert trained.returncode == 0, trained.stderr[-2000:]
    train = registry.load(DataConfig(dataset="synthetic", data_dir=tiny_synthetic_root)).train
    people = sorted({t.person_id for t in train.tracklets})
    assert f"ID-supervised: softmax over {len(people)} training people" in trained.stdout
    info = json.load(open(os.path.join(run_dir, RUN_INFO)))
    assert info["training_people"] == dict(dataset="synthetic", person_ids=people)

    export = str(tmp_path / "export")
    exported = run_module("dal_tf.export", [f"--train_dir={run_dir}", f"--out={export}"])
    assert exported.returncode == 0, exported.stderr[-2000:]
    import tensorflow as tf

    saved = tf.train.load_checkpoint(os.path.join(export, "variables", "variables")).get_variable_to_shape_map()
    assert len(saved) > 10 and not any("logits" in name or "classifier" in name for name in saved), sorted(saved)
    refused = run_module("dal_tf.train", tiny_train_flags(tiny_synthetic_root, run_dir, max_steps=4))
    assert refused.returncode != 0 and "other objective settings" in refused.stderr
