"""Scores of an embedding on a data set's test split: tracklet features, Euclidean distances, CMC
and mAP per protocol and probe direction."""

from __future__ import annotations

import numpy as np

from dal_tf.config import PROBE_CAMS, RerankConfig
from dal_tf.datasets.base import ReidDataset, Tracklet, TrackletSet
from dal_tf.evaluation import features, metrics, reranking
from dal_tf.utils.errors import UserInputError

REPORTED_RANKS = (1, 5, 10, 20)
NOTHING_TO_SCORE = ("no evaluation: the data set has no test people to score against (folders: identities.csv "
                    "and --test_people or --test_fraction hold some out)")
SCORE_NAMES = tuple(f"rank{k}" for k in REPORTED_RANKS) + ("mAP", "mINP")


def query_and_gallery_features(embedder: features.FrameEmbedder, dataset: ReidDataset, *, batch_size: int,
                               pooling: str, log=None) -> tuple[np.ndarray, np.ndarray]:
    """Features of each distinct test tracklet, computed once: MARS queries are gallery entries."""
    position: dict = {}
    distinct = []
    for t in dataset.gallery.tracklets + dataset.query.tracklets:
        key = (t.camera, t.frames)  # not t.index: query and gallery each number their tracklets
        if key not in position:
            position[key] = len(distinct)
            distinct.append(Tracklet(t.frames, camera=0, index=len(distinct)))
    pooled = features.tracklet_features(embedder, TrackletSet(tuple(distinct), num_cameras=1),
                                        batch_size=batch_size, pooling=pooling, read=dataset.read_frame, log=log)
    return tuple(pooled[[position[(t.camera, t.frames)] for t in subset.tracklets]]
                 for subset in (dataset.query, dataset.gallery))


def score_test_split(embedder: features.FrameEmbedder, dataset: ReidDataset, *, batch_size: int = 128,
                     pooling: str = "max", protocol: str = "", probe_cam: str = "",
                     rerank: RerankConfig = RerankConfig(), log=None) -> dict:
    """Returns {'rank1', 'rank5', 'rank10', 'rank20', 'mAP', 'mINP'} in percent, counts, and
    'probe_cam'.

    protocol: one of metrics.PROTOCOLS; empty: the data set's own (mars or single_shot).
    probe_cam (two-camera sets): "1" the first camera's tracklets are the queries, "2" the second
    camera's, "both" the mean of the two directions (each also under 'directions'; the counts are
    then sums over both); empty: the direction(s) the release reports for the data set (both for
    iLIDS-VID, camera 1 for PRID 2011). rerank: rank by re-ranked distances (--rerank).
    """
    probe_cam = probe_cam or dataset.probe_cam
    if probe_cam not in PROBE_CAMS:
        raise ValueError(f"probe_cam {probe_cam!r} is not one of {', '.join(PROBE_CAMS)}")
    if probe_cam != "1" and dataset.protocol != "single_shot":
        raise UserInputError(f"--probe_cam={probe_cam} applies to two-camera data sets, not {dataset.name}")
    query, gallery = query_and_gallery_features(embedder, dataset, batch_size=batch_size, pooling=pooling, log=log)
    forward = (dataset.query, query, dataset.gallery, gallery)
    backward = (dataset.gallery, gallery, dataset.query, query)
    cameras = ["1", "2"] if probe_cam == "both" else [probe_cam]
    per_direction = {cam: _scores(*(forward if cam == "1" else backward), protocol or dataset.protocol, rerank)
                     for cam in cameras}
    scores = {name: float(np.mean([s[name] for s in per_direction.values()])) for name in SCORE_NAMES}
    for count in ("num_query", "num_gallery", "num_valid_queries"):
        scores[count] = sum(s[count] for s in per_direction.values())
    scores["probe_cam"] = probe_cam
    if len(per_direction) > 1:
        scores["directions"] = per_direction
    return scores


def _scores(query_set: TrackletSet, query: np.ndarray, gallery_set: TrackletSet, gallery: np.ndarray,
            protocol: str, rerank: RerankConfig) -> dict:
    result = metrics.evaluate_rank(
        reranking.ranking_distances(query, gallery, rerank), query_set.person_ids(), gallery_set.person_ids(),
        query_set.cameras(), gallery_set.cameras(), protocol=protocol, max_rank=max(REPORTED_RANKS),
    )
    scores = {f"rank{k}": 100.0 * float(result.cmc[k - 1]) for k in REPORTED_RANKS}
    scores.update(mAP=100.0 * float(result.mAP), mINP=100.0 * float(result.mINP), num_query=len(query_set),
                  num_gallery=len(gallery_set), num_valid_queries=int(result.num_valid_queries))
    return scores


def mean_and_std(per_split: list[dict]) -> tuple[dict, dict]:
    """Mean and sample standard deviation (ddof=1; 0 for a single split) of each score."""
    mean, std = {}, {}
    for name in SCORE_NAMES:
        values = np.array([scores[name] for scores in per_split], np.float64)
        mean[name] = float(values.mean())
        std[name] = float(values.std(ddof=1)) if len(values) > 1 else 0.0
    return mean, std


def format_table(rows: dict[str, dict], std: dict[str, dict] | None = None) -> str:
    """A Markdown table, one row per named result; rows named in `std` show mean ± std."""
    columns = [f"rank{k}" for k in REPORTED_RANKS] + ["mAP"]
    lines = ["| model | " + " | ".join(c.replace("rank", "R-") for c in columns) + " |",
             "|---|" + "---:|" * len(columns)]
    for name, scores in rows.items():
        spread = (std or {}).get(name)
        cells = [f"{scores[c]:.1f}" + (f" ± {spread[c]:.1f}" if spread else "") for c in columns]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join(lines)
