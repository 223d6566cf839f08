"""Input pipeline order, tracklet pooling and the paper's mean anchor initialisation."""

import dataclasses

import keras
import numpy as np
import pytest
import tensorflow as tf

from dal_tf.association.model import DALModel
from dal_tf.config import AssociationConfig, DataConfig
from dal_tf.datasets import input_pipeline, registry
from dal_tf.datasets.base import TrackletSet
from dal_tf.evaluation.features import TrackletPooler


def test_frame_order_is_a_permutation_per_epoch_and_resumes_exactly():
    n, batch = 10, 4
    full = [int(i) for i in input_pipeline.frame_order(n, seed=3, first_step=0, batch_size=batch).take(40)]
    for epoch in range(4):
        assert sorted(full[epoch * n:(epoch + 1) * n]) == list(range(n))
    assert full[:n] != full[n:2 * n]  # a fresh permutation each epoch
    resumed = [int(i) for i in input_pipeline.frame_order(n, seed=3, first_step=3, batch_size=batch).take(28)]
    assert resumed == full[12:40]
    other_seed = [int(i) for i in input_pipeline.frame_order(n, seed=4, first_step=0, batch_size=batch).take(n)]
    assert other_seed != full[:n]


def test_training_batches_carry_no_identity(tiny_synthetic_root):
    """Batches hold images, cameras and within-camera indices only: the same tracklets with their
    person ids scrambled or removed give bit-identical batches."""
    train = registry.load(DataConfig(data_dir=tiny_synthetic_root)).train
    scrambled = np.random.default_rng(0).permutation([t.person_id for t in train.tracklets])
    variants = [train, TrackletSet(tuple(dataclasses.replace(t, person_id=int(p))
                                         for t, p in zip(train.tracklets, scrambled)), train.num_cameras),
                TrackletSet(tuple(dataclasses.replace(t, person_id=None) for t in train.tracklets), train.num_cameras)]
    runs = [list(input_pipeline.training_dataset(v, 8, 64, 32, seed=0).take(3)) for v in variants]
    assert [spec.shape.as_list() for spec in input_pipeline.training_dataset(train, 8, 64, 32, 0).element_spec] == [
        [8, 64, 32, 3], [8], [8]]
    for other in runs[1:]:
        for batch, same in zip(runs[0], other):
            for a, b in zip(batch, same):
                np.testing.assert_array_equal(a.numpy(), b.numpy())
    counts = train.tracklets_per_camera
    for _, cameras, indices in runs[0]:
        assert all(0 <= i < counts[c] for c, i in zip(cameras.numpy(), indices.numpy()))


@pytest.mark.parametrize("pooling", ["max", "mean"])
def test_pooler_matches_per_tracklet_numpy(pooling):
    rng = np.random.default_rng(0)
    frames = rng.normal(size=(50, 6)).astype(np.float32)
    owners = rng.integers(0, 7, size=50)
    owners[:7] = np.arange(7)  # every tracklet has a frame
    pooler = TrackletPooler(7, 6, pooling)
    for start in range(0, 50, 16):  # streamed in batches that split tracklets
        pooler.add(frames[start:start + 16], owners[start:start + 16])
    unit = frames / np.linalg.norm(frames, axis=1, keepdims=True)
    expected = np.stack([(unit[owners == t].max(0) if pooling == "max" else unit[owners == t].mean(0))
                         for t in range(7)])
    expected /= np.linalg.norm(expected, axis=1, keepdims=True)
    np.testing.assert_allclose(pooler.result(), expected, atol=1e-6)


def test_mean_anchor_initialisation_matches_numpy():
    # A small conv net: features of ordinary magnitude (a random MobileNet in inference mode
    # gives near-zero ones, which the release's l2 epsilon leaves unnormalised).
    backbone = keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(16, 3),
                                 keras.layers.GlobalAveragePooling2D()])
    model = DALModel(backbone, [2, 3], AssociationConfig(anchor_init="mean"), warmup_steps=0)
    rng = np.random.default_rng(1)
    images = rng.uniform(-1, 1, size=(9, 32, 32, 3)).astype(np.float32)
    cameras = np.array([0, 0, 0, 1, 1, 1, 1, 1, 1], np.int32)
    indices = np.array([0, 1, 1, 0, 1, 2, 2, 2, 0], np.int32)
    batches = [(images[s:s + 4], cameras[s:s + 4], indices[s:s + 4]) for s in range(0, 9, 4)]
    model.initialize_anchors_with_means(batches, 9, log=lambda _: None)

    features = backbone(images, training=False).numpy()
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    rows = np.array([0, 2])[cameras] + indices
    expected = np.stack([unit[rows == r].mean(0) for r in range(5)])
    np.testing.assert_allclose(model.anchors.intra.numpy(), expected, atol=1e-5)
    np.testing.assert_allclose(model.anchors.cross.numpy(), expected, atol=1e-5)


def test_mean_anchor_initialisation_under_mixed_precision_is_float32():
    """A float16 backbone (--mixed_precision): the anchors are float32 means of its features."""
    keras.mixed_precision.set_global_policy("mixed_float16")
    try:
        backbone = keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(8, 3),
                                     keras.layers.GlobalAveragePooling2D()])
        model = DALModel(backbone, [1, 2], AssociationConfig(anchor_init="mean"), warmup_steps=0)
    finally:
        keras.mixed_precision.set_global_policy("float32")
    rng = np.random.default_rng(2)
    images = rng.uniform(-1, 1, size=(5, 16, 16, 3)).astype(np.float32)
    cameras, indices = np.array([0, 1, 1, 1, 0], np.int32), np.array([0, 0, 1, 1, 0], np.int32)
    model.initialize_anchors_with_means([(images, cameras, indices)], 5, log=lambda _: None)
    assert model.anchors.intra.dtype == tf.float32
    features = backbone(images, training=False).numpy().astype(np.float32)
    unit = features / np.linalg.norm(features, axis=1, keepdims=True)
    rows = np.array([0, 1])[cameras] + indices
    expected = np.stack([unit[rows == r].mean(0) for r in range(3)])
    np.testing.assert_allclose(model.anchors.intra.numpy(), expected, atol=1e-3)
