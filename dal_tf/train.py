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

from dal_tf.config import TrainConfig  # noqa: E402
from dal_tf.config import command_line  # noqa: E402

command_line.define_flags(TrainConfig)


def train():
    from dal_tf.training import loop

    loop.run(command_line.config_from_flags(TrainConfig, flags.FLAGS), log=lambda line: print(line, flush=True))


if __name__ == "__main__":
    command_line.entry_point("dal_tf.train", train)
