"""Run as a script (a fresh process, so it can split the CPU into two logical devices): trains a
small DAL model for a few steps on one device and under a tf.distribute strategy, or with mixed
precision or XLA, from the same weights on the same batches, and prints the largest differences
as JSON. Mode `rules` does the mirrored comparison for every association rule but the released
one, on three cameras, and prints {rule: differences}."""

import json
import os
import sys
import tempfile

import tensorflow as tf

tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0],
    [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()])

import keras  # noqa: E402
import numpy as np  # noqa: E402

from dal_tf.association.model import DALModel  # noqa: E402
from dal_tf.association.rules import RULES  # noqa: E402
from dal_tf.config import AssociationConfig  # noqa: E402
from dal_tf.networks.batch_norm import BatchNormalization  # noqa: E402
from dal_tf.runs import checkpoints  # noqa: E402
from dal_tf.training import distribution, optimizers

STEPS = 5
TRACKLETS = [4, 5]
RULE_TRACKLETS = [4, 5, 3]  # three cameras, so that per_camera differs from released
RULE_STEPS = 10  # enough revisits of a tracklet for persistent merges


def backbone():
    return keras.Sequential([
        keras.Input((16, 8, 3)), keras.layers.Conv2D(8, 3, padding="same"), BatchNormalization(),
        keras.layers.ReLU(), keras.layers.Conv2D(6, 3), keras.layers.GlobalAveragePooling2D(),
    ])


def batches(tracklets, steps):
    rng = np.random.default_rng(0)
    for _ in range(steps):
        cameras = rng.integers(0, len(tracklets), size=8).astype(np.int32)
        indices = np.array([rng.integers(0, tracklets[c]) for c in cameras], np.int32)
        yield rng.uniform(-1, 1, size=(8, 16, 8, 3)).astype(np.float32), cameras, indices


def compiled_model(net, mixed=False, rule="released") -> DALModel:
    # Two consistent visits merge a persistent pair; the twelve anchors cluster at a wider radius.
    config = AssociationConfig(association=rule, association_visits=2, cluster_every=2, cluster_eps=0.9)
    model = DALModel(net, RULE_TRACKLETS if rule != "released" else TRACKLETS, config, warmup_steps=2)
    optimizer = optimizers.RMSProp(0.01, rho=0.9, momentum=0.9, epsilon=1.0, clipvalue=2.0)
    if mixed:
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer, initial_scale=2.0 ** 8)
    model.compile(optimizer=optimizer)
    model.optimizer.build(model.trained_variables())
    return model


def train(strategy, weights, mixed=False, jit=False, rule="released"):
    keras.mixed_precision.set_global_policy("mixed_float16" if mixed else "float32")
    with strategy.scope():
        net = backbone()
        net.set_weights(weights)
        if strategy.num_replicas_in_sync > 1:
            net = distribution.with_synchronized_batchnorm(net)
        model = compiled_model(net, mixed, rule)
    step = distribution.step_function(model, strategy, jit)
    tracklets, steps = (RULE_TRACKLETS, RULE_STEPS) if rule != "released" else (TRACKLETS, STEPS)
    data = tf.data.Dataset.from_generator(lambda: batches(tracklets, steps), output_signature=(
        tf.TensorSpec([8, 16, 8, 3]), tf.TensorSpec([8], tf.int32), tf.TensorSpec([8], tf.int32)))
    losses = []
    for batch in strategy.experimental_distribute_dataset(data):
        losses.append(float(step(batch)["loss"]))
        model.refresh_association()  # as dal_tf.train's loop, between steps
    return losses, model_state(model), model


def model_state(model) -> dict:
    """Anchors, merge partners, weights and EMA weights as NumPy arrays."""
    state = dict(intra=model.anchors.intra, cross=model.anchors.cross, partner=model.anchors.cross_partner,
                 **{f"rule_{name}": v for name, v in model.anchors.state.items()})
    state.update({f"weight{i}": v for i, v in enumerate(model.backbone.weights)})
    state.update({f"ema{i}": v for i, v in enumerate(model.ema.shadows)})
    return {name: np.asarray(tf.convert_to_tensor(v)) for name, v in state.items()}


def largest_differences(a, b):
    (losses_a, state_a), (losses_b, state_b) = a, b
    return dict(loss=float(np.max(np.abs(np.array(losses_a) - losses_b))),
                state=float(max(np.max(np.abs(state_a[k].astype(np.float64) - state_b[k])) for k in state_a)),
                merged=int(np.sum(state_a["partner"] >= 0)))


def mirrored_differences(weights, one_device, rule="released") -> dict:
    losses, state, _ = train(one_device, weights, rule=rule)
    mirrored = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    other_losses, other_state, model = train(mirrored, weights, rule=rule)
    result = largest_differences((losses, state), (other_losses, other_state))
    # A checkpoint written under the strategy restores on one device, as a resumed run restores it.
    with tempfile.TemporaryDirectory() as directory:
        path = checkpoints.checkpoint_for(model).save(os.path.join(directory, "ckpt"))
        with one_device.scope():
            restored = compiled_model(backbone(), rule=rule)
        checkpoints.restore_training_state(checkpoints.checkpoint_for(restored), restored, path)
    restored_state = model_state(restored)
    result["restored"] = float(max(np.max(np.abs(restored_state[k] - other_state[k])) for k in other_state))
    result["replicas"] = mirrored.num_replicas_in_sync
    result["state_tables"] = sorted(k for k in state if k.startswith("rule_"))
    return result


def main(mode):
    keras.utils.set_random_seed(0)
    weights = backbone().get_weights()
    one_device = tf.distribute.OneDeviceStrategy("/cpu:0")
    if mode == "mirrored":
        result = mirrored_differences(weights, one_device)
    elif mode == "rules":
        result = {rule: mirrored_differences(weights, one_device, rule) for rule in RULES if rule != "released"}
    else:
        losses, state, _ = train(one_device, weights)
        other = train(one_device, weights, mixed=mode == "mixed", jit=mode == "jit")[:2]
        result = largest_differences((losses, state), other)
    print(json.dumps(result))


if __name__ == "__main__":
    main(sys.argv[1])
