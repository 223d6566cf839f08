"""--loss=contrast: CAP's camera-aware contrastive terms (Wang, Zhu, Gong, Chen, "Camera-aware
Proxies for Unsupervised Person Re-Identification", AAAI 2021) over DAL's anchor tables, in place
of the hinge losses L_I and L_C.

With f a frame's l2-normalised feature, a_r the l2-normalised intra anchor of row r and t the
temperature (similarities are cosines):

  intra term  -log softmax_r(f . a_r / t)[own row], r over the frame's own camera's rows;
  inter term  -(1/|P|) sum_{p in P} log softmax_{r in P + H}(f . a_r / t)[p], where P is the
              frame's own row and its partners in the association rule's merge_partners(), and H
              the `hard_negatives` rows outside P most similar to f, over every camera.

As in CAP's code, each term is a mean over the batch's frames of one camera, summed over the
cameras in the batch, and the inter term weighs 0.5 (times --lambda_cross) and starts with
cross-camera association, after the warm-up. CAP's proxies start as features; DAL's anchors start
at zero, and a row never visited (still zero) is no negative in either term.
"""

from __future__ import annotations

import tensorflow as tf

from dal_tf.association import ranking
from dal_tf.config import AssociationConfig

INTER_WEIGHT = 0.5  # CAP's: loss += 0.5 * associate_loss / len(percam_feat)


def _per_camera_sum(values: tf.Tensor, cameras: tf.Tensor, num_cameras: int) -> tf.Tensor:
    """CAP's reduction: the mean over each camera's frames, summed over the cameras present."""
    means = tf.math.unsorted_segment_mean(values, cameras, num_cameras)
    present = tf.math.unsorted_segment_sum(tf.ones_like(values), cameras, num_cameras) > 0
    return tf.reduce_sum(tf.where(present, means, 0.0))


def contrast_losses(features: tf.Tensor, rows: tf.Tensor, cameras: tf.Tensor, intra_table: tf.Tensor,
                    anchor_cameras: tf.Tensor, num_cameras: int, partners: tf.Tensor, association_started,
                    config: AssociationConfig) -> ranking.RankingLosses:
    """The two terms for features [B, D] of anchor rows [B] in cameras [B], against the intra
    table [N, D] before this batch's update; partners [N, P] is the rule's merge_partners()
    (-1: none). Memory: one [B, N] similarity matrix."""
    f = ranking.l2_normalize(features)
    anchors = ranking.l2_normalize(tf.convert_to_tensor(intra_table))
    visited = tf.reduce_any(tf.not_equal(anchors, 0.0), axis=1)  # [N]
    logits = tf.matmul(f, anchors, transpose_b=True) / config.temperature  # [B, N]
    own = tf.one_hot(rows, tf.shape(anchors)[0], on_value=True, off_value=False)
    same_camera = tf.equal(cameras[:, tf.newaxis], anchor_cameras[tf.newaxis, :])
    candidates = tf.logical_and(same_camera, tf.logical_or(visited[tf.newaxis, :], own))
    own_logit = tf.gather(logits, rows, batch_dims=1)
    intra = tf.reduce_logsumexp(tf.where(candidates, logits, -float("inf")), axis=1) - own_logit
    loss_intra = _per_camera_sum(intra, cameras, num_cameras)

    positives = tf.concat([rows[:, tf.newaxis], tf.gather(partners, rows)], axis=1)  # [B, 1 + P], -1: none
    valid_positive = positives >= 0
    where = tf.where(valid_positive)  # (frame, slot) of every positive
    is_positive = tf.scatter_nd(tf.stack([where[:, 0], tf.cast(tf.gather_nd(positives, where), tf.int64)], axis=1),
                                tf.ones([tf.shape(where)[0]], tf.int32), tf.shape(logits, out_type=tf.int64)) > 0
    negative_candidates = tf.logical_and(visited[tf.newaxis, :], tf.logical_not(is_positive))
    masked = tf.where(negative_candidates, tf.stop_gradient(logits), -float("inf"))
    k = min(config.hard_negatives, int(anchors.shape[0]))
    hardest, hard_rows = tf.math.top_k(masked, k=k)
    hard_logits = tf.where(tf.math.is_finite(hardest), tf.gather(logits, hard_rows, batch_dims=1), -float("inf"))
    positive_logits = tf.where(valid_positive, tf.gather(logits, tf.maximum(positives, 0), batch_dims=1),
                               -float("inf"))
    normaliser = tf.reduce_logsumexp(tf.concat([positive_logits, hard_logits], axis=1), axis=1)
    count = tf.reduce_sum(tf.cast(valid_positive, f.dtype), axis=1)
    mean_positive = tf.reduce_sum(tf.where(valid_positive, positive_logits, 0.0), axis=1) / count
    inter = normaliser - mean_positive
    started = tf.cast(tf.cast(association_started, tf.bool), f.dtype)
    loss_cross = INTER_WEIGHT * started * _per_camera_sum(inter, cameras, num_cameras)

    rank1_is_own = tf.equal(tf.argmax(tf.where(same_camera, logits, -float("inf")), axis=1, output_type=rows.dtype),
                            rows)
    return ranking.RankingLosses(ranking.combined(loss_intra, loss_cross, config), loss_intra, loss_cross, rank1_is_own)
