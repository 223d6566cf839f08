"""The whole batch on every replica, so that the anchors of several devices see what one device
would (dal_tf.training.distribution sets the replicas up)."""

from __future__ import annotations

import tensorflow as tf


def replicas_in_sync() -> int:
    context = tf.distribute.get_replica_context()
    return context.num_replicas_in_sync if context is not None else 1


def global_batch(value: tf.Tensor, replicas: int) -> tf.Tensor:
    """The whole batch, in order, on every replica (the anchors see what one device would).

    Each replica writes its rows into zeros at its offset and the copies are summed, which is
    exact. (ReplicaContext.all_gather would do, but fails under MultiWorkerMirroredStrategy on
    CPU.) Like all_gather's, the gradient reaching each replica's rows is the sum over replicas.
    """
    if replicas == 1:
        return value
    context = tf.distribute.get_replica_context()
    local = tf.shape(value)[0]
    rows = tf.cast(context.replica_id_in_sync_group, tf.int32) * local + tf.range(local)
    shape = tf.concat([[local * replicas], tf.shape(value)[1:]], axis=0)
    return context.all_reduce(tf.distribute.ReduceOp.SUM, tf.scatter_nd(rows[:, None], value, shape))
