"""--association=persistent: merge only a pair that stays cyclically consistent over several visits.

With the released intra update a tracklet's anchor is its latest frame, so a single cycle closes
on whatever pair of frames happened to be sampled, and a wrong partner that closes the cycle once
is merged at once. Here a row merges only after its cycle has closed with the same partner on
--association_visits consecutive visits of the row; a visit on which the cycle does not close, or
closes with another partner, starts the count again and releases the merge at once (the released
rule's behaviour on an inconsistent visit). This is the temporal-consistency criterion for pseudo
labels: agreement of the association over successive "generations" (Zhang et al., "Refining
Pseudo Labels with Clustering Consensus over Generations for Unsupervised Object
Re-identification", CVPR 2021; Ge et al., "Self-paced Contrastive Learning with Hybrid Memory for
Domain Adaptive Object Re-ID", NeurIPS 2020, keep only pseudo labels that are stable). With
--association_visits=1 it is the released rule.

State: candidate [N] (the partner of the current run of consistent visits, -1: none) and streak [N]
(the length of that run, counted up to --association_visits).
"""

from __future__ import annotations

import tensorflow as tf

from dal_tf.association import ranking


def initial_state(num_anchors: int, num_cameras: int) -> dict[str, tf.Tensor]:
    return dict(candidate=-tf.ones([num_anchors], tf.int32), streak=tf.zeros([num_anchors], tf.int32))


def updated_cross_anchors(rows, new_intra_table, anchor_cameras, association_started, state, config):
    cycle = ranking.cyclic_ranking(rows, new_intra_table, anchor_cameras, association_started)
    again = tf.equal(tf.gather(state["candidate"], rows), cycle.partner)
    streak = tf.where(again, tf.minimum(tf.gather(state["streak"], rows) + 1, config.association_visits), 1)
    streak = tf.where(cycle.consistent, streak, 0)
    candidate = tf.where(cycle.consistent, cycle.partner, -1)
    update = ranking.merged(cycle, streak >= config.association_visits)
    return update._replace(state=dict(candidate=candidate, streak=streak))
