"""Same person or nobody: the distance thresholds that a calibration on identified footage gives,
and the one an export carries.

A pair is a match when its distance is at most t. Over same-person pairs (positives) and
different-person pairs (negatives):
    true match rate TMR(t) = share of positives <= t, false match rate FMR(t) = share of
    negatives <= t, false non-match rate FNMR(t) = 1 - TMR(t).
The equal-error threshold is where FMR and FNMR cross; the threshold at a false match rate r is
the largest that matches at most r of the negatives.

For who is who, the equal error lets far too many impostors through: with P people each tracklet
has P - 1 of them per camera. PEOPLE_THRESHOLD is instead the cut with the highest F1 of the
"same person" decisions over all cross-camera pairs, 2 TP / (2 TP + FP + FN), which weighs false
matches by how many negatives there are.

dal_tf.calibrate writes its thresholds into the export's metadata, THRESHOLD for match and
PEOPLE_THRESHOLD for identities, with the distance settings they were measured with (re-ranking,
--debias_cameras): each gives distances of another scale, so they are used only under the same.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dal_tf.config import EmbeddingConfig
from dal_tf.config import distance_limit as parse_limit

THRESHOLD = "threshold"
PEOPLE_THRESHOLD = "people_threshold"


def rates(positive: np.ndarray, negative: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(cuts, TMR, FMR) at every distance that occurs, ascending."""
    positive, negative = np.sort(positive), np.sort(negative)
    cuts = np.unique(np.concatenate([positive, negative]))
    tmr = np.searchsorted(positive, cuts, side="right") / max(len(positive), 1)
    fmr = np.searchsorted(negative, cuts, side="right") / max(len(negative), 1)
    return cuts, tmr, fmr


def equal_error(positive: np.ndarray, negative: np.ndarray) -> tuple[float, float]:
    """(threshold, equal error rate): the cut where FMR and FNMR are closest, their mean there."""
    if not len(positive) or not len(negative):
        raise ValueError("a calibration needs same-person and different-person pairs")
    cuts, tmr, fmr = rates(positive, negative)
    best = int(np.argmin(np.abs((1 - tmr) - fmr)))
    return float(cuts[best]), float(((1 - tmr[best]) + fmr[best]) / 2)


def pair_f1_threshold(positive: np.ndarray, negative: np.ndarray, negatives_in_all: int) -> tuple[float, float]:
    """(threshold, F1): the cut with the highest F1 of the decisions "at most t: same person" over
    the pairs, of which `negative` is a sample of negatives_in_all; the lowest such cut."""
    if not len(positive) or not len(negative):
        raise ValueError("a calibration needs same-person and different-person pairs")
    cuts, tmr, fmr = rates(positive, negative)
    true = tmr * len(positive)
    f1 = 2 * true / (len(positive) + true + fmr * negatives_in_all)
    best = int(np.argmax(f1))
    return float(cuts[best]), float(f1[best])


def threshold_at(negative: np.ndarray, false_match_rate: float) -> float:
    """The largest threshold matching at most false_match_rate of the negatives: midway between
    the last negative it may match (or 0) and the first it may not."""
    negative = np.sort(np.asarray(negative, np.float64))
    allowed = int(np.floor(false_match_rate * len(negative)))
    if allowed >= len(negative):
        return float(negative[-1])
    below = negative[allowed - 1] if allowed else 0.0
    return float((below + negative[allowed]) / 2)


def distance_settings(embedding: EmbeddingConfig) -> dict:
    """What a calibration records of how its distances were computed."""
    return dict(reranking=dataclasses.asdict(embedding.reranking), debias_cameras=embedding.debias_cameras)


def export_threshold(metadata: dict, embedding: EmbeddingConfig, key: str = THRESHOLD) -> float | None:
    """The calibrated threshold of an export, if it was measured with these distance settings (a
    calibration from before --debias_cameras existed was measured without it)."""
    entry = metadata.get(key)
    if not entry:
        return None
    recorded = dict(reranking=entry.get("reranking"), debias_cameras=entry.get("debias_cameras", False))
    if recorded != distance_settings(embedding):
        return None
    return float(entry["value"])


def distance_limit(text: str, flag: str, metadata: dict, embedding: EmbeddingConfig, log,
                   key: str = THRESHOLD) -> float | None:
    """--<flag>'s distance: the number given, None for none, or by default the export's calibrated
    threshold under `key` (None where it has none; the log says why)."""
    value = parse_limit(text, flag)
    if value is not None:
        return None if value == float("inf") else value
    calibrated = export_threshold(metadata, embedding, key)
    if calibrated is not None:
        log(f"--{flag}: the export's calibrated threshold {calibrated:.4f}")
    elif metadata.get(key):
        log(f"--{flag}: the export's calibrated threshold was measured with other distance settings (re-ranking, "
            "--debias_cameras); not used")
    elif metadata.get(THRESHOLD):
        log(f"--{flag}: the export was calibrated before dal_tf 0.3.0, with no {key}; run dal_tf.calibrate again")
    return calibrated


ALL_PAIRS_LIMIT = 2_000_000  # more cross-camera pairs than this: the negatives are a random sample of it
SAMPLE_SEED = 21


def labelled_pairs(cameras: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(same-person pairs, different-person pairs) [*, 2] of identified tracklets in different
    cameras: all of them, or all positives and ALL_PAIRS_LIMIT random negatives."""
    cameras, truth = np.asarray(cameras), np.asarray(truth)
    rows = np.flatnonzero(truth >= 0)
    if len(rows) * (len(rows) - 1) // 2 <= ALL_PAIRS_LIMIT:
        i, j = np.triu_indices(len(rows), 1)
        a, b = rows[i], rows[j]
        cross = cameras[a] != cameras[b]
        a, b = a[cross], b[cross]
        same = truth[a] == truth[b]
        return np.stack([a[same], b[same]], 1), np.stack([a[~same], b[~same]], 1)
    positives = []
    for person in np.unique(truth[rows]):
        members = rows[truth[rows] == person]
        i, j = np.triu_indices(len(members), 1)
        positives.append(np.stack([members[i], members[j]], 1))
    positives = np.concatenate(positives)
    positives = positives[cameras[positives[:, 0]] != cameras[positives[:, 1]]]
    rng = np.random.default_rng(SAMPLE_SEED)
    a, b = rows[rng.integers(0, len(rows), (2, 2 * ALL_PAIRS_LIMIT))]
    keep = (cameras[a] != cameras[b]) & (truth[a] != truth[b])
    return positives, np.unique(np.sort(np.stack([a[keep], b[keep]], 1), axis=1), axis=0)[:ALL_PAIRS_LIMIT]


def cross_camera_negatives(cameras: np.ndarray, truth: np.ndarray) -> int:
    """How many different-person pairs of identified tracklets in different cameras there are:
    all cross-camera pairs less the same-person ones, each count from squares of group sizes
    (a group of m with m_c in camera c has (m^2 - sum m_c^2) / 2 cross-camera pairs)."""
    truth = np.asarray(truth)
    known = truth >= 0
    cameras, truth = np.asarray(cameras)[known], truth[known]

    def squares(*columns) -> int:  # sum of squared group sizes, grouped by these columns
        return int(np.sum(np.unique(np.stack(columns, 1), axis=0, return_counts=True)[1].astype(np.int64) ** 2))

    everyone = (len(truth) ** 2 - squares(cameras)) // 2
    same_person = (squares(truth) - squares(truth, cameras)) // 2
    return everyone - same_person
