"""Identities scored against ground truth, one table: how the people that dal_tf.identities finds
compare with the true ones, for the trained and the untrained embedding, with and without the time
constraints, at the estimated threshold and at the best one, and as the training run's own merges
join them.

    python -m dal_tf.score_identities --saved_model=exports/mine --untrained=exports/untrained \
        --train_dir=runs/mine --data_dir=my_tracklets --ground_truth=cam1=cam1.gt.txt ...

Columns: pairwise precision, recall and F1 and BCubed F1 over identified tracklets
(dal_tf.people.scores), people found and true, and with --ground_truth the multi-camera IDF1,
IDP and IDR of people.csv's global ids over tracks.csv's boxes against the ground-truth boxes.
"The best threshold" is the one of BEST_CANDIDATES cuts with the highest pairwise F1: what no
unlabelled run can know, the bound the estimate is measured against. The flags are the fields of
dal_tf.config.ScoreIdentitiesConfig.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from dal_tf.config import ScoreIdentitiesConfig  # noqa: E402
from dal_tf.config import command_line  # noqa: E402

command_line.define_flags(ScoreIdentitiesConfig)


def score_and_print():
    from dal_tf.people.score_table import csv_text, markdown, score
    from dal_tf.utils.atomic_io import atomic_write_text

    config = command_line.config_from_flags(ScoreIdentitiesConfig, flags.FLAGS)
    rows = score(config, log=lambda line: print(line, file=sys.stderr, flush=True))
    if config.csv:
        atomic_write_text(config.csv, csv_text(rows))
    print(markdown(rows))


if __name__ == "__main__":
    command_line.entry_point("dal_tf.score_identities", score_and_print)
