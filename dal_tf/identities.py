"""Who is who across your cameras: every tracklet of a folders data set assigned to a person.

    python -m dal_tf.identities --saved_model=exports/demo --data_dir=my_tracklets --out=people

Tracklet features are those of dal_tf.match (with --rerank, its re-ranked distances). Two
tracklets of one camera that overlap in time (tracks.csv) are never one person. Tracklets are
clustered by average linkage over a k-nearest-neighbour graph, cut at --threshold: by default the
threshold dal_tf.calibrate wrote into the export, else one estimated from the footage itself
(dal_tf.people.grouping says how). OUT gets people.csv, summary.json and people.png, and, where tracks.csv
exists, mot/<camera>.txt and aicity.txt (dal_tf.people.files lists the columns); with --videos,
videos/<camera>.mp4. OUT appears at once when everything succeeded, or not at all. The flags are
the fields of dal_tf.config.IdentitiesConfig.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from dal_tf.config import IdentitiesConfig  # noqa: E402
from dal_tf.config import command_line  # noqa: E402

command_line.define_flags(IdentitiesConfig)


def identities_and_print():
    from dal_tf.people.find_people import find_people

    config = command_line.config_from_flags(IdentitiesConfig, flags.FLAGS)
    summary = find_people(config, log=lambda line: print(line, file=sys.stderr, flush=True))
    if summary["scores"]:
        from dal_tf.people.scores import format_scores

        print(format_scores(summary["scores"]))
    print(f"wrote {os.path.abspath(config.out)}: {summary['people']} people")


if __name__ == "__main__":
    command_line.entry_point("dal_tf.identities", identities_and_print)
