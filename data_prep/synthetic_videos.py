"""Render short synthetic videos of people walking through several camera views, with their
ground truth in the MOTChallenge format: test data for data_prep.tracklets.

    python -m data_prep.synthetic_videos --out=synthetic_videos

Writes OUT/cam1.avi, OUT/cam1.gt.txt, OUT/cam2.avi, ... in one rename. Every person walks through
every view, and ground-truth ids are the people's, the same in every camera. The flags are the
fields of dal_tf.config.SyntheticVideoConfig.
"""

from __future__ import annotations

import os

from absl import flags

from dal_tf.config import SyntheticVideoConfig, command_line

command_line.define_flags(SyntheticVideoConfig)


def render():
    from dal_tf.datasets.synthetic.videos import write_videos

    config = command_line.config_from_flags(SyntheticVideoConfig, flags.FLAGS)
    names = write_videos(config)
    print(f"wrote {os.path.abspath(config.out)}: " + ", ".join(f"{n}.avi and {n}.gt.txt" for n in names))


if __name__ == "__main__":
    command_line.entry_point("data_prep.synthetic_videos", render, tensorflow=False)
