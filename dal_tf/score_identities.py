"""Identities scored against ground truth, one table: how the people that dal_tf.identities finds
compare with the true ones, for the trained and the untrained embedding, with and without the time
constraints, at the estimated threshold and at the best one, and as the training run's own merges
join them.

    python -m dal_tf.score_identities --saved_model=exports/mine --untrained=exports/untrained \
        --train_dir=runs/mine --data_dir=my_tracklets --ground_truth=cam1=cam1.gt.txt ...

Columns: pairwise precision, recall and F1 and BCubed F1 over identified tracklets
(dal_tf.identity_scores), people found and true, and with --ground_truth the multi-camera IDF1,
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

from dal_tf import flag_defs  # noqa: E402
from dal_tf.config import ScoreIdentitiesConfig  # noqa: E402

flag_defs.define_flags(ScoreIdentitiesConfig)

BEST_CANDIDATES = 60
COLUMNS = ["embedding", "people from", "threshold", "pairwise precision", "pairwise recall", "pairwise F1",
           "BCubed F1", "people found", "true people", "IDF1", "IDP", "IDR"]


def merged_people(footage, merges: list[tuple[str, str]]):
    """Person numbers from a run's merges: the connected components of its merge pairs."""
    import numpy as np
    import scipy.sparse
    import scipy.sparse.csgraph

    from dal_tf.people import numbered

    position = {name: i for i, name in enumerate(footage.names)}
    pairs = np.array([(position[a], position[b]) for a, b in merges if a in position and b in position],
                     np.int64).reshape(-1, 2)
    n = len(footage.names)
    graph = scipy.sparse.coo_matrix((np.ones(len(pairs)), tuple(pairs.T)), shape=(n, n))
    return numbered(scipy.sparse.csgraph.connected_components(graph, directed=False)[1], footage.cameras)


def ground_truth_boxes(specs: tuple[str, ...], camera_names: list[str]) -> dict:
    from dal_tf.config import named_values
    from dal_tf.errors import UserInputError
    from dal_tf.tracking.mot import read_tracks

    boxes = {}
    for camera, path in named_values(specs, "ground_truth").items():
        if camera not in camera_names:
            raise UserInputError(f"--ground_truth={camera}=...: no camera {camera!r} in --data_dir")
        boxes[camera] = read_tracks(path, f"--ground_truth={camera}={path}")[0]
    return boxes


def row(label: str, source: str, threshold, person, footage, truth_boxes) -> dict:
    import numpy as np

    from dal_tf import people_files
    from dal_tf.identity_scores import clustering_scores
    from dal_tf.tracking.scores import multi_camera_id_scores

    scores = clustering_scores(person, footage.truth)
    result = {"embedding": label, "people from": source, "threshold": threshold,
              "pairwise precision": scores["pairwise_precision"], "pairwise recall": scores["pairwise_recall"],
              "pairwise F1": scores["pairwise_f1"], "BCubed F1": scores["bcubed_f1"],
              "people found": scores["people_found"], "true people": scores["true_people"]}
    if truth_boxes and footage.tracks:
        hypotheses: dict[str, list] = {}
        for camera, p, frame, x, y, w, h in people_files.box_rows(footage.names, person, footage.tracks):
            hypotheses.setdefault(camera, []).append((frame, p, x, y, w, h))
        ids = multi_camera_id_scores(truth_boxes, {c: np.array(r, np.float64) for c, r in hypotheses.items()})
        result.update(IDF1=ids["idf1"], IDP=ids["idp"], IDR=ids["idr"])
    return result


def embedding_rows(label: str, export, config: ScoreIdentitiesConfig, footage, truth_boxes, log):
    """The estimated threshold with and without time constraints, and the best threshold; export:
    (embedder, metadata)."""
    import numpy as np

    from dal_tf import people
    from dal_tf.footage import chosen_threshold, embedded
    from dal_tf.identity_scores import clustering_scores

    embedder, metadata = export
    _, distances = embedded(footage, embedder, config.embedding, log)
    cannot, none = footage.cannot_links(), np.zeros((0, 2), np.int64)
    search = config.graph.neighbour_search
    chosen = chosen_threshold("", metadata, config.embedding, distances, footage, cannot, search, log)
    estimated, source = chosen.value, f"{chosen.source} threshold"
    # One neighbour graph for every cut: only the threshold and the constraints change.
    pairs, pair_distances, near = people.neighbour_graph(distances, config.graph.neighbours, search)

    def clustered(threshold, constraints):
        return people.cluster_graph(len(distances), pairs, pair_distances, footage.cameras, threshold, constraints)

    cuts = np.unique(np.quantile(near[np.isfinite(near)], np.linspace(0, 1, BEST_CANDIDATES)))
    best = max(cuts, key=lambda t: clustering_scores(clustered(t, cannot), footage.truth)["pairwise_f1"])
    rows = [row(label, source, estimated, clustered(estimated, cannot), footage, truth_boxes)]
    if len(cannot):
        rows.append(row(label, f"{source}, no time constraints", estimated, clustered(estimated, none),
                        footage, truth_boxes))
    rows.append(row(label, "best threshold", best, clustered(best, cannot), footage, truth_boxes))
    return rows


def format_cell(value) -> str:
    if isinstance(value, float):
        return f"{value:.3f}"
    return str(value)


def markdown(rows: list[dict]) -> str:
    columns = [c for c in COLUMNS if any(c in r for r in rows)]
    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(format_cell(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def score(config: ScoreIdentitiesConfig, log=print) -> list[dict]:
    from dal_tf import features, people_files
    from dal_tf.errors import UserInputError
    from dal_tf.footage import camera_names, read_footage
    from dal_tf.run_files import read_merges

    trained = features.saved_model_embedder(config.embedding.saved_model)
    untrained = features.saved_model_embedder(config.untrained, "--untrained") if config.untrained else None
    truth_boxes = ground_truth_boxes(config.ground_truth, camera_names(config.data_dir))
    merges = read_merges(config.train_dir) if config.train_dir else None
    footage = read_footage(config.data_dir, people_files.read_tracks_csv(config.data_dir), log)
    if not (footage.truth >= 0).any():
        raise UserInputError(f"--data_dir={config.data_dir} has no identities.csv: nothing to score against")
    rows = []
    if untrained:
        rows += embedding_rows("untrained", untrained, config, footage, truth_boxes, log)
    rows += embedding_rows("trained", trained, config, footage, truth_boxes, log)
    if merges is not None:
        rows.append(row("trained", "the run's merges (merges.csv)", "", merged_people(footage, merges), footage,
                        truth_boxes))
    return rows


def score_and_print():
    import csv
    import io

    from dal_tf.io_utils import atomic_write_text

    config = flag_defs.config_from_flags(ScoreIdentitiesConfig, flags.FLAGS)
    rows = score(config, log=lambda line: print(line, file=sys.stderr, flush=True))
    if config.csv:
        out = io.StringIO()
        writer = csv.DictWriter(out, [c for c in COLUMNS if any(c in r for r in rows)], lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        atomic_write_text(config.csv, out.getvalue())
    print(markdown(rows))


if __name__ == "__main__":
    flag_defs.entry_point("dal_tf.score_identities", score_and_print)
