"""Validate and index a real data set for training and evaluation.

    python -m data_prep.prepare --dataset=prid --src=~/data/PRID2011 --out=~/data/prepared/prid
    python -m data_prep.prepare --dataset=prid --src=... --out=... --splits=DAL/datasplits/PRID2011
    python -m data_prep.prepare --dataset=ilids --src=~/data/iLIDS-VID --out=~/data/prepared/ilids
    python -m data_prep.prepare --dataset=mars --src=~/data/MARS --out=~/data/prepared/mars

Writes <out>/manifest.json, tracklets.csv and frames.txt in one rename; the frames stay in --src.
Running it again on the same source writes the same bytes.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

from dal_tf import flag_defs  # noqa: E402

flags.DEFINE_string("dataset", None, "prid | ilids | mars.")
flags.DEFINE_string("src", None, "The data set as distributed (see the README for each layout).")
flags.DEFINE_string("out", None, "Directory to write the prepared index to.")
flags.DEFINE_string("splits", "", "PRID / iLIDS-VID: a released DAL split folder, a torchreid .json or iLIDS-VID's "
                    ".mat; default: seeded halves (PRID), the official .mat in --src (iLIDS-VID).")
flags.DEFINE_integer("seed", 0, "Seed of PRID's random splits.")
flags.DEFINE_enum("format", "files", ["files", "tfrecord"],
                  "tfrecord: also copy the frames into sharded TFRecords under --out (fast on network file systems).")
flags.DEFINE_boolean("skip_corrupt", False, "Drop unreadable frames (listed in the manifest) instead of stopping.")
flags.mark_flags_as_required(["dataset", "src", "out"])

FLAGS = flags.FLAGS


def prepare():
    from dal_tf.datasets.preparation import PrepareConfig, prepare as prepare_dataset

    config = PrepareConfig(dataset=FLAGS.dataset, src=FLAGS.src, out=FLAGS.out, splits=FLAGS.splits,
                           seed=FLAGS.seed, skip_corrupt=FLAGS.skip_corrupt,
                           frame_format=FLAGS.format)
    manifest = prepare_dataset(config, log=lambda line: print(line, flush=True))
    counts = ", ".join(f"{name} {value}" for name, value in manifest["counts"].items())
    shards = f"; {len(manifest['tfrecords'])} TFRecord shards" if manifest.get("tfrecords") else ""
    print(f"wrote {os.path.abspath(FLAGS.out)}: {counts}; {len(manifest['splits'])} splits "
          f"({manifest['split_source']}){shards}")


if __name__ == "__main__":
    app.run(flag_defs.entry_point("data_prep.prepare", prepare))
