"""Validate and index a real data set for training and evaluation.

    python -m data_prep.prepare --dataset=prid --src=$HOME/data/PRID2011 --out=$HOME/data/prepared/prid
    python -m data_prep.prepare --dataset=prid --src=... --out=... --splits=DAL/evaluation/datasplits/PRID2011
    python -m data_prep.prepare --dataset=ilids --src=$HOME/data/iLIDS-VID --out=$HOME/data/prepared/ilids
    python -m data_prep.prepare --dataset=mars --src=$HOME/data/MARS --out=$HOME/data/prepared/mars
    python -m data_prep.prepare --dataset=folders --src=my_tracklets --out=$HOME/data/prepared/mine

Writes <out>/manifest.json, tracklets.csv and frames.txt in one rename; the frames stay in --src.
Running it again on the same source writes the same bytes. The flags are the fields of
dal_tf.config.PrepareConfig.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from dal_tf.config import PrepareConfig  # noqa: E402
from dal_tf.config import command_line  # noqa: E402

command_line.define_flags(PrepareConfig)


def prepare():
    from dal_tf.datasets.preparation import prepare as prepare_dataset

    config = command_line.config_from_flags(PrepareConfig, flags.FLAGS)
    manifest = prepare_dataset(config, log=lambda line: print(line, flush=True))
    counts = ", ".join(f"{name} {value}" for name, value in manifest["counts"].items())
    shards = f"; {len(manifest['tfrecords'])} TFRecord shards" if manifest.get("tfrecords") else ""
    splits = f"{len(manifest['splits'])} splits" if manifest["splits"] else "test people"
    print(f"wrote {os.path.abspath(config.out)}: {counts}; {splits} ({manifest['split_source']}){shards}")


if __name__ == "__main__":
    command_line.entry_point("data_prep.prepare", prepare)
