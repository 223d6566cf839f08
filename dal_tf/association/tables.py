"""The anchor tables of DAL: an intra- and a cross-camera anchor per training tracklet, keyed by
(camera, tracklet), and the association rule that forms the cross anchors."""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from dal_tf.association import contrast, ranking, rules
from dal_tf.config import AssociationConfig


class AnchorTables(tf.Module):
    """Intra- and cross-camera anchors of every training tracklet, flat over cameras, and the
    association rule that forms the cross anchors (--association, dal_tf.association.rules).

    Row r belongs to camera `anchor_cameras[r]`; `cross_partner[r]` is the row it is currently
    merged with in another camera, or -1; `state` holds the rule's own tables, if it keeps any.
    All are checkpointed.
    """

    def __init__(self, tracklets_per_camera: list[int], dim: int, rule: str = "released"):
        super().__init__(name="anchors")
        counts = np.asarray(tracklets_per_camera, np.int32)
        self.num_cameras = len(counts)
        self.num_anchors = int(counts.sum())
        self.camera_offsets = tf.constant(ranking.camera_offsets(counts))
        self.anchor_cameras = tf.constant(np.repeat(np.arange(len(counts)), counts).astype(np.int32))
        self.intra = tf.Variable(tf.zeros([self.num_anchors, dim]), trainable=False, name="intra")
        self.cross = tf.Variable(tf.zeros([self.num_anchors, dim]), trainable=False, name="cross")
        self.cross_partner = tf.Variable(-tf.ones([self.num_anchors], tf.int32), trainable=False, name="partner")
        self.rule = rules.RULES[rule]
        self.state = {name: tf.Variable(value, trainable=False, name=name)
                      for name, value in self.rule.initial_state(self.num_anchors, self.num_cameras).items()}

    def rows(self, cameras: tf.Tensor, indices: tf.Tensor) -> tf.Tensor:
        return ranking.anchor_rows(cameras, indices, self.camera_offsets)

    def losses(self, features: tf.Tensor, rows: tf.Tensor, cameras: tf.Tensor, config: AssociationConfig,
               association_started) -> ranking.RankingLosses:
        """The two loss terms of a batch against the tables as they are (before its update):
        the release's hinge L_I / L_C, or --loss=contrast's."""
        if config.loss == "contrast":
            return contrast.contrast_losses(features, rows, cameras, self.intra, self.anchor_cameras, self.num_cameras,
                                            self.merge_partners(), association_started, config)
        return ranking.association_losses(features, rows, cameras, self.intra, self.cross, self.anchor_cameras,
                                              self.num_cameras, config)

    def update(self, features: tf.Tensor, rows: tf.Tensor, config: AssociationConfig, association_started):
        """The batch's intra anchors (Eq. 1), then the association rule's cross anchors (Eq. 4, 5)."""
        intra_values = ranking.updated_intra_anchors(features, rows, self.intra, config)
        self.intra.scatter_update(tf.IndexedSlices(intra_values, rows))
        cross = self.rule.update(rows, self.intra, self.anchor_cameras, association_started, self.state, config)
        self.cross.scatter_update(tf.IndexedSlices(cross.values, rows))
        self.cross_partner.scatter_update(tf.IndexedSlices(cross.partner, rows))
        for name, values in (cross.state or {}).items():
            self.state[name].scatter_update(tf.IndexedSlices(values, rows))

    def merge_partners(self) -> tf.Tensor:
        """[N, P]: the rows each anchor is merged with, -1 where none."""
        if self.rule.partners_table:
            return self.state[self.rule.partners_table]
        return self.cross_partner[:, tf.newaxis]
