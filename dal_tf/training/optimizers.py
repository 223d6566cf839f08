"""The release's optimisers with TF1's semantics, as Keras optimisers: tf.train.RMSPropOptimizer
and tf.train.MomentumOptimizer(use_nesterov=True).

Keras' RMSprop starts its mean square at 0, TF1's at 1: with epsilon 1.0 the first update is
lr * g / sqrt(0.1 g^2 + 1) instead of lr * g / sqrt(0.1 g^2 + 1.1), and the excess fades as 0.9^t.
Keras' SGD keeps lr inside its momentum (m <- 0.9 m - lr g), TF1 outside it (a <- 0.9 a + g, then
w <- w - lr (g + 0.9 a)), which differs once the learning rate drops (MARS, at half the steps).
Each update runs TF1's own kernel (ResourceApplyRMSProp, ResourceApplyMomentum): the release's
arithmetic, and one op per variable instead of Keras' half dozen.
"""

from __future__ import annotations

import keras
import tensorflow as tf


class RMSProp(keras.optimizers.Optimizer):
    """tf.compat.v1.train.RMSPropOptimizer (not centered), per variable:
    ms <- ms + (g^2 - ms) (1 - rho), ms starting at 1; mom <- momentum mom + lr g / sqrt(ms + epsilon);
    w <- w - mom."""

    def __init__(self, learning_rate, rho: float = 0.9, momentum: float = 0.0, epsilon: float = 1e-10,
                 name: str = "rmsprop_tf1", **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.rho, self.momentum, self.epsilon = rho, momentum, epsilon

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._rms = self.add_optimizer_variables(var_list, "rms", initializer="ones")
        self._momentum = self.add_optimizer_variables(var_list, "momentum")

    def slots(self, variable) -> dict:
        """TF1's slots of a variable, by TF1's slot names."""
        index = self._get_variable_index(variable)
        return dict(rms=self._rms[index], momentum=self._momentum[index])

    def update_step(self, gradient, variable, learning_rate):
        index = self._get_variable_index(variable)
        dtype = variable.dtype
        tf.raw_ops.ResourceApplyRMSProp(
            var=variable.handle, ms=self._rms[index].handle, mom=self._momentum[index].handle,
            lr=tf.cast(learning_rate, dtype), rho=tf.cast(self.rho, dtype), momentum=tf.cast(self.momentum, dtype),
            epsilon=tf.cast(self.epsilon, dtype), grad=tf.cast(gradient, dtype))

    def get_config(self):
        return dict(super().get_config(), rho=self.rho, momentum=self.momentum, epsilon=self.epsilon)


class Momentum(keras.optimizers.Optimizer):
    """tf.compat.v1.train.MomentumOptimizer, per variable: a <- momentum a + g; then
    w <- w - lr (g + momentum a) with Nesterov, else w <- w - lr a."""

    def __init__(self, learning_rate, momentum: float = 0.9, nesterov: bool = True, name: str = "momentum_tf1",
                 **kwargs):
        super().__init__(learning_rate=learning_rate, name=name, **kwargs)
        self.momentum, self.nesterov = momentum, nesterov

    def build(self, var_list):
        if self.built:
            return
        super().build(var_list)
        self._accumulators = self.add_optimizer_variables(var_list, "momentum")

    def slots(self, variable) -> dict:
        """TF1's slot of a variable, by TF1's slot name."""
        return dict(momentum=self._accumulators[self._get_variable_index(variable)])

    def update_step(self, gradient, variable, learning_rate):
        dtype = variable.dtype
        tf.raw_ops.ResourceApplyMomentum(
            var=variable.handle, accum=self._accumulators[self._get_variable_index(variable)].handle,
            lr=tf.cast(learning_rate, dtype), grad=tf.cast(gradient, dtype), momentum=tf.cast(self.momentum, dtype),
            use_nesterov=self.nesterov)

    def get_config(self):
        return dict(super().get_config(), momentum=self.momentum, nesterov=self.nesterov)
