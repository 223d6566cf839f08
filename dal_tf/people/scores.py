"""How well tracklets were grouped into people, against ground truth (pure NumPy). Only identified
tracklets (truth >= 0) count.

- pairwise: over all pairs of tracklets, precision = pairs joined that are one person / pairs
  joined, recall = pairs joined that are one person / pairs that are one person;
- BCubed (Bagga and Baldwin 1998): per tracklet, the share of its cluster that is its person
  (precision) and of its person that is in its cluster (recall), averaged over tracklets;
- people: clusters found against true people.
"""

from __future__ import annotations

import numpy as np


def f1(precision: float, recall: float) -> float:
    return 2 * precision * recall / (precision + recall) if precision + recall else 0.0


def contingency(person: np.ndarray, truth: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(counts of each (cluster, true person) cell, each tracklet's cell, its cluster, its person)."""
    keep = np.asarray(truth) >= 0
    _, cluster = np.unique(np.asarray(person)[keep], return_inverse=True)
    _, true = np.unique(np.asarray(truth)[keep], return_inverse=True)
    cells, cell = np.unique(np.stack([cluster, true], axis=1), axis=0, return_inverse=True)
    return np.bincount(cell.reshape(-1)).astype(np.float64), cell.reshape(-1), cluster, true


def clustering_scores(person: np.ndarray, truth: np.ndarray) -> dict:
    counts, cell, cluster, true = contingency(person, truth)
    if not len(cell):
        return {}
    pairs = lambda n: float(np.sum(n * (n - 1) / 2))  # noqa: E731
    cluster_sizes, true_sizes = np.bincount(cluster).astype(np.float64), np.bincount(true).astype(np.float64)
    together = pairs(counts)
    precision = together / pairs(cluster_sizes) if pairs(cluster_sizes) else 1.0
    recall = together / pairs(true_sizes) if pairs(true_sizes) else 1.0
    b_precision = float(np.mean(counts[cell] / cluster_sizes[cluster]))
    b_recall = float(np.mean(counts[cell] / true_sizes[true]))
    return dict(pairwise_precision=precision, pairwise_recall=recall, pairwise_f1=f1(precision, recall),
                bcubed_precision=b_precision, bcubed_recall=b_recall, bcubed_f1=f1(b_precision, b_recall),
                people_found=len(cluster_sizes), true_people=len(true_sizes), tracklets=len(cell))


def format_scores(scores: dict) -> str:
    return (f"pairwise precision {scores['pairwise_precision']:.3f} recall {scores['pairwise_recall']:.3f} "
            f"F1 {scores['pairwise_f1']:.3f}; BCubed F1 {scores['bcubed_f1']:.3f}; {scores['people_found']} people "
            f"found for {scores['true_people']} true ones ({scores['tracklets']} identified tracklets)")
