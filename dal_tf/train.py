"""Train DAL without identity labels, then evaluate the test split.

    python -m dal_tf.train --dataset=synthetic --train_dir=runs/demo
    python -m dal_tf.train --flagfile=experiments/flags/synthetic_demo.flags

A rerun with the same --train_dir resumes from its latest checkpoint; --max_steps=0 evaluates
the network as initialised (e.g. ImageNet) without training. Every flag is a field of
dal_tf.config.TrainConfig, where its default and help live.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from dal_tf import flag_defs  # noqa: E402
from dal_tf.config import TrainConfig  # noqa: E402

flag_defs.define_flags(TrainConfig)


def train():
    from dal_tf import training

    training.run(flag_defs.config_from_flags(TrainConfig, flags.FLAGS), log=lambda line: print(line, flush=True))


if __name__ == "__main__":
    flag_defs.entry_point("dal_tf.train", train)
