"""PreciseBN (Wu and Johnson, "Rethinking 'Batch' in BatchNorm", 2021; fast-reid and Detectron2's
precise_bn): BatchNorm's moving statistics re-estimated as true averages over N training batches,
under the weights that will be evaluated (the EMA), instead of an exponential average collected
while the weights moved.

Why: with slim's decay (MobileNet 0.9997) a short run's moving statistics remember about 3,300
steps, so after a few hundred most of what test features are normalised with is still ImageNet's.

The statistics are those training normalises with: per batch, each channel's mean and (as slim
feeds its moving average) unbiased variance over frames and positions. Batch i enters the moving
average with weight 1 / i, so after N batches it holds their plain mean whatever it held before.
"""

from __future__ import annotations

import keras


def batchnorm_layers(network) -> list:
    """Every BatchNormalization layer of network, nested models included."""
    found = []
    for layer in network.layers:
        if isinstance(layer, keras.layers.BatchNormalization):
            found.append(layer)
        elif hasattr(layer, "layers"):
            found += batchnorm_layers(layer)
    return found


def precise_batchnorm(network: keras.Model, batches, num_batches: int, run=None) -> int:
    """Re-estimates every BatchNorm layer's moving mean and variance of `network` over the first
    num_batches of `batches` (preprocessed frames); returns the batches used. run(fn, images), if
    given, runs fn on a batch (a tf.distribute strategy's run, over a distributed data set: each
    replica its share, the statistics synchronized as in training). Eager: each layer's momentum
    is a Python number read when it runs."""
    layers = batchnorm_layers(network)
    momenta = [layer.momentum for layer in layers]
    forward = lambda images: network(images, training=True)  # noqa: E731
    run = run or (lambda fn, images: fn(images))
    used = 0
    try:
        for used, images in enumerate(batches, 1):
            for layer in layers:
                layer.momentum = 1.0 - 1.0 / used  # the update is moving -= (moving - batch) / used
            run(forward, images)
            if used == num_batches:
                break
    finally:
        for layer, momentum in zip(layers, momenta):
            layer.momentum = momentum
    return used
