"""--association=ratio_test: merge only where the rank-1 in the other cameras clearly beats the rank-2.

A cycle that closes on a partner barely nearer than the next candidate is a coin toss between
two people; Lowe's ratio test (Lowe, "Distinctive Image Features from Scale-Invariant Keypoints",
IJCV 2004) keeps a nearest-neighbour match only if its distance is below a ratio of the second
nearest's, which removes most false matches for few true ones. Here the released cycle must close
and, in the row's forward ranking over the other cameras, d(rank-1) < --association_ratio x
d(rank-2) (Euclidean distances between the normalised anchors). Never-visited anchors are not
candidates: a zero anchor is no evidence of a person, and would otherwise sit at distance 1 as the
rank-2 of many rows.
"""

from __future__ import annotations

import tensorflow as tf

from dal_tf.association import ranking


def visited_only(rows, anchors):
    """The anchors as they are; zero (never-visited) ones are never ranked (see nearest_table_row)."""
    return anchors


def updated_cross_anchors(rows, new_intra_table, anchor_cameras, association_started, state, config):
    cycle = ranking.cyclic_ranking(rows, new_intra_table, anchor_cameras, association_started, view=visited_only,
                                       forward_k=2)
    return ranking.merged(cycle, closes_distinctly(cycle, config.association_ratio))


def closes_distinctly(cycle: ranking.Cycle, ratio: float) -> tf.Tensor:
    """The cycle closes and its forward d(rank-1) < ratio x d(rank-2) (cycle.forward_distances
    holds the two squared distances: d1 < ratio d2 <=> d1^2 < ratio^2 d2^2; a lone candidate's
    rank-2 is inf)."""
    squared = cycle.forward_distances
    return tf.logical_and(cycle.consistent, squared[:, 0] < ratio ** 2 * squared[:, 1])
