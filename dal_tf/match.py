"""Rank gallery tracklets for each query tracklet with an exported embedding (your own footage).

    python -m dal_tf.match --saved_model=exports/demo --query=my/query --gallery=my/gallery
    python -m dal_tf.match --saved_model=exports/demo --data_dir=my_tracklets --sheet=matches.png

--query and --gallery each hold one folder of frames per tracklet (any image size; PNG, JPEG,
BMP or GIF). --data_dir is a folders data set (DIR/<camera>/<tracklet>/<frames>, or prepared):
every tracklet is a query against all other cameras' tracklets, and identities.csv, where it
exists, marks the matches true or false on the --sheet. Each tracklet's feature is the
l2-normalised max over its l2-normalised frame embeddings, as in evaluation; distances are
Euclidean between those features (0 to 2), or with --rerank the k-reciprocal re-ranked distances
(queries and gallery re-ranked together). Gallery tracklets beyond --max_distance (by default the
threshold dal_tf.calibrate wrote into the export) are no match; a query left with none is printed
as "no match" and has one CSV row with empty rank, gallery and distance. The flags are the fields
of dal_tf.config.MatchConfig.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from dal_tf.config import MatchConfig  # noqa: E402
from dal_tf.config import command_line  # noqa: E402
from dal_tf.utils.atomic_io import atomic_file, atomic_write_text  # noqa: E402

command_line.define_flags(MatchConfig)


def match_and_print():
    from dal_tf.people.matching import match, sheet_png, to_csv

    config = command_line.config_from_flags(MatchConfig, flags.FLAGS)
    matches, found = match(config, log=lambda line: print(line, file=sys.stderr, flush=True))
    if config.csv:
        atomic_write_text(config.csv, to_csv(matches))
    if config.sheet:
        with atomic_file(config.sheet) as tmp, open(tmp, "wb") as handle:
            handle.write(sheet_png(matches, found, config.sheet_queries))
    for query, ranked in matches:
        print(f"query {query}:" + ("" if ranked else " no match"))
        for rank, (gallery, distance) in enumerate(ranked, 1):
            print(f"  {rank:3d}. {gallery}  {distance:.4f}")


if __name__ == "__main__":
    command_line.entry_point("dal_tf.match", match_and_print)
