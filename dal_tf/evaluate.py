"""Evaluate a trained run (its EMA weights) or an exported SavedModel on a data set's test split.

    python -m dal_tf.evaluate --train_dir=runs/synthetic_demo
    python -m dal_tf.evaluate --saved_model=exports/synthetic_demo --protocol=torchreid
    python -m dal_tf.evaluate --train_dir='runs/prid/split{split}' --splits=1-10 --results_json=prid.json

A path holding "{split}" names one model per split: PRID 2011 and iLIDS-VID train one model on
each of their 10 splits and report the mean (here also the standard deviation). A model is never
evaluated on its training people. The flags are the fields of dal_tf.config.EvalRequest, and
--results_json.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from dal_tf.config import EvalRequest  # noqa: E402
from dal_tf.config import command_line  # noqa: E402
from dal_tf.utils.atomic_io import atomic_write_json  # noqa: E402

command_line.define_flags(EvalRequest)
flags.DEFINE_string("results_json", "", "Also write the numbers to this JSON file.")

FLAGS = flags.FLAGS


def evaluate():
    from dal_tf.evaluation.split_evaluation import evaluate_splits

    summary = evaluate_splits(command_line.config_from_flags(EvalRequest, FLAGS),
                              log=lambda line: print(line, flush=True))
    if FLAGS.results_json:
        atomic_write_json(FLAGS.results_json, summary)


if __name__ == "__main__":
    command_line.entry_point("dal_tf.evaluate", evaluate)
