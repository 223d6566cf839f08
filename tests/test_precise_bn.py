"""PreciseBN against its definition: each BatchNorm layer's moving mean and variance become the
plain mean, over the batches, of that layer's per-channel batch mean and unbiased batch variance,
computed from the layer's inputs with NumPy."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from dal_tf.networks import backbones
from dal_tf.training.precise_bn import batchnorm_layers, precise_batchnorm


@pytest.mark.parametrize("name", ["mobilenet", "resnet50"])
def test_moving_statistics_become_the_batches_plain_means(name):
    network = backbones.build_backbone(name, "none", 32, 16, 0.25 if name == "mobilenet" else 1.0,
                                       log=lambda _: None)
    rng = np.random.default_rng(0)
    batches = [tf.constant(rng.uniform(-1, 1, (4, 32, 16, 3)).astype(np.float32)) for _ in range(3)]
    layers = batchnorm_layers(network)
    assert len(layers) == (27 if name == "mobilenet" else 53)
    probes = [layers[0], layers[len(layers) // 2], layers[-1]]
    # each probed layer's input under the weights as they are, before any statistic changes:
    # with training=True every layer normalises with its batch statistics, so the inputs do not
    # depend on the moving ones
    inputs = keras.Model(network.inputs, [layer.input for layer in probes])
    expected = []
    for layer, per_batch in zip(probes, zip(*[inputs(b, training=True) for b in batches])):
        values = [np.asarray(x, np.float64).reshape(-1, x.shape[-1]) for x in per_batch]
        expected.append((np.mean([v.mean(0) for v in values], 0), np.mean([v.var(0, ddof=1) for v in values], 0)))
    momenta = [layer.momentum for layer in layers]
    assert precise_batchnorm(network, iter(batches + batches), 3) == 3  # only the first three
    for layer, (mean, variance) in zip(probes, expected):
        np.testing.assert_allclose(layer.moving_mean.numpy(), mean, rtol=1e-4, atol=1e-5)
        np.testing.assert_allclose(layer.moving_variance.numpy(), variance, rtol=1e-3, atol=1e-5)
    assert [layer.momentum for layer in layers] == momenta  # the training decay is back


@pytest.mark.slow
def test_a_run_with_precise_bn_saves_the_re_estimated_statistics(tiny_synthetic_root, tmp_path):
    from conftest import run_module, tiny_train_flags

    from dal_tf.config import DataConfig
    from dal_tf.datasets import input_pipeline, registry
    from dal_tf.runs import checkpoints
    from dal_tf.training.loop import PRECISE_BN_SEED

    run = str(tmp_path / "run")
    result = run_module("dal_tf.train", tiny_train_flags(tiny_synthetic_root, run, max_steps=2, precise_bn=3))
    assert result.returncode == 0, result.stderr[-2000:]
    assert "PreciseBN: BatchNorm statistics re-estimated under the EMA weights over 3 batches" in result.stdout
    model, config = checkpoints.restore_for_inference(run)
    dataset = registry.load(DataConfig(dataset="synthetic", data_dir=str(tiny_synthetic_root)), lambda _: None)
    batches = input_pipeline.training_dataset(dataset.train, config.batch_size, 64, 32, config.seed + PRECISE_BN_SEED)
    layer = batchnorm_layers(model.backbone)[-1]
    inputs = keras.Model(model.backbone.inputs, layer.input)
    saved = layer.moving_mean.numpy().copy()
    with model.averaged_weights():
        means = [np.asarray(inputs(images, training=True), np.float64).reshape(-1, layer.moving_mean.shape[0]).mean(0)
                 for images, _, _ in batches.take(3)]
    np.testing.assert_allclose(saved, np.mean(means, 0), rtol=1e-3, atol=1e-5)
