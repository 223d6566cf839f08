"""Same person or nobody: the distance thresholds that a calibration on identified footage gives,
and the one an export carries.

A pair is a match when its distance is at most t. Over same-person pairs (positives) and
different-person pairs (negatives):
    true match rate TMR(t) = share of positives <= t, false match rate FMR(t) = share of
    negatives <= t, false non-match rate FNMR(t) = 1 - TMR(t).
The equal-error threshold is where FMR and FNMR cross; the threshold at a false match rate r is
the largest that matches at most r of the negatives.

dal_tf.calibrate writes its threshold into the export's metadata under THRESHOLD, with the
re-ranking setting it was measured with: re-ranked and Euclidean distances have different scales,
so match and identities use it only under the same setting.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dal_tf.config import RerankConfig
from dal_tf.config import distance_limit as parse_limit

THRESHOLD = "threshold"


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


def threshold_at(negative: np.ndarray, false_match_rate: float) -> float:
    """The largest threshold matching at most false_match_rate of the negatives: midway between
    the last negative it may match (or 0) and the first it may not."""
    negative = np.sort(np.asarray(negative, np.float64))
    allowed = int(np.floor(false_match_rate * len(negative)))
    if allowed >= len(negative):
        return float(negative[-1])
    below = negative[allowed - 1] if allowed else 0.0
    return float((below + negative[allowed]) / 2)


def export_threshold(metadata: dict, reranking: RerankConfig) -> float | None:
    """The calibrated threshold of an export, if it was measured with these re-ranking settings."""
    entry = metadata.get(THRESHOLD)
    if not entry or entry["reranking"] != dataclasses.asdict(reranking):
        return None
    return float(entry["value"])


def distance_limit(text: str, flag: str, metadata: dict, reranking: RerankConfig, log) -> float | None:
    """--<flag>'s distance: the number given, None for none, or by default the export's calibrated
    threshold (None where it has none; the log says why)."""
    value = parse_limit(text, flag)
    if value is not None:
        return None if value == float("inf") else value
    calibrated = export_threshold(metadata, reranking)
    if calibrated is not None:
        log(f"--{flag}: the export's calibrated threshold {calibrated:.4f}")
    elif metadata.get(THRESHOLD):
        log(f"--{flag}: the export's calibrated threshold was measured with other re-ranking settings; not used")
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
