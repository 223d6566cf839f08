"""The EMA weights that DAL evaluates and exports, with the release's (TF1's) update rule."""

from __future__ import annotations

import contextlib

import tensorflow as tf


class WeightAverage(tf.Module):
    """Exponential moving average of the trainable weights, as the release's TF1
    ExponentialMovingAverage(decay, num_updates=global_step): the decay is
    min(decay, (1 + t) / (10 + t)), so short runs average over their recent steps instead of
    staying at the initial weights. (Keras' `use_ema` has a fixed momentum: with 0.9999 a
    20k-step run would still hold 13% of the initial weights.)

    The release's shadows start from the random initialiser (it restores the ImageNet weights
    after creating them); these start from the weights as loaded, which the first update all
    but replaces (decay 0.1 at t = 0)."""

    def __init__(self, variables: list[tf.Variable], decay: float):
        super().__init__(name="ema")
        self.decay = decay
        self.shadows = [tf.Variable(v, trainable=False, name="shadow") for v in variables]

    def update(self, step: tf.Tensor, variables: list[tf.Variable]):
        """TF1's assign_moving_average: shadow -= (shadow - w) * (1 - decay), t = step."""
        step = tf.cast(step, tf.float32)
        decay = tf.minimum(self.decay, (1.0 + step) / (10.0 + step))
        for shadow, variable in zip(self.shadows, variables):
            shadow.assign_sub((shadow - tf.convert_to_tensor(variable)) * (1.0 - decay))

    @contextlib.contextmanager
    def applied(self, variables: list[tf.Variable]):
        """Temporarily replaces the weights with their averages (evaluation, export)."""
        saved = [tf.identity(v) for v in variables]
        for variable, shadow in zip(variables, self.shadows):
            variable.assign(shadow)
        try:
            yield
        finally:
            for variable, value in zip(variables, saved):
                variable.assign(value)
