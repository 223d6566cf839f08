"""Evaluate a trained run (its EMA weights) or an exported SavedModel on a data set's test split.

    python -m dal_tf.evaluate --train_dir=runs/synthetic_demo
    python -m dal_tf.evaluate --saved_model=exports/synthetic_demo --protocol=torchreid
    python -m dal_tf.evaluate --train_dir='runs/prid/split{split}' --splits=1-10 --results_json=prid.json

A path holding "{split}" names one model per split: PRID 2011 and iLIDS-VID train one model on
each of their 10 splits and report the mean (here also the standard deviation). A model is never
evaluated on another split of the data set it was trained on: those test people were its
training people.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

from dal_tf import flag_defs  # noqa: E402
from dal_tf.errors import UserInputError  # noqa: E402
from dal_tf.io_utils import atomic_write_json  # noqa: E402

flags.DEFINE_string("train_dir", None, "Training run to evaluate with its EMA weights; may contain {split}.")
flags.DEFINE_string("checkpoint", "", "With --train_dir: this checkpoint instead of the latest.")
flags.DEFINE_string("saved_model", None, "dal_tf.export directory to evaluate instead; may contain {split}.")
flags.DEFINE_string("dataset", None, "Registered data set; default: the one the model was trained on.")
flags.DEFINE_string("data_dir", None, "Prepared data directory; default: the training run's (or the data set's).")
flags.DEFINE_string("splits", "", "Splits to evaluate: N, N-M or N,M,...; default: the model's training split.")
flags.DEFINE_string("protocol", "", "mars | torchreid | single_shot; default: the data set's own.")
flags.DEFINE_enum("pooling", "max", ["max", "mean"], "Pooling of frame features into a tracklet feature.")
flags.DEFINE_enum("probe_cam", None, ["1", "2", "both"],
                  "Two-camera sets: queries from camera 1, camera 2, or the mean of both directions; default: what "
                  "the release reports (both for iLIDS-VID, camera 1 for PRID 2011).")
flags.DEFINE_integer("eval_batch_size", 128, "Frames per batch (memory is bounded by it).")
flags.DEFINE_string("results_json", "", "Also write the numbers to this JSON file.")

FLAGS = flags.FLAGS


def evaluate():
    if (FLAGS.train_dir is None) == (FLAGS.saved_model is None):
        raise UserInputError("give exactly one of --train_dir and --saved_model")
    if FLAGS.checkpoint and FLAGS.train_dir is None:
        raise UserInputError("--checkpoint needs --train_dir")
    from dal_tf.evaluation_runs import EvalRequest, parse_splits, run

    from_run = FLAGS.train_dir is not None
    request = EvalRequest(
        source=FLAGS.train_dir if from_run else FLAGS.saved_model,
        source_flag="--train_dir" if from_run else "--saved_model", checkpoint=FLAGS.checkpoint,
        dataset=FLAGS.dataset, data_dir=FLAGS.data_dir, splits=parse_splits(FLAGS.splits),
        protocol=FLAGS.protocol, pooling=FLAGS.pooling, probe_cam=FLAGS.probe_cam or "",
        batch_size=FLAGS.eval_batch_size,
    )
    summary = run(request, log=lambda line: print(line, flush=True))
    if FLAGS.results_json:
        atomic_write_json(FLAGS.results_json, summary)


if __name__ == "__main__":
    app.run(flag_defs.entry_point("dal_tf.evaluate", evaluate))
