"""--association=per_camera: one partner in each other camera instead of one over all pooled.

The paper's Eq. 4 ranks a tracklet against "the other camera"; the release, with more than two
cameras, takes one rank-1 over all other cameras pooled, so a person seen by five other cameras is
merged with at most one of them, and the camera whose bias is closest wins. Here the cyclic ranking
runs once per other camera c (rank-1 among camera c's anchors, then back to the row's own camera),
and the cross anchor is the mean of the row's normalised intra anchor and every partner whose
cycle closes: as in multi-camera tracklet association, where each tracklet is associated per camera
pair (Li, Zhu, Gong, "Unsupervised Tracklet Person Re-Identification", TPAMI 2019). With two
cameras it is the released rule, bit for bit. It ranks the table twice per camera, where the
released rule ranks it twice.

State: partners [N, C], each row's partner in camera c (-1: none), for the association monitor;
cross_partner holds the nearest of them.
"""

from __future__ import annotations

import tensorflow as tf

from dal_tf.association import ranking


def initial_state(num_anchors: int, num_cameras: int) -> dict[str, tf.Tensor]:
    return dict(partners=-tf.ones([num_anchors, num_cameras], tf.int32))


def updated_cross_anchors(rows, new_intra_table, anchor_cameras, association_started, state, config):
    num_cameras = int(state["partners"].shape[1])
    cycles = [ranking.cyclic_ranking(rows, new_intra_table, anchor_cameras, association_started, partner_camera=c)
              for c in range(num_cameras)]
    own = cycles[0].own
    total, count = own, tf.ones_like(own[:, :1])
    nearest, nearest_distance = -tf.ones_like(rows), tf.fill(tf.shape(rows), float("inf"))
    for cycle in cycles:
        closes = cycle.consistent[:, tf.newaxis]
        total += tf.where(closes, cycle.partner_anchor, tf.zeros_like(own))
        count += tf.cast(closes, own.dtype)
        distance = tf.where(cycle.consistent, ranking.rowwise_distance(own, cycle.partner_anchor, "squared"),
                            float("inf"))
        nearest = tf.where(distance < nearest_distance, cycle.partner, nearest)
        nearest_distance = tf.minimum(distance, nearest_distance)
    partners = tf.stack([tf.where(c.consistent, c.partner, -1) for c in cycles], axis=1)
    return ranking.CrossUpdate(total / count, nearest, dict(partners=partners))
