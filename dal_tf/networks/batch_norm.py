"""TF-slim's batch norm as a Keras layer: the release's statistics, and TensorFlow's fused kernel.

slim.batch_norm (through tf.layers.BatchNormalization(fused=True)) normalises a training batch
with its biased variance, but feeds the moving average the *unbiased* one, times n / (n - 1),
n being the values per channel (frames x positions). Keras' BatchNormalization feeds the biased
one. This layer keeps the release's rule, in the release's form: moving -= (moving - batch) *
(1 - decay).

On TensorFlow, unsynchronized, it runs FusedBatchNormV3 in training and inference, as slim does:
one op forward and one backward instead of Keras' moments, broadcasts and products. Elsewhere
(another Keras backend, or synchronized across replicas) it computes the same with Keras ops.

The class is named BatchNormalization on purpose: Keras weights files key a layer by its class
name, so files written for keras.layers.BatchNormalization (the shared ImageNet MobileNet) load.
"""

from __future__ import annotations

import keras
from keras import ops


@keras.saving.register_keras_serializable(package="dal_tf")
class BatchNormalization(keras.layers.BatchNormalization):
    """keras.layers.BatchNormalization with slim's moving variance; `fused`: None picks the fused
    kernel where it applies (TensorFlow, channels last, 4-D, not synchronized), False never."""

    def __init__(self, *args, fused: bool | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fused = fused

    def get_config(self):
        return dict(super().get_config(), fused=self.fused)

    def _fuses(self, inputs) -> bool:
        return (self.fused is not False and keras.backend.backend() == "tensorflow" and not self.synchronized
                and len(inputs.shape) == 4 and self.axis in (-1, 3) and self.scale and self.center
                and not self.renorm)

    def call(self, inputs, training=None, mask=None):
        if mask is not None or self.renorm:
            return super().call(inputs, training=training, mask=mask)
        x = ops.cast(inputs, "float32")  # as Keras does: statistics in float32 under mixed precision
        train = bool(training and self.trainable)
        if self._fuses(x):
            outputs, mean, variance = self._fused(x, train)
        else:
            outputs, mean, variance = self._unfused(x, train)
        if train:
            for moving, batch in ((self.moving_mean, mean), (self.moving_variance, variance)):
                moving.assign(moving - (moving - batch) * (1.0 - self.momentum))
        return ops.cast(outputs, self.compute_dtype)

    def _fused(self, x, train: bool):
        import tensorflow as tf  # only on the TensorFlow backend: the networks import no TensorFlow

        if train:  # returns the batch mean and the unbiased batch variance
            return tf.compat.v1.nn.fused_batch_norm(x, self.gamma.value, self.beta.value, epsilon=self.epsilon,
                                                    is_training=True)
        outputs, _, _ = tf.compat.v1.nn.fused_batch_norm(
            x, self.gamma.value, self.beta.value, mean=self.moving_mean.value, variance=self.moving_variance.value,
            epsilon=self.epsilon, is_training=False)
        return outputs, None, None

    def _unfused(self, x, train: bool):
        if not train:
            mean, variance = self.moving_mean, self.moving_variance
        else:
            mean, variance = self._moments(x, None)  # biased; synchronized: the global batch's
        outputs = ops.batch_normalization(x, mean=mean, variance=variance, axis=self.axis, offset=self.beta,
                                          scale=self.gamma, epsilon=self.epsilon)
        if not train:
            return outputs, None, None
        n = ops.cast(ops.size(x) // x.shape[self.axis], "float32") * self._replicas()
        return outputs, mean, variance * n / ops.maximum(n - 1.0, 1.0)  # as TF's kernel does at n = 1

    def _replicas(self) -> int:
        if not self.synchronized or keras.backend.backend() != "tensorflow":
            return 1
        import tensorflow as tf

        context = tf.distribute.get_replica_context()
        return context.num_replicas_in_sync if context is not None else 1
