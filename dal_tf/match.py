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

from dal_tf import flag_defs  # noqa: E402
from dal_tf.config import MatchConfig  # noqa: E402
from dal_tf.io_utils import atomic_file, atomic_write_text  # noqa: E402

flag_defs.define_flags(MatchConfig)


def rank_gallery(distances, top_k: int) -> list[list[int]]:
    """Per query, the positions of its top_k closest gallery entries (ties: lower position first);
    entries at an infinite distance are not candidates."""
    import numpy as np

    return [[int(g) for g in np.argsort(row, kind="stable")[:top_k] if np.isfinite(row[g])] for row in distances]


def candidates(config: MatchConfig, log):
    """(names, tracklets, cameras, person ids, frame reader, query positions, gallery positions) of
    what is matched: --query then --gallery, or every tracklet of --data_dir."""
    import numpy as np
    import tensorflow as tf

    from dal_tf.config import FOLDERS, DataConfig
    from dal_tf.datasets import folders
    from dal_tf.datasets.base import Tracklet, TrackletSet
    from dal_tf.datasets.folders_layout import folder_tracklets, tracklet_name
    from dal_tf.datasets.prepared import tracklet_set

    if config.data_dir:
        camera_names, indexed, frame_store = folders.indexed(DataConfig(dataset=FOLDERS, data_dir=config.data_dir), log)
        tracklets = tracklet_set(indexed, len(camera_names))
        positions = np.arange(len(indexed))
        read = frame_store.read if frame_store else tf.io.read_file
        return ([tracklet_name(t) for t in indexed], tracklets, tracklets.cameras(), tracklets.person_ids(), read,
                positions, positions)
    query_names, query = folder_tracklets(config.query, "--query")
    gallery_names, gallery = folder_tracklets(config.gallery, "--gallery")
    tracklets = [Tracklet(t.frames, 0, i) for i, t in enumerate(query.tracklets + gallery.tracklets)]
    cameras = np.repeat([0, 1], [len(query), len(gallery)])
    return (query_names + gallery_names, TrackletSet(tuple(tracklets), 1), cameras, np.full(len(tracklets), -1),
            tf.io.read_file, np.arange(len(query)), len(query) + np.arange(len(gallery)))


def match(config: MatchConfig, log=None) -> tuple[list, dict]:
    """([(query name, [(gallery name, distance), ...]), ...], what the contact sheet needs);
    log: where progress goes."""
    import numpy as np

    from dal_tf import calibration, features, reranking

    log = log or (lambda _: None)
    names, tracklets, cameras, people, read, queries, gallery = candidates(config, log)
    embedding = config.embedding
    embedder, metadata = features.saved_model_embedder(embedding.saved_model)
    limit = calibration.distance_limit(config.max_distance, "max_distance", metadata, embedding.reranking, log)
    pooled = features.tracklet_features(embedder, tracklets, batch_size=embedding.batch_size,
                                        pooling=embedding.pooling, read=read, log=log)
    distances = reranking.ranking_distances(pooled[queries], pooled[gallery], embedding.reranking)
    if config.data_dir:  # only other cameras' tracklets
        distances = np.where(cameras[queries][:, None] == cameras[gallery][None, :], np.inf, distances)
    if limit is not None:
        distances = np.where(distances > limit, np.inf, distances)
    ranked = rank_gallery(distances, config.top_k)
    matches = [(names[q], [(names[gallery[g]], float(distances[i, g])) for g in order])
               for i, (q, order) in enumerate(zip(queries, ranked))]
    found = dict(tracklets=tracklets, people=people, read=read, queries=queries,
                 ranked=[[int(gallery[g]) for g in order] for order in ranked])
    return matches, found


def sheet_png(matches: list, found: dict, rows: int) -> bytes:
    """The contact sheet of the first `rows` queries, PNG-encoded."""
    import cv2

    from dal_tf.contact_sheet import QUERY, Cell, contact_sheet, middle_frame, verdict_colour

    tracklets, people, read = found["tracklets"].tracklets, found["people"], found["read"]

    def frame(position):
        return middle_frame(tracklets[position].frames, read)

    def same(query, other):
        return None if people[query] < 0 or people[other] < 0 else bool(people[query] == people[other])

    sheet_rows = []
    for (name, ranked), query, order in list(zip(matches, found["queries"], found["ranked"]))[:rows]:
        cells = [Cell(frame(g), (gallery_name, f"{distance:.3f}"), verdict_colour(same(query, g)))
                 for (gallery_name, distance), g in zip(ranked, order)]
        sheet_rows.append((Cell(frame(query), (name, "query"), QUERY), cells))
    return cv2.imencode(".png", contact_sheet(sheet_rows), [cv2.IMWRITE_PNG_COMPRESSION, 9])[1].tobytes()


def to_csv(matches) -> str:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["query", "rank", "gallery", "distance"])
    for query, ranked in matches:
        writer.writerows((query, rank, gallery, f"{distance:.6f}") for rank, (gallery, distance) in enumerate(ranked, 1))
        if not ranked:
            writer.writerow((query, "", "", ""))
    return out.getvalue()


def match_and_print():
    config = flag_defs.config_from_flags(MatchConfig, flags.FLAGS)
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
    flag_defs.entry_point("dal_tf.match", match_and_print)
