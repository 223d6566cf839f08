"""What dal_tf.identities does, in the order it does it: read the footage, embed its tracklets, their
distances, the threshold, the people under it, and their files, written all at once."""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from dal_tf.config import EmbeddingConfig, GraphConfig, IdentitiesConfig, distance_limit
from dal_tf.evaluation import features
from dal_tf.people import calibration, files, grouping, threshold
from dal_tf.people.clustering import Distances
from dal_tf.people.footage import Footage, camera_names, embedded, read_footage
from dal_tf.people.scores import clustering_scores
from dal_tf.people.sheet import people_png
from dal_tf.people.videos import draw_video, video_paths
from dal_tf.utils.atomic_io import atomic_directory, atomic_write_json, atomic_write_text
from dal_tf.utils.errors import UserInputError

SUMMARY = "summary.json"
PEOPLE = "people.csv"


def chosen_threshold(text: str, metadata: dict, embedding: EmbeddingConfig, distances: Distances,
                     footage: Footage, cannot: np.ndarray, graph: GraphConfig, log) -> threshold.Threshold:
    """--threshold's number, else the export's calibrated threshold, else one estimated (which may
    raise threshold.Abstention)."""
    given = distance_limit(text, "threshold")
    if given == float("inf"):
        raise UserInputError(f"--threshold={text} must be a number; empty estimates one")
    if given is not None:
        return threshold.Threshold(given, "--threshold")
    calibrated = calibration.distance_limit("", "threshold", metadata, embedding, log,
                                            calibration.PEOPLE_THRESHOLD)
    if calibrated is not None:
        return threshold.Threshold(calibrated, "calibrated")
    return threshold.estimated_threshold(distances, footage.cameras, cannot, graph.neighbour_search,
                                         graph.max_per_camera)


def find_people(config: IdentitiesConfig, log=print) -> dict:
    """Writes config.out; returns its summary."""
    out = os.path.abspath(config.out)
    if os.path.lexists(out) and not os.path.isfile(os.path.join(out, PEOPLE)):
        raise UserInputError(f"--out={out} exists and was not written by dal_tf.identities; choose a new path")
    # Everything that can be refused is checked before the frames are read.
    embedder, metadata = features.saved_model_embedder(config.embedding.saved_model)
    tracks = files.read_tracks_csv(config.data_dir)
    recorded = {name.split("/")[0]: entry.video for name, entry in (tracks or {}).items()}
    videos = video_paths(config.videos, camera_names(config.data_dir), recorded)
    footage = read_footage(config.data_dir, tracks, log)
    names, cameras = footage.names, footage.cameras
    pooled, distances = embedded(footage, embedder, config.embedding, log)
    cannot = footage.cannot_links() if config.time_constraints else np.zeros((0, 2), np.int64)
    graph = config.graph
    cut = chosen_threshold(config.threshold, metadata, config.embedding, distances, footage, cannot, graph, log)
    person = grouping.cluster(distances, cameras, cut.value, graph.neighbours, cannot, graph.neighbour_search,
                              graph.max_per_camera)
    threshold.refuse_collapse(person, cut)
    seen_by = np.bincount(np.unique(np.stack([person, cameras], 1), axis=0)[:, 0])
    summary = dict(tracklets=len(names), people=int(person.max()), people_in_several_cameras=int(np.sum(seen_by > 1)),
                   threshold={k: v for k, v in dataclasses.asdict(cut).items() if v is not None},
                   cannot_links=len(cannot), graph=dataclasses.asdict(graph),
                   saved_model=os.path.abspath(config.embedding.saved_model),
                   **calibration.distance_settings(config.embedding),
                   scores=clustering_scores(person, footage.truth))
    log(f"{len(names)} tracklets of {len(footage.camera_names)} cameras -> {summary['people']} people "
        f"({summary['people_in_several_cameras']} seen by two or more cameras); threshold {cut.value:.4f} "
        f"({cut.source}), {len(cannot)} time constraints")
    if cut.source == "estimated":
        log(threshold.described(cut))
    rows = files.box_rows(names, person, tracks) if tracks else []
    with atomic_directory(out) as tmp:
        atomic_write_text(os.path.join(tmp, PEOPLE), files.people_csv(
            names, person, footage.first, footage.last, grouping.centre_distances(pooled, person)))
        with open(os.path.join(tmp, "people.png"), "wb") as handle:
            handle.write(people_png(names, [t.frames for t in footage.tracklets.tracklets], person, footage.truth,
                                    footage.read, config.sheet_people))
        if rows:
            os.makedirs(os.path.join(tmp, "mot"))
            for camera, text in files.mot_texts(rows).items():
                atomic_write_text(os.path.join(tmp, "mot", f"{camera}.txt"), text)
            ids = files.camera_ids(footage.camera_names)
            atomic_write_text(os.path.join(tmp, "aicity.txt"), files.aicity_text(rows, ids))
            summary["aicity_camera_ids"] = ids
        for camera, video in videos.items():
            os.makedirs(os.path.join(tmp, "videos"), exist_ok=True)
            log(f"drawing {camera}'s video")
            draw_video(video, [r for r in rows if r[0] == camera], os.path.join(tmp, "videos", f"{camera}.mp4"), log)
        atomic_write_json(os.path.join(tmp, SUMMARY), summary)
    return summary
