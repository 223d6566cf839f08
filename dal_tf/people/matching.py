"""What dal_tf.match does: every query tracklet's closest gallery tracklets under an export's
embedding, within a distance limit, as CSV rows and a contact sheet."""

from __future__ import annotations

import csv
import io

import cv2
import numpy as np
import tensorflow as tf

from dal_tf.config import FOLDERS, DataConfig, MatchConfig
from dal_tf.datasets import folders
from dal_tf.datasets.base import Tracklet, TrackletSet
from dal_tf.datasets.folders_layout import folder_tracklets, tracklet_name
from dal_tf.datasets.prepared import tracklet_set
from dal_tf.evaluation import features, reranking
from dal_tf.evaluation.contact_sheet import QUERY, Cell, contact_sheet, middle_frame, verdict_colour
from dal_tf.people import calibration
from dal_tf.people.camera_bias import debiased


def rank_gallery(distances, top_k: int) -> list[list[int]]:
    """Per query, the positions of its top_k closest gallery entries (ties: lower position first);
    entries at an infinite distance are not candidates."""
    return [[int(g) for g in np.argsort(row, kind="stable")[:top_k] if np.isfinite(row[g])] for row in distances]


def candidates(config: MatchConfig, log):
    """(names, tracklets, cameras, person ids, frame reader, query positions, gallery positions) of
    what is matched: --query then --gallery, or every tracklet of --data_dir."""
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
    log = log or (lambda _: None)
    names, tracklets, cameras, people, read, queries, gallery = candidates(config, log)
    embedding = config.embedding
    embedder, metadata = features.saved_model_embedder(embedding.saved_model)
    limit = calibration.distance_limit(config.max_distance, "max_distance", metadata, embedding, log)
    pooled = features.tracklet_features(embedder, tracklets, batch_size=embedding.batch_size,
                                        pooling=embedding.pooling, read=read, log=log)
    if embedding.debias_cameras:  # with --query and --gallery, each is one camera
        pooled = debiased(pooled, cameras)
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
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["query", "rank", "gallery", "distance"])
    for query, ranked in matches:
        writer.writerows((query, rank, gallery, f"{distance:.6f}") for rank, (gallery, distance) in enumerate(ranked, 1))
        if not ranked:
            writer.writerow((query, "", "", ""))
    return out.getvalue()
