"""--association=clusters: a tracklet's partners are its cluster (Cluster Contrast: Dai et al.,
"Cluster Contrast for Unsupervised Person Re-Identification", ACCV 2022), where the released rule
gives it at most one cyclic partner in another camera. A cluster may hold several tracklets of
one camera, as a MARS person passing a camera twice.

When the warm-up ends and every --cluster_every steps after, on the host between steps
(DALModel.refresh_association): DBSCAN (eps --cluster_eps) over the k-reciprocal Jaccard
distances of the visited, l2-normalised intra anchors, all cameras together
(dal_tf.neighbours.dbscan; --cluster_k1, --cluster_k2, --cluster_min_samples). Each row then keeps its cluster's other members, the MAX_PARTNERS
nearest to it (ties to the lower row), in the state table `partners` [N, MAX_PARTNERS] (-1: none;
DBSCAN's outliers have none). Every step, a batch row's cross anchor is the mean of its own and its
partners' normalised intra anchors as they are then: the cluster's mean, for a cluster of up to
MAX_PARTNERS + 1. merges.csv lists every partner, its own camera's too; the end-of-run summary
counts those in other cameras, and cross_partner holds the nearest of them.

Memory: `partners` is N x 31 int32 (1.0 MB at MARS' 8,298 tracklets, 11.8 MB at 100,000); the
clustering holds each row's k1 + 1 nearest, the sparse encoding, a block of Jaccard distances and
the pairs within eps, and reads the [N, D] table once.
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from dal_tf.association import ranking
from dal_tf.neighbours import dbscan, reciprocal
from dal_tf.utils.arrays import l2_normalize_rows

MAX_PARTNERS = 31


def initial_state(num_anchors: int, num_cameras: int) -> dict[str, tf.Tensor]:
    return dict(partners=-tf.ones([num_anchors, MAX_PARTNERS], tf.int32))


def updated_cross_anchors(rows, new_intra_table, anchor_cameras, association_started, state, config):
    """The mean of each batch row's and its partners' normalised intra anchors; no partner before
    the warm-up's end."""
    own = ranking.l2_normalize(tf.gather(new_intra_table, rows))
    partners = tf.where(tf.cast(association_started, tf.bool), tf.gather(state["partners"], rows), -1)
    valid = partners >= 0
    anchors = ranking.l2_normalize(tf.gather(new_intra_table, tf.maximum(partners, 0)))  # [B, K, D]
    total = own + tf.reduce_sum(tf.where(valid[..., tf.newaxis], anchors, 0.0), axis=1)
    count = 1.0 + tf.reduce_sum(tf.cast(valid, own.dtype), axis=1, keepdims=True)
    elsewhere = valid & (tf.gather(anchor_cameras, tf.maximum(partners, 0)) != tf.gather(anchor_cameras, rows)[:, None])
    first = tf.argmax(tf.cast(elsewhere, tf.int32), axis=1, output_type=partners.dtype)  # partners are nearest first
    partner = tf.where(tf.reduce_any(elsewhere, axis=1), tf.gather(partners, first, batch_dims=1), -1)
    return ranking.CrossUpdate(total / count, partner)


def refresh_due(steps_done: int, warmup_steps: int, config) -> bool:
    """After a step: the first clustering when the warm-up ends, then every --cluster_every."""
    return steps_done >= warmup_steps and (steps_done - warmup_steps) % config.cluster_every == 0


def refreshed_state(intra: np.ndarray, config) -> dict[str, np.ndarray]:
    return dict(partners=cluster_partners(intra, config.cluster_eps, k1=config.cluster_k1, k2=config.cluster_k2,
                                          min_samples=config.cluster_min_samples))


def cluster_partners(intra: np.ndarray, eps: float, max_partners: int = MAX_PARTNERS, *, k1: int = dbscan.K1,
                     k2: int = dbscan.K2, min_samples: int = dbscan.MIN_SAMPLES) -> np.ndarray:
    """[N, max_partners] int32: each row's cluster members among the visited intra anchors, nearest
    first, -1 after them (and for rows unvisited, outliers, or when fewer than 2 are visited)."""
    partners = np.full((len(intra), max_partners), -1, np.int32)
    visited = np.flatnonzero(np.any(intra != 0, axis=1))
    if len(visited) < 2:
        return partners
    unit = l2_normalize_rows(intra[visited])
    labels = dbscan.jaccard_clusters(unit, eps, k1, k2, min_samples)
    for label in np.unique(labels[labels >= 0]):
        members = np.flatnonzero(labels == label)  # ascending: ties go to the lower row
        count = min(max_partners, len(members) - 1)
        for start in range(0, len(members), reciprocal.ROW_BLOCK):
            block = members[start:start + reciprocal.ROW_BLOCK]
            distances = 2.0 - 2.0 * unit[block] @ unit[members].T
            distances[np.arange(len(block)), np.arange(start, start + len(block))] = np.inf  # not itself
            nearest = reciprocal.smallest_in_rows(distances, count)
            partners[visited[block], :count] = visited[members[nearest]]
    return partners
