"""What dal_tf.score_identities does: the people found from footage scored against its identities,
one row per embedding, people source and threshold."""

from __future__ import annotations

import csv
import io

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph

from dal_tf.config import ScoreIdentitiesConfig, named_values
from dal_tf.evaluation import features
from dal_tf.people import files, grouping, threshold
from dal_tf.people.find_people import chosen_threshold
from dal_tf.people.footage import camera_names, embedded, read_footage
from dal_tf.people.grouping import numbered
from dal_tf.people.scores import clustering_scores
from dal_tf.runs.run_files import read_merges
from dal_tf.tracking.mot import read_tracks
from dal_tf.tracking.scores import multi_camera_id_scores
from dal_tf.utils.errors import UserInputError

BEST_CANDIDATES = 60
ABSTAINS = "abstains"  # identities refuses to cluster under this threshold

COLUMNS = ["embedding", "people from", "threshold", "pairwise precision", "pairwise recall", "pairwise F1",
           "BCubed F1", "people found", "true people", "IDF1", "IDP", "IDR"]


def merged_people(footage, merges: list[tuple[str, str]]):
    """Person numbers from a run's merges: the connected components of its merge pairs."""
    position = {name: i for i, name in enumerate(footage.names)}
    pairs = np.array([(position[a], position[b]) for a, b in merges if a in position and b in position],
                     np.int64).reshape(-1, 2)
    n = len(footage.names)
    graph = scipy.sparse.coo_matrix((np.ones(len(pairs)), tuple(pairs.T)), shape=(n, n))
    return numbered(scipy.sparse.csgraph.connected_components(graph, directed=False)[1], footage.cameras)


def ground_truth_boxes(specs: tuple[str, ...], camera_names: list[str]) -> dict:
    boxes = {}
    for camera, path in named_values(specs, "ground_truth").items():
        if camera not in camera_names:
            raise UserInputError(f"--ground_truth={camera}=...: no camera {camera!r} in --data_dir")
        boxes[camera] = read_tracks(path, f"--ground_truth={camera}={path}")[0]
    return boxes


def row(label: str, source: str, threshold, person, footage, truth_boxes) -> dict:
    scores = clustering_scores(person, footage.truth)
    result = {"embedding": label, "people from": source, "threshold": threshold,
              "pairwise precision": scores["pairwise_precision"], "pairwise recall": scores["pairwise_recall"],
              "pairwise F1": scores["pairwise_f1"], "BCubed F1": scores["bcubed_f1"],
              "people found": scores["people_found"], "true people": scores["true_people"]}
    if truth_boxes and footage.tracks:
        hypotheses: dict[str, list] = {}
        for camera, p, frame, x, y, w, h in files.box_rows(footage.names, person, footage.tracks):
            hypotheses.setdefault(camera, []).append((frame, p, x, y, w, h))
        ids = multi_camera_id_scores(truth_boxes, {c: np.array(r, np.float64) for c, r in hypotheses.items()})
        result.update(IDF1=ids["idf1"], IDP=ids["idp"], IDR=ids["idr"])
    return result


def candidate_cuts(distances: np.ndarray, chosen: list[float]) -> np.ndarray:
    """The thresholds the best one is searched among: BEST_CANDIDATES quantiles of the neighbour
    graph's finite distances, and the thresholds chosen without labels, which it then never scores below."""
    quantiles = np.quantile(distances[np.isfinite(distances)], np.linspace(0, 1, BEST_CANDIDATES))
    return np.unique(np.concatenate([quantiles, np.asarray(chosen, np.float64)]))


def embedding_rows(label: str, export, config: ScoreIdentitiesConfig, footage, truth_boxes, log):
    """The estimated threshold with and without time constraints, and the best threshold; export:
    (embedder, metadata)."""
    embedder, metadata = export
    _, distances = embedded(footage, embedder, config.embedding, log)
    cannot, none = footage.cannot_links(), np.zeros((0, 2), np.int64)
    search = config.graph.neighbour_search
    # One neighbour graph for every cut: only the threshold and the constraints change.
    pairs, pair_distances, near = grouping.neighbour_graph(distances, config.graph.neighbours, search)

    def clustered(threshold, constraints):
        return grouping.cluster_graph(len(distances), pairs, pair_distances, footage.cameras, threshold, constraints,
                                      config.graph.max_per_camera)

    rows, chosen_values = [], []
    for constraints, suffix in [(cannot, "")] + ([(none, ", no time constraints")] if len(cannot) else []):
        try:
            chosen = chosen_threshold("", metadata, config.embedding, distances, footage, constraints, config.graph,
                                      log)
            if chosen.source == "estimated":
                log(f"{label}{suffix}: {threshold.described(chosen)}")
            person = clustered(chosen.value, constraints)
            threshold.refuse_collapse(person, chosen)
            chosen_values.append(chosen.value)
            rows.append(row(label, f"{chosen.source} threshold{suffix}", chosen.value, person, footage, truth_boxes))
        except threshold.Abstention as refusal:  # what identities would do: refuse, with this line
            log(f"{label}: {refusal}")
            rows.append({"embedding": label, "people from": f"estimated threshold{suffix}: {ABSTAINS}"})
    best = max(candidate_cuts(near, chosen_values),
               key=lambda t: clustering_scores(clustered(t, cannot), footage.truth)["pairwise_f1"])
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


def csv_text(rows: list[dict]) -> str:
    """The rows as CSV, with the columns that any row has."""
    out = io.StringIO()
    writer = csv.DictWriter(out, [c for c in COLUMNS if any(c in r for r in rows)], lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


def score(config: ScoreIdentitiesConfig, log=print) -> list[dict]:
    trained = features.saved_model_embedder(config.embedding.saved_model)
    untrained = features.saved_model_embedder(config.untrained, "--untrained") if config.untrained else None
    truth_boxes = ground_truth_boxes(config.ground_truth, camera_names(config.data_dir))
    merges = read_merges(config.train_dir) if config.train_dir else None
    footage = read_footage(config.data_dir, files.read_tracks_csv(config.data_dir), log)
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
