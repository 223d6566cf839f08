"""Association rules: how a tracklet's cross-camera anchor is formed (the paper's Eq. 4-5 and
alternatives to it), one registry behind --association.

Every rule is a pure TensorFlow function with the released rule's arguments and result:

    rule(rows, new_intra_table, anchor_cameras, association_started, state, config) -> CrossUpdate

rows: the batch's anchor rows; new_intra_table: the intra anchors after this batch's update
(Eq. 1); state: the rule's own per-anchor tables ({name: tf.Variable}, e.g. counters), which
AnchorTables creates from `initial_state`, checkpoints and restores; config: AssociationConfig,
which holds each rule's parameters. A rule returns the new cross anchors and merge partners of the
batch's rows and, in CrossUpdate.state, the new values of its state tables at those rows.
"""

from __future__ import annotations

import dataclasses
from typing import Callable

import tensorflow as tf

from dal_tf.association import ranking
from dal_tf.association.rules import (camera_debiased, clusters, debiased_ratio_test, per_camera, persistent,
                                      ratio_test)
from dal_tf.config import ASSOCIATION_RULES


def no_state(num_anchors: int, num_cameras: int) -> dict[str, tf.Tensor]:
    return {}


@dataclasses.dataclass(frozen=True)
class Rule:
    update: Callable[..., ranking.CrossUpdate]
    # Initial values of the rule's state tables, given (num_anchors, num_cameras).
    initial_state: Callable[[int, int], dict[str, tf.Tensor]] = no_state
    # The state table that lists every partner of a row, [N, P] (-1: none), for a rule that may
    # merge a row with more than one; otherwise the monitor reads cross_partner.
    partners_table: str = ""
    # A rule recomputed on the host between steps (DALModel.refresh_association): whether it is due
    # after (steps done, warm-up steps, config), and the new values of its state tables from the
    # intra anchors [N, D] as a NumPy array.
    refresh_due: Callable[[int, int, object], bool] | None = None
    refreshed_state: Callable[[object, object], dict] | None = None


RULES = {
    "released": Rule(ranking.updated_cross_anchors),
    "camera_debiased": Rule(camera_debiased.updated_cross_anchors),
    "ratio_test": Rule(ratio_test.updated_cross_anchors),
    "debiased_ratio_test": Rule(debiased_ratio_test.updated_cross_anchors),
    "persistent": Rule(persistent.updated_cross_anchors, persistent.initial_state),
    "per_camera": Rule(per_camera.updated_cross_anchors, per_camera.initial_state, partners_table="partners"),
    "clusters": Rule(clusters.updated_cross_anchors, clusters.initial_state, partners_table="partners",
                     refresh_due=clusters.refresh_due, refreshed_state=clusters.refreshed_state),
}
assert tuple(RULES) == ASSOCIATION_RULES, "config.ASSOCIATION_RULES lists the registry's names for --association"
