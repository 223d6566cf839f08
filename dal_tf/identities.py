"""Who is who across your cameras: every tracklet of a folders data set assigned to a person.

    python -m dal_tf.identities --saved_model=exports/demo --data_dir=my_tracklets --out=people

Tracklet features are those of dal_tf.match (with --rerank, its re-ranked distances). Two
tracklets of one camera that overlap in time (tracks.csv) are never one person. Tracklets are
clustered by average linkage over a k-nearest-neighbour graph, cut at --threshold: by default the
threshold dal_tf.calibrate wrote into the export, else one estimated from the footage itself
(dal_tf.people says how). OUT gets people.csv, summary.json and people.png, and, where tracks.csv
exists, mot/<camera>.txt and aicity.txt (dal_tf.people_files lists the columns); with --videos,
videos/<camera>.mp4. OUT appears at once when everything succeeded, or not at all. The flags are
the fields of dal_tf.config.IdentitiesConfig.
"""

from __future__ import annotations

import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from dal_tf import flag_defs  # noqa: E402
from dal_tf.config import IdentitiesConfig  # noqa: E402

flag_defs.define_flags(IdentitiesConfig)

SUMMARY = "summary.json"
PEOPLE = "people.csv"


def identities(config: IdentitiesConfig, log=print) -> dict:
    """Writes config.out; returns its summary."""
    import dataclasses

    import numpy as np

    from dal_tf import features, people, people_files
    from dal_tf.errors import UserInputError
    from dal_tf.footage import camera_names, chosen_threshold, embedded, read_footage
    from dal_tf.identity_scores import clustering_scores
    from dal_tf.io_utils import atomic_directory, atomic_write_json, atomic_write_text
    from dal_tf.people_sheet import people_png
    from dal_tf.people_videos import draw_video, video_paths

    out = os.path.abspath(config.out)
    if os.path.lexists(out) and not os.path.isfile(os.path.join(out, PEOPLE)):
        raise UserInputError(f"--out={out} exists and was not written by dal_tf.identities; choose a new path")
    # Everything that can be refused is checked before the frames are read.
    embedder, metadata = features.saved_model_embedder(config.embedding.saved_model)
    tracks = people_files.read_tracks_csv(config.data_dir)
    recorded = {name.split("/")[0]: entry.video for name, entry in (tracks or {}).items()}
    videos = video_paths(config.videos, camera_names(config.data_dir), recorded)
    footage = read_footage(config.data_dir, tracks, log)
    names, cameras = footage.names, footage.cameras
    pooled, distances = embedded(footage, embedder, config.embedding, log)
    cannot = footage.cannot_links() if config.time_constraints else np.zeros((0, 2), np.int64)
    graph = config.graph
    threshold = chosen_threshold(config.threshold, metadata, config.embedding, distances, footage, cannot,
                                 graph.neighbour_search, log)
    person = people.cluster(distances, cameras, threshold.value, graph.neighbours, cannot, graph.neighbour_search)
    seen_by = np.bincount(np.unique(np.stack([person, cameras], 1), axis=0)[:, 0])
    summary = dict(tracklets=len(names), people=int(person.max()), people_in_several_cameras=int(np.sum(seen_by > 1)),
                   threshold=dataclasses.asdict(threshold), cannot_links=len(cannot),
                   graph=dataclasses.asdict(graph),
                   saved_model=os.path.abspath(config.embedding.saved_model),
                   reranking=dataclasses.asdict(config.embedding.reranking),
                   scores=clustering_scores(person, footage.truth))
    log(f"{len(names)} tracklets of {len(footage.camera_names)} cameras -> {summary['people']} people "
        f"({summary['people_in_several_cameras']} seen by two or more cameras); threshold {threshold.value:.4f} "
        f"({threshold.source}), {len(cannot)} time constraints")
    rows = people_files.box_rows(names, person, tracks) if tracks else []
    with atomic_directory(out) as tmp:
        atomic_write_text(os.path.join(tmp, PEOPLE), people_files.people_csv(
            names, person, footage.first, footage.last, people.centre_distances(pooled, person)))
        with open(os.path.join(tmp, "people.png"), "wb") as handle:
            handle.write(people_png(names, [t.frames for t in footage.tracklets.tracklets], person, footage.truth,
                                    footage.read, config.sheet_people))
        if rows:
            os.makedirs(os.path.join(tmp, "mot"))
            for camera, text in people_files.mot_texts(rows).items():
                atomic_write_text(os.path.join(tmp, "mot", f"{camera}.txt"), text)
            ids = people_files.camera_ids(footage.camera_names)
            atomic_write_text(os.path.join(tmp, "aicity.txt"), people_files.aicity_text(rows, ids))
            summary["aicity_camera_ids"] = ids
        for camera, video in videos.items():
            os.makedirs(os.path.join(tmp, "videos"), exist_ok=True)
            log(f"drawing {camera}'s video")
            draw_video(video, [r for r in rows if r[0] == camera], os.path.join(tmp, "videos", f"{camera}.mp4"), log)
        atomic_write_json(os.path.join(tmp, SUMMARY), summary)
    return summary


def identities_and_print():
    config = flag_defs.config_from_flags(IdentitiesConfig, flags.FLAGS)
    summary = identities(config, log=lambda line: print(line, file=sys.stderr, flush=True))
    if summary["scores"]:
        from dal_tf.identity_scores import format_scores

        print(format_scores(summary["scores"]))
    print(f"wrote {os.path.abspath(config.out)}: {summary['people']} people")


if __name__ == "__main__":
    flag_defs.entry_point("dal_tf.identities", identities_and_print)
