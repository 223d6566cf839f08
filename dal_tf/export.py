"""Export a trained run's EMA weights as a SavedModel that needs neither dal_tf nor the data set.

    python -m dal_tf.export --train_dir=runs/demo --out=exports/demo

The signatures are described in dal_tf/saved_model.py. An existing --out that a previous export
wrote (it holds dal_tf_export.json) is replaced; any other existing path is refused.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from dal_tf import flag_defs  # noqa: E402

flags.DEFINE_string("train_dir", None, "Training run to export (its latest checkpoint).")
flags.DEFINE_string("out", None, "SavedModel directory to write.")
flags.mark_flags_as_required(["train_dir", "out"])

FLAGS = flags.FLAGS


def export():
    from dal_tf import checkpoints
    from dal_tf.errors import UserInputError
    from dal_tf.run_files import training_people
    from dal_tf.saved_model import export_saved_model

    checkpoint = checkpoints.latest_checkpoint(FLAGS.train_dir)
    model, config = checkpoints.restore_for_inference(FLAGS.train_dir, checkpoint)
    people = training_people(FLAGS.train_dir)
    if people is None:
        raise UserInputError(f"--train_dir={FLAGS.train_dir} does not record its training people, so its export "
                             "could not refuse to be evaluated on them; train it again with this dal_tf")
    metadata = export_saved_model(model, config, FLAGS.out, step=checkpoints.checkpoint_step(checkpoint),
                                  training_people=people)
    print(f"exported {checkpoint} (EMA weights, {metadata['feature_dim']}-d) to {os.path.abspath(FLAGS.out)}")


if __name__ == "__main__":
    flag_defs.entry_point("dal_tf.export", export)
