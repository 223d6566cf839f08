"""Train DAL without identity labels, then evaluate the test split.

    python -m dal_tf.train --dataset=synthetic --train_dir=runs/demo
    python -m dal_tf.train --flagfile=experiments/flags/synthetic_demo.flags

A rerun with the same --train_dir resumes from its latest checkpoint; --max_steps=0 evaluates
the network as initialised (e.g. ImageNet) without training.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

from dal_tf import flag_defs  # noqa: E402

flag_defs.define_data_flags()
flag_defs.define_model_flags()
flags.DEFINE_string("train_dir", "runs/default", "Checkpoints, TensorBoard logs, config.json and results.json.")
flags.DEFINE_integer("batch_size", 64, "Random frames per training batch (release: 64).")
flags.DEFINE_integer("max_steps", -1, "Training steps; -1: the release's count for the data set; 0: evaluate only.")
flags.DEFINE_integer("checkpoint_every", 200, "Steps between checkpoints.")
flags.DEFINE_integer("log_every", 10, "Steps between progress and TensorBoard updates.")
flags.DEFINE_integer("eval_batch_size", 128, "Frames per batch when extracting test features.")
flags.DEFINE_enum("pooling", "max", ["max", "mean"], "Pooling of frame features into a tracklet feature.")
flags.DEFINE_boolean("deterministic", False, "Bitwise-reproducible TF ops (slower).")
flags.DEFINE_enum("objective", "dal", ["dal", "supervised"],
                  "dal | supervised: the ID-supervised counterpart (softmax on training person ids; Table 3).")
flags.DEFINE_float("label_smoothing", 0.1, "Supervised objective: label smoothing (release: 0.1).")
# Scale and speed.
flags.DEFINE_enum("strategy", "default", ["default", "mirrored", "multiworker"],
                  "tf.distribute: one device | all local GPUs | the cluster in TF_CONFIG. --batch_size is global.")
flags.DEFINE_boolean("mixed_precision", False, "mixed_float16 backbone; anchors, distances and losses stay float32.")
flags.DEFINE_boolean("jit_compile", False, "XLA-compile each replica's forward and backward pass.")
# Association (defaults: the released code; the paper's choices in brackets).
flags.DEFINE_string("distance", "squared", "squared | euclidean [paper].")
flags.DEFINE_float("margin", 0.5, "Hinge margin [paper: 0.2].")
flags.DEFINE_float("eta", 0.5, "Intra-anchor update rate (Eq. 1).")
flags.DEFINE_string("anchor_init", "zeros", "zeros | mean [paper: each tracklet's mean frame feature].")
flags.DEFINE_string("anchor_update", "released", "released | normalized (moving average of unit vectors).")
flags.DEFINE_float("warmup_epochs", -1.0, "Epochs before cross-camera association; -1: the data set's release value.")
flags.DEFINE_string("loss_terms", "both", "both | intra (L_I only) | cross (L_C only).")
flags.DEFINE_float("lambda_cross", 1.0, "Weight of L_C in L_I + lambda * L_C.")
# Optimisation (0 / auto: the data set's release setting).
flags.DEFINE_string("optimizer", "auto", "auto | rmsprop | sgd.")
flags.DEFINE_float("learning_rate", 0.0, "Initial learning rate; 0: 0.045 (RMSProp) or 0.01 (SGD).")
flags.DEFINE_float("lr_decay_factor", 0.94, "RMSProp: staircase decay factor.")
flags.DEFINE_float("epochs_per_decay", 2.0, "RMSProp: epochs between decays.")
flags.DEFINE_float("weight_decay", 4e-5, "L2 weight decay on convolution kernels.")
flags.DEFINE_float("clip_value", 2.0, "Element-wise gradient clipping.")
flags.DEFINE_float("ema_decay", 0.9999, "Decay of the weight averages used for evaluation.")

FLAGS = flags.FLAGS


def config_from_flags():
    from dal_tf.config import AssociationConfig, OptimConfig, TrainConfig

    return TrainConfig(
        data=flag_defs.data_config(FLAGS),
        model=flag_defs.model_config(FLAGS),
        association=AssociationConfig(
            distance=FLAGS.distance, margin=FLAGS.margin, eta=FLAGS.eta, anchor_init=FLAGS.anchor_init,
            anchor_update=FLAGS.anchor_update, loss_terms=FLAGS.loss_terms, lambda_cross=FLAGS.lambda_cross,
        ),
        optim=OptimConfig(
            optimizer=FLAGS.optimizer, learning_rate=FLAGS.learning_rate, lr_decay_factor=FLAGS.lr_decay_factor,
            epochs_per_decay=FLAGS.epochs_per_decay, weight_decay=FLAGS.weight_decay,
            clip_value=FLAGS.clip_value, ema_decay=FLAGS.ema_decay,
        ),
        train_dir=FLAGS.train_dir, batch_size=FLAGS.batch_size, max_steps=FLAGS.max_steps,
        warmup_epochs=FLAGS.warmup_epochs, checkpoint_every=FLAGS.checkpoint_every, log_every=FLAGS.log_every,
        eval_batch_size=FLAGS.eval_batch_size, pooling=FLAGS.pooling, seed=FLAGS.seed,
        deterministic=FLAGS.deterministic, objective=FLAGS.objective, label_smoothing=FLAGS.label_smoothing,
        strategy=FLAGS.strategy, mixed_precision=FLAGS.mixed_precision, jit_compile=FLAGS.jit_compile,
    )


def train():
    from dal_tf import training

    training.run(config_from_flags(), log=lambda line: print(line, flush=True))


if __name__ == "__main__":
    app.run(flag_defs.entry_point("dal_tf.train", train))
