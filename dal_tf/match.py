"""Rank gallery tracklets for each query tracklet with an exported embedding (your own footage).

    python -m dal_tf.match --saved_model=exports/synthetic_demo --query=my/query --gallery=my/gallery

--query and --gallery each hold one folder of frames per tracklet (any image size; PNG, JPEG,
BMP or GIF). Each tracklet's feature is the l2-normalised max over its l2-normalised frame
embeddings, as in evaluation; distances are Euclidean between those features (0 to 2). The flags
are the fields of dal_tf.config.MatchConfig.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from dal_tf import flag_defs  # noqa: E402
from dal_tf.config import MatchConfig  # noqa: E402
from dal_tf.io_utils import atomic_write_text  # noqa: E402

flag_defs.define_flags(MatchConfig)


def rank_gallery(distances, top_k: int) -> list[list[int]]:
    """Per query, the positions of its top_k closest gallery entries (ties: lower position first)."""
    import numpy as np

    return [list(np.argsort(row, kind="stable")[:top_k]) for row in distances]


def match(config: MatchConfig, log=None):
    """Returns [(query name, [(gallery name, distance), ...]), ...]; log: where progress goes."""
    from dal_tf import features, metrics
    from dal_tf.datasets.folders_layout import folder_tracklets

    query_names, query = folder_tracklets(config.query, "--query")
    gallery_names, gallery = folder_tracklets(config.gallery, "--gallery")
    embedder, _ = features.saved_model_embedder(config.saved_model)
    extract = dict(batch_size=config.batch_size, pooling=config.pooling, log=log)
    distances = metrics.euclidean_distances(features.tracklet_features(embedder, query, **extract),
                                            features.tracklet_features(embedder, gallery, **extract))
    return [(name, [(gallery_names[g], float(distances[q, g])) for g in ranked])
            for q, (name, ranked) in enumerate(zip(query_names, rank_gallery(distances, config.top_k)))]


def to_csv(matches) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["query", "rank", "gallery", "distance"])
    for query, ranked in matches:
        writer.writerows((query, rank, gallery, f"{distance:.6f}") for rank, (gallery, distance) in enumerate(ranked, 1))
    return out.getvalue()


def match_and_print():
    config = flag_defs.config_from_flags(MatchConfig, flags.FLAGS)
    matches = match(config, log=lambda line: print(line, file=sys.stderr, flush=True))
    if config.csv:
        atomic_write_text(config.csv, to_csv(matches))
    for query, ranked in matches:
        print(f"query {query}:")
        for rank, (gallery, distance) in enumerate(ranked, 1):
            print(f"  {rank:3d}. {gallery}  {distance:.4f}")


if __name__ == "__main__":
    flag_defs.entry_point("dal_tf.match", match_and_print)
