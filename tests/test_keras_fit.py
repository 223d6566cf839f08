"""The Keras idiom: on one device, DALModel.fit trains exactly as dal_tf.train's own loop."""

import os

import keras
import numpy as np
import pytest
import tensorflow as tf

from dal_tf.config import DataConfig, ModelConfig, TrainConfig
from dal_tf.datasets import input_pipeline, registry
from dal_tf.training import distribution, setup

pytestmark = pytest.mark.slow  # every test here trains

STEPS = 6


def test_fit_with_a_tensorboard_callback_trains_as_the_training_loop(tiny_synthetic_root, tmp_path):
    config = TrainConfig(data=DataConfig(data_dir=tiny_synthetic_root), batch_size=8, warmup_epochs=0.5,
                         model=ModelConfig(weights="none", alpha=0.25, image_height=64, image_width=32))
    dataset = registry.load(config.data)

    def fresh_model():
        keras.utils.set_random_seed(0)
        return setup.build_model(config, dataset, STEPS, log=lambda _: None)

    def batches():  # what train_loop feeds
        return input_pipeline.training_dataset(dataset.train, 8, 64, 32, seed=0).take(STEPS)

    looped = fresh_model()
    step = distribution.step_function(looped, tf.distribute.get_strategy())
    for batch in batches():
        step(batch)
    fitted = fresh_model()
    logs = str(tmp_path / "logs")
    history = fitted.fit(batches(), verbose=0, callbacks=[keras.callbacks.TensorBoard(logs)])

    assert int(looped.step.numpy()) == int(fitted.step.numpy()) == STEPS
    assert looped.anchors.cross_partner.numpy().max() >= 0  # association ran, so merges are compared too
    pairs = [(looped.get_weights(), fitted.get_weights()),
             ([v.numpy() for v in looped.ema.shadows], [v.numpy() for v in fitted.ema.shadows]),
             ([looped.anchors.intra.numpy(), looped.anchors.cross.numpy(), looped.anchors.cross_partner.numpy()],
              [fitted.anchors.intra.numpy(), fitted.anchors.cross.numpy(), fitted.anchors.cross_partner.numpy()])]
    for ours, theirs in pairs:
        for a, b in zip(ours, theirs):
            np.testing.assert_array_equal(a, b)
    assert {"loss", "loss_intra", "loss_cross", "merged_share", "true_match_share"} <= set(history.history)
    assert any(name.startswith("events.out.tfevents") for _, _, files in os.walk(logs) for name in files)
