"""The release's step rules, each against its definition (TF1's update formulas in NumPy, the
release's integer arithmetic by hand): the warm-up and decay steps, RMSProp and Nesterov
momentum, the EMA of the weights, and slim's BatchNorm statistics."""

from types import SimpleNamespace

import keras
import numpy as np
import pytest
import tensorflow as tf

from dal_tf.association.model import DALModel
from dal_tf.config import AssociationConfig, TrainConfig
from dal_tf.networks import backbones
from dal_tf.networks.batch_norm import BatchNormalization
from dal_tf.training import distribution, optimizers, schedules

PRID_SPLIT1_FRAMES = 19455  # frames in the release's PRID 2011 split 1 traindata.txt


def fake_dataset(num_frames, warmup_epochs=2.0, optimizer="rmsprop"):
    return SimpleNamespace(train=SimpleNamespace(num_frames=num_frames), warmup_epochs=warmup_epochs,
                           optimizer=optimizer)


def test_warmup_and_decay_steps_are_the_release_s_for_prid_split_1():
    # train_dal.py: step_1_epoch = int(19455 / 64) = 303, association from step 303 * 2 = 606;
    # decay_steps = int(19455 / 64 * 2.0) = int(607.97) = 607 (flooring the epoch first gives 606).
    dataset = fake_dataset(PRID_SPLIT1_FRAMES)
    assert schedules.warmup_steps(TrainConfig(), dataset) == 606
    assert schedules.decay_steps(PRID_SPLIT1_FRAMES, 64, 2.0) == 607
    schedule = schedules.build_optimizer(TrainConfig(), dataset, 20000)._learning_rate
    rates = [float(schedule(step)) for step in (0, 606, 607, 1214)]
    np.testing.assert_allclose(rates, [0.045, 0.045, 0.045 * 0.94, 0.045 * 0.94 ** 2], rtol=1e-6)


def test_sgd_keeps_its_rate_to_half_the_steps_inclusive():
    # tf.train.piecewise_constant(global_step, [int(0.5 * 100000)], [0.01, 0.001]): x <= boundary.
    optimizer = schedules.build_optimizer(TrainConfig(), fake_dataset(1000, optimizer="sgd"), 100000)
    assert isinstance(optimizer, optimizers.Momentum) and optimizer.nesterov
    rates = [float(optimizer._learning_rate(step)) for step in (0, 50000, 50001)]
    np.testing.assert_allclose(rates, [0.01, 0.01, 0.001], rtol=1e-6)


def one_tracklet_per_camera_model(warmup_steps):
    """Two cameras with one tracklet each: once both are visited, the cycle always closes."""
    backbone = keras.Sequential([keras.Input((8, 4, 3)), keras.layers.Conv2D(4, 3), keras.layers.GlobalAveragePooling2D()])
    model = DALModel(backbone, [1, 1], AssociationConfig(), warmup_steps=warmup_steps)
    model.compile(optimizer=optimizers.RMSProp(0.01, rho=0.9, momentum=0.9, epsilon=1.0))
    model.optimizer.build(model.trained_variables())
    return model, distribution.step_function(model, tf.distribute.get_strategy())


def test_association_starts_at_the_step_whose_0_based_index_is_the_warmup():
    # The release feeds start_sign = step >= warm-up steps, step being the index of the step to run.
    model, step = one_tracklet_per_camera_model(warmup_steps=2)
    images = tf.random.stateless_uniform([4, 8, 4, 3], seed=(1, 2))
    batch = (images, tf.constant([0, 1, 0, 1]), tf.constant([0, 0, 0, 0]))
    merged = [float(step(batch)["merged_share"]) for _ in range(3)]  # steps 0, 1, 2
    assert merged == [0.0, 0.0, 1.0]


def tf1_rmsprop(w, grads, lr, rho=0.9, momentum=0.9, epsilon=1.0):
    """tf.train.RMSPropOptimizer (ApplyRMSProp): ms from ones, mom from zeros."""
    ms, mom, out = np.ones_like(w), np.zeros_like(w), []
    for g in grads:
        ms = ms + (g * g - ms) * (1 - rho)
        mom = momentum * mom + lr * g / np.sqrt(ms + epsilon)
        w = w - mom
        out.append(w)
    return out


def tf1_nesterov(w, grads, rates, momentum=0.9):
    """tf.train.MomentumOptimizer(use_nesterov=True) (ApplyMomentum): accum from zeros."""
    accum, out = np.zeros_like(w), []
    for g, lr in zip(grads, rates):
        accum = accum * momentum + g
        w = w - (g * lr + accum * momentum * lr)
        out.append(w)
    return out


def applied(optimizer, w0, grads):
    variable = tf.Variable(w0)
    optimizer.build([variable])
    values = []
    for g in grads:
        optimizer.apply_gradients([(tf.constant(g), variable)])
        values.append(variable.numpy().copy())
    return values


def test_rmsprop_first_two_updates_are_tf1_s():
    rng = np.random.default_rng(0)
    w0, grads = rng.normal(size=(3, 5)).astype(np.float32), rng.normal(size=(2, 3, 5)).astype(np.float32) * 3
    ours = applied(optimizers.RMSProp(0.045, rho=0.9, momentum=0.9, epsilon=1.0), w0, grads)
    expected = tf1_rmsprop(w0.astype(np.float64), grads.astype(np.float64), 0.045)
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-7)
    # Keras' RMSprop (mean square from zeros) moves 1.38x further on the first step at these values.
    keras_first = applied(keras.optimizers.RMSprop(0.045, rho=0.9, momentum=0.9, epsilon=1.0), w0, grads[:1])[0]
    assert np.max(np.abs(keras_first - expected[0])) > 1e-3


def test_nesterov_momentum_across_the_rate_drop_is_tf1_s():
    rng = np.random.default_rng(1)
    w0, grads = rng.normal(size=(4,)).astype(np.float32), rng.normal(size=(4, 4)).astype(np.float32)
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay([1], [0.01, 0.001])  # drop after step 1
    ours = applied(optimizers.Momentum(schedule, momentum=0.9, nesterov=True), w0, grads)
    expected = tf1_nesterov(w0.astype(np.float64), grads.astype(np.float64), [0.01, 0.01, 0.001, 0.001])
    np.testing.assert_allclose(ours, expected, rtol=1e-6, atol=1e-7)


def test_ema_averages_the_weights_before_the_update_with_t_before_its_increment():
    model, step = one_tracklet_per_camera_model(warmup_steps=0)
    images = tf.random.stateless_uniform([4, 8, 4, 3], seed=(3, 4))
    batch = (images, tf.constant([0, 1, 0, 1]), tf.constant([0, 0, 0, 0]))
    step(batch)  # t = 0: decay 0.1
    for t in (1, 2):
        shadows = [s.numpy() for s in model.ema.shadows]
        weights = [w.numpy() for w in model.backbone.trainable_variables]
        step(batch)
        decay = min(0.9999, (1.0 + t) / (10.0 + t))
        for shadow, before, after in zip(shadows, weights, model.ema.shadows):
            np.testing.assert_allclose(after.numpy(), shadow - (shadow - before) * (1 - decay), rtol=1e-6, atol=1e-7)


def batchnorm_inputs(height, width):
    """The input of every BatchNorm layer of a narrow MobileNet at height x width, and the layers."""
    net = backbones.build_backbone("mobilenet", "none", height, width, alpha=0.25)
    norms = [layer for layer in net.layers if isinstance(layer, keras.layers.BatchNormalization)]
    probe = keras.Model(net.input, [layer.input for layer in norms] + [net.output])  # every layer runs
    return net, norms, probe


@pytest.mark.parametrize("size", [(224, 112), (97, 51)])
def test_moving_variance_takes_the_unbiased_batch_variance(size):
    """slim's fused batch norm: moving -= (moving - batch) (1 - decay), batch variance times
    n / (n - 1), n = frames x positions; at the release's size and an odd one."""
    net, norms, probe = batchnorm_inputs(*size)
    images = tf.random.stateless_uniform([2, *size, 3], seed=(5, 6), minval=-1, maxval=1)
    for layer in norms:  # from zero, so that the increments are not lost in float32 rounding of ~1
        layer.moving_variance.assign(np.zeros(layer.moving_variance.shape, np.float32))
    before = [(layer.moving_mean.numpy(), layer.moving_variance.numpy()) for layer in norms]
    # One training pass: each layer's input (batch statistics upstream) and its update.
    inputs = [x.numpy().astype(np.float64) for x in probe(images, training=True)[:-1]]
    for layer, x, (mean0, var0) in zip(norms, inputs, before):
        values = x.reshape(-1, x.shape[-1])
        biased = values.var(axis=0)
        n = values.shape[0]
        decay = layer.momentum
        np.testing.assert_allclose(layer.moving_mean.numpy() - mean0, (values.mean(axis=0) - mean0) * (1 - decay),
                                   rtol=1e-3, atol=1e-9, err_msg=layer.name)
        increment = layer.moving_variance.numpy() - var0
        np.testing.assert_allclose(increment, (biased * n / (n - 1) - var0) * (1 - decay), rtol=2e-3, atol=1e-9,
                                   err_msg=layer.name)
    smallest = min(x.shape[0] * x.shape[1] * x.shape[2] for x in inputs)
    assert smallest < 100  # the last maps, where n / (n - 1) is largest, are among those checked


@pytest.mark.parametrize("training", [False, True])
def test_fused_and_unfused_batchnorm_are_equal(training):
    rng = np.random.default_rng(2)
    x = rng.normal(2.0, 3.0, size=(3, 7, 5, 6)).astype(np.float32)
    layers = []
    for fused in (None, False):
        layer = BatchNormalization(momentum=0.9, epsilon=1e-3, fused=fused)
        layer.build(x.shape)
        layer.set_weights([rng.uniform(0.5, 1.5, 6), rng.normal(size=6), rng.normal(size=6), rng.uniform(0.5, 2, 6)]
                          if not layers else layers[0].get_weights())
        layers.append(layer)
    assert layers[0]._fuses(x) and not layers[1]._fuses(x)
    outputs = [layer(x, training=training).numpy() for layer in layers]
    np.testing.assert_allclose(outputs[0], outputs[1], rtol=1e-5, atol=1e-5)
    for a, b in zip(*(layer.get_weights() for layer in layers)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)
    if not training:  # inference against the moving statistics, by hand
        gamma, beta, mean, variance = layers[0].get_weights()
        np.testing.assert_allclose(outputs[0], (x - mean) / np.sqrt(variance + 1e-3) * gamma + beta, rtol=1e-5,
                                   atol=1e-5)

