"""Rank gallery tracklets for each query tracklet with an exported embedding (your own footage).

    python -m dal_tf.match --saved_model=exports/synthetic_demo --query=my/query --gallery=my/gallery

--query and --gallery each hold one folder of frames per tracklet (any image size; PNG, JPEG,
BMP or GIF). Each tracklet's feature is the l2-normalised max over its l2-normalised frame
embeddings, as in evaluation; distances are Euclidean between those features (0 to 2).
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import app, flags  # noqa: E402

from dal_tf import flag_defs  # noqa: E402
from dal_tf.errors import UserInputError  # noqa: E402
from dal_tf.io_utils import atomic_write_text  # noqa: E402

flags.DEFINE_string("saved_model", None, "Directory written by dal_tf.export.")
flags.DEFINE_string("query", None, "Directory of query tracklets, one folder of frames each.")
flags.DEFINE_string("gallery", None, "Directory of gallery tracklets, one folder of frames each.")
flags.DEFINE_integer("top_k", 10, "Gallery tracklets listed per query.")
flags.DEFINE_string("csv", "", "Also write query,rank,gallery,distance rows to this CSV file.")
flags.DEFINE_integer("batch_size", 128, "Frames per batch (memory is bounded by it).")
flags.DEFINE_enum("pooling", "max", ["max", "mean"], "Pooling of frame features into a tracklet feature.")
flags.mark_flags_as_required(["saved_model", "query", "gallery"])

FLAGS = flags.FLAGS


def rank_gallery(distances, top_k: int) -> list[list[int]]:
    """Per query, the positions of its top_k closest gallery entries (ties: lower position first)."""
    import numpy as np

    return [list(np.argsort(row, kind="stable")[:top_k]) for row in distances]


def match(saved_model: str, query_dir: str, gallery_dir: str, *, top_k: int, batch_size: int, pooling: str):
    """Returns [(query name, [(gallery name, distance), ...]), ...]."""
    from dal_tf import features, metrics
    from dal_tf.datasets.folders import folder_tracklets

    if top_k < 1:
        raise UserInputError(f"--top_k={top_k} must be >= 1")
    query_names, query = folder_tracklets(query_dir, "--query")
    gallery_names, gallery = folder_tracklets(gallery_dir, "--gallery")
    embedder, _ = features.saved_model_embedder(saved_model)
    extract = dict(batch_size=batch_size, pooling=pooling)
    distances = metrics.euclidean_distances(features.tracklet_features(embedder, query, **extract),
                                            features.tracklet_features(embedder, gallery, **extract))
    return [(name, [(gallery_names[g], float(distances[q, g])) for g in ranked])
            for q, (name, ranked) in enumerate(zip(query_names, rank_gallery(distances, top_k)))]


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
    matches = match(FLAGS.saved_model, FLAGS.query, FLAGS.gallery, top_k=FLAGS.top_k,
                    batch_size=FLAGS.batch_size, pooling=FLAGS.pooling)
    if FLAGS.csv:
        atomic_write_text(FLAGS.csv, to_csv(matches))
    for query, ranked in matches:
        print(f"query {query}:")
        for rank, (gallery, distance) in enumerate(ranked, 1):
            print(f"  {rank:3d}. {gallery}  {distance:.4f}")


if __name__ == "__main__":
    app.run(flag_defs.entry_point("dal_tf.match", match_and_print))
