"""The release's step counts and optimisers: how long a run is and how its learning rate moves."""

from __future__ import annotations

import keras

from dal_tf.config import TrainConfig
from dal_tf.datasets.base import ReidDataset
from dal_tf.training import optimizers


def steps_per_epoch(num_frames: int, batch_size: int) -> int:
    """As the release: an epoch is num_samples / batch_size steps, num_samples being frames."""
    return max(1, num_frames // batch_size)


def resolve_max_steps(config: TrainConfig, dataset: ReidDataset) -> int:
    """--max_steps, or the release's count for the data set when it is -1."""
    return dataset.release_steps if config.max_steps < 0 else config.max_steps


def warmup_steps(config: TrainConfig, dataset: ReidDataset) -> int:
    """Steps before cross-camera association: --warmup_epochs, or the data set's release value.
    As the release: whole epochs of steps, and the step with this 0-based index is the first
    that associates."""
    epochs = dataset.warmup_epochs if config.warmup_epochs < 0 else config.warmup_epochs
    return int(epochs * steps_per_epoch(dataset.train.num_frames, config.batch_size))


def decay_steps(num_frames: int, batch_size: int, epochs_per_decay: float) -> int:
    """RMSProp's steps between learning-rate decays, as the release computes them: the epoch in
    float (int(19455 / 64 * 2) = 607 for PRID split 1, not 2 * 303 = 606)."""
    return max(1, int(num_frames / batch_size * epochs_per_decay))


def build_optimizer(config: TrainConfig, dataset: ReidDataset, max_steps: int) -> keras.optimizers.Optimizer:
    """The release's schedules: RMSProp with staircase decay (PRID, iLIDS-VID) or SGD Nesterov
    with a tenfold drop at half the steps (MARS); element-wise clipping on both; TF1's update rules
    (dal_tf.training.optimizers)."""
    optim = config.optim
    name = dataset.optimizer if optim.optimizer == "auto" else optim.optimizer
    if name == "rmsprop":
        schedule = keras.optimizers.schedules.ExponentialDecay(
            optim.learning_rate or 0.045,
            decay_steps=decay_steps(dataset.train.num_frames, config.batch_size, optim.epochs_per_decay),
            decay_rate=optim.lr_decay_factor, staircase=True,
        )
        return optimizers.RMSProp(schedule, rho=0.9, momentum=0.9, epsilon=1.0, clipvalue=optim.clip_value)
    base = optim.learning_rate or 0.01
    # tf.train.piecewise_constant: the base rate up to and including step int(max_steps / 2).
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay([max(1, max_steps // 2)], [base, base / 10])
    return optimizers.Momentum(schedule, momentum=0.9, nesterov=True, clipvalue=optim.clip_value)
