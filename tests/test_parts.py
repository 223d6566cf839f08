"""--parts (uPMnet): the stripes and the test feature against their definitions, the refusal of
more stripes than the map has rows, and one training step of the global and stripe tables
against NumPy (losses, gradients by central differences, and every table's update)."""

import keras
import numpy as np
import pytest
import tensorflow as tf
from conftest import only_error_line, run_module, tiny_train_flags
from test_association import np_dal_step, np_l2

from dal_tf.association.model import DALModel
from dal_tf.config import AssociationConfig
from dal_tf.networks import backbones, parts
from dal_tf.utils.errors import UserInputError


@pytest.mark.parametrize("height, count, expected", [
    (4, 2, [(0, 2), (2, 4)]),          # uPMnet's split where the count divides the rows
    (8, 8, [(i, i + 1) for i in range(8)]),  # uPMnet's 8 parts of the 8 rows at 256x128
    (7, 3, [(0, 3), (2, 5), (4, 7)]),  # 7/3 rows: neighbours share a row, none is left out
    (5, 1, [(0, 5)]),
])
def test_stripe_rows_by_hand(height, count, expected):
    assert parts.stripe_rows(height, count) == expected


def test_stripe_pooling_and_part_feature_against_numpy():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(3, 7, 2, 5)).astype(np.float32)
    pooled = parts.StripePooling(3)(tf.constant(x)).numpy()
    expected = [x.mean(axis=(1, 2))] + [x[:, a:b].mean(axis=(1, 2)) for a, b in [(0, 3), (2, 5), (4, 7)]]
    np.testing.assert_allclose(pooled, np.stack(expected, axis=1), atol=1e-6)

    feature = parts.PartFeature()(tf.constant(pooled)).numpy()
    blocks = [pooled[:, k] / np.linalg.norm(pooled[:, k], axis=1, keepdims=True) / 2.0 for k in range(4)]
    np.testing.assert_allclose(feature, np.concatenate(blocks, axis=1), atol=1e-6)
    np.testing.assert_allclose(np.linalg.norm(feature, axis=1), 1.0, atol=1e-6)  # a unit vector as it stands


def test_the_global_block_is_the_plain_networks_feature():
    """with_parts keeps the network below the pool: same layers, same weights."""
    plain = backbones.build_backbone("mobilenet", "none", 64, 32, 0.25)
    striped = parts.with_parts(plain, "AvgPool_1a", 2)
    assert parts.num_parts(striped) == 2 and parts.num_parts(plain) == 0
    assert len(striped.trainable_variables) == len(plain.trainable_variables)
    images = tf.constant(np.random.default_rng(1).uniform(-1, 1, (4, 64, 32, 3)).astype(np.float32))
    dim = backbones.feature_dim(plain)
    assert backbones.feature_dim(striped) == 3 * dim
    got = striped(images, training=False).numpy()[:, :dim] * np.sqrt(3)
    np.testing.assert_allclose(got, np_l2(plain(images, training=False).numpy()), atol=1e-5)


@pytest.mark.parametrize("name, height, rows", [("mobilenet", 128, 4), ("resnet50", 64, 2)])
def test_more_parts_than_rows_is_refused(name, height, rows):
    with pytest.raises(UserInputError, match=f"--parts={rows + 1}: the network's last feature map at {height}x"
                                             f"{height // 2} is {rows} rows high, so at most --parts={rows}"):
        backbones.build_backbone(name, "none", height, height // 2, parts=rows + 1)
    assert parts.num_parts(backbones.build_backbone(name, "none", height, height // 2, parts=rows)) == rows


@pytest.mark.slow
def test_train_refuses_parts_the_map_cannot_give(tiny_synthetic_root, tmp_path):
    refused = run_module("dal_tf.train", tiny_train_flags(tiny_synthetic_root, str(tmp_path / "run"), parts=3))
    assert "--parts=3: the network's last feature map at 64x32 is 2 rows high" in only_error_line(
        refused, "dal_tf.train")
    assert not (tmp_path / "run").exists()


HEIGHT, WIDTH, CHANNELS, DIM, COUNTS = 4, 2, 3, 6, [5, 4]


def striped_model(cfg: AssociationConfig, count: int) -> DALModel:
    """A one-layer network (a 1x1 convolution) whose last map the stripes split."""
    images = keras.Input((HEIGHT, WIDTH, CHANNELS))
    last_map = keras.layers.Conv2D(DIM, 1, use_bias=False, name="conv")(images)
    plain = keras.Model(images, keras.layers.GlobalAveragePooling2D(name="pool")(last_map))
    model = DALModel(parts.with_parts(plain, "pool", count), COUNTS, cfg, warmup_steps=0, weight_decay=0.0)
    model.compile(optimizer=keras.optimizers.SGD(0.1))
    return model


def numpy_features(images, kernel, count):
    """The global and stripe features from the definition: a 1x1 convolution, then averages."""
    last_map = images.astype(np.float64) @ kernel.astype(np.float64)[0, 0]
    return [last_map.mean(axis=(1, 2))] + [last_map[:, a:b].mean(axis=(1, 2))
                                           for a, b in parts.stripe_rows(HEIGHT, count)]


@pytest.mark.parametrize("name", ["released", "paper"])
def test_part_losses_gradients_and_updates_match_numpy(name):
    """The loss is the mean of the 1 + P tables' DAL losses, each of its own feature; its gradient
    is that of the NumPy loss (central differences on the convolution's kernel); each table is
    updated and associated from its own feature alone."""
    cfg = AssociationConfig() if name == "released" else AssociationConfig(distance="euclidean", margin=0.2)
    count, rng = 2, np.random.default_rng(4)
    model = striped_model(cfg, count)
    assert len(model.tables()) == 1 + count
    tables = [([rng.normal(size=(n, DIM)) for n in COUNTS], [rng.normal(size=(n, DIM)) for n in COUNTS])
              for _ in model.tables()]
    for t, (intra, cross) in zip(model.tables(), tables):
        t.intra.assign(np.concatenate(intra).astype(np.float32))
        t.cross.assign(np.concatenate(cross).astype(np.float32))
    cams = np.array([0, 1, 0, 1, 1, 0, 0, 1], np.int32)
    idx = np.array([0, 1, 3, 3, 0, 4, 0, 2], np.int32)
    images = rng.normal(size=(len(cams), HEIGHT, WIDTH, CHANNELS)).astype(np.float32)
    kernel = model.backbone.get_layer("conv").kernel.numpy()

    def numpy_step(k):
        steps = [np_dal_step(f, cams, idx, intra, cross, True, cfg)
                 for f, (intra, cross) in zip(numpy_features(images, k, count), tables)]
        return np.mean([s["loss"] for s in steps]), steps

    loss, steps = numpy_step(kernel)
    gradients, state = model.replica_step((tf.constant(images), tf.constant(cams), tf.constant(idx)))
    np.testing.assert_allclose(float(state["logs"]["loss"]), loss, rtol=1e-5)
    expected = np.zeros_like(kernel, np.float64)
    for k in np.ndindex(kernel.shape):
        shifted = [kernel.astype(np.float64), kernel.astype(np.float64)]
        shifted[0][k] += 1e-6
        shifted[1][k] -= 1e-6
        expected[k] = (numpy_step(shifted[0])[0] - numpy_step(shifted[1])[0]) / 2e-6
    assert np.abs(expected).max() > 0.01
    np.testing.assert_allclose(gradients[0].numpy(), expected, atol=2e-4)

    model.apply_step(gradients, state)
    merges = 0
    for t, s in zip(model.tables(), steps):
        np.testing.assert_allclose(t.intra.numpy(), np.concatenate(s["intra"]), atol=1e-5)
        np.testing.assert_allclose(t.cross.numpy(), np.concatenate(s["cross"]), atol=1e-5)
        merges += sum(p is not None for p in s["partner"].values())
    assert merges > 0  # the case exercises the association, not only the intra update


def waited_for(op: tf.Operation) -> set:
    """The names of every op that op waits for, through its inputs and its control inputs."""
    seen, todo = set(), [op]
    while todo:
        current = todo.pop()
        for parent in [t.op for t in current.inputs] + list(current.control_inputs):
            if parent.name not in seen:
                seen.add(parent.name)
                todo.append(parent)
    return seen


def test_every_table_changes_after_the_steps_gradients():
    """A training step writes its tables only once its gradients are computed: written beside the
    backward pass, --parts runs differed in rounding from run to run (docs/demo.md)."""
    from dal_tf.training import distribution

    model = striped_model(AssociationConfig(), 2)
    step = distribution.step_function(model, tf.distribute.get_strategy())
    batch = (tf.TensorSpec([8, HEIGHT, WIDTH, CHANNELS]), tf.TensorSpec([8], tf.int32), tf.TensorSpec([8], tf.int32))
    graph = step.get_concrete_function(batch).graph
    writes = [op for op in graph.get_operations() if op.type == "ResourceScatterUpdate"]
    assert len(writes) >= 3 * len(model.tables())  # intra, cross and partner of every table
    for op in writes:
        assert any(name.startswith("gradient_tape/") for name in waited_for(op)), op.name


def test_mean_initialisation_fills_every_table_from_its_own_feature():
    """--anchor_init=mean: each table's rows are the mean of its own normalised feature over the
    tracklet's frames."""
    model, rng = striped_model(AssociationConfig(anchor_init="mean"), 2), np.random.default_rng(5)
    cams = np.array([0, 1, 0, 0, 1], np.int32)
    idx = np.array([2, 3, 2, 4, 3], np.int32)
    images = rng.normal(size=(len(cams), HEIGHT, WIDTH, CHANNELS)).astype(np.float32)
    model.initialize_anchors_with_means([(tf.constant(images), tf.constant(cams), tf.constant(idx))], len(cams),
                                        log=lambda _: None)
    kernel = model.backbone.get_layer("conv").kernel.numpy()
    rows = np.where(cams == 0, 0, COUNTS[0]) + idx
    for t, f in zip(model.tables(), numpy_features(images, kernel, 2)):
        expected = np.zeros((sum(COUNTS), DIM))
        for r in np.unique(rows):
            expected[r] = np_l2(f[rows == r]).mean(axis=0)
        np.testing.assert_allclose(t.intra.numpy(), expected, atol=1e-5)
        np.testing.assert_allclose(t.cross.numpy(), expected, atol=1e-5)


def test_parts_are_refused_for_the_supervised_objective():
    from dal_tf.config import ModelConfig, TrainConfig

    with pytest.raises(UserInputError, match="--parts applies to --objective=dal only"):
        TrainConfig(objective="supervised", model=ModelConfig(parts=2))
