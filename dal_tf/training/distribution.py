"""Training on several devices or machines with tf.distribute, with the anchors of one device.

Each replica embeds its share of the batch; the features, cameras and indices are gathered so
that every replica ranks and computes the losses of the whole global batch, exactly as one device
would; the gradients are summed across replicas, and the optimiser, EMA and anchor updates run
once, in cross-replica context, on values every replica agrees on. BatchNormalization is switched
to its synchronized form so its batch statistics are those of the global batch too.
"""

from __future__ import annotations

import json
import os

import keras
import tensorflow as tf

from dal_tf.config import STRATEGIES
from dal_tf.utils.errors import UserInputError


def make_strategy(name: str) -> tf.distribute.Strategy:
    if name == "default":
        return tf.distribute.get_strategy()
    if name == "mirrored":
        return tf.distribute.MirroredStrategy()
    if name == "multiworker":
        if "TF_CONFIG" not in os.environ:
            raise UserInputError("--strategy=multiworker reads the cluster from the TF_CONFIG environment variable, "
                                 "which is not set")
        return tf.distribute.MultiWorkerMirroredStrategy()
    raise ValueError(f"strategy {name!r} is not one of {', '.join(STRATEGIES)}")


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes the run's files (only one worker of a cluster does)."""
    resolver = getattr(strategy, "cluster_resolver", None)
    if resolver is None or not resolver.task_type:
        return True
    cluster = json.loads(os.environ.get("TF_CONFIG", "{}")).get("cluster", {})
    if "chief" in cluster:
        return resolver.task_type == "chief"
    return resolver.task_type == "worker" and resolver.task_id == 0


def with_synchronized_batchnorm(model: keras.Model) -> keras.Model:
    """The same network and weights with every BatchNormalization synchronized across replicas."""

    def clone(layer):
        config = layer.get_config()
        if isinstance(layer, keras.layers.BatchNormalization):
            config["synchronized"] = True
        return layer.__class__.from_config(config)

    synchronized = keras.models.clone_model(model, clone_function=clone)
    synchronized.set_weights(model.get_weights())
    return synchronized


def step_function(model, strategy: tf.distribute.Strategy, jit_compile: bool = False):
    """A tf.function running one training step on a (distributed) batch; returns the logs."""
    replica_step = tf.function(model.replica_step, jit_compile=True) if jit_compile else model.replica_step

    def first_replica(value):
        return strategy.experimental_local_results(value)[0]

    @tf.function
    def step(batch):
        gradients, state = strategy.run(replica_step, args=(batch,))
        return model.apply_step(tf.nest.map_structure(first_replica, gradients),
                                tf.nest.map_structure(first_replica, state))

    return step
