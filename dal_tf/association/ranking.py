"""DAL's association math as pure TensorFlow functions (paper Eq. 1-7, released-code semantics).

Anchors of all cameras live in one flat table of shape [num_anchors, D]. Row `r` belongs to
camera `anchor_cameras[r]`; a frame's own row is `camera_offsets[camera] + index_in_camera`, so
anchors are keyed by (camera, tracklet) pairs and never by an index shared across cameras.
Ranking "within a camera" masks the other cameras' rows, which handles any number of cameras
and cameras absent from a batch without per-camera Python loops.

Every function returns new values instead of assigning: the Keras model applies them to its
non-trainable tables with scatter ops. Duplicate rows in a batch (a tracklet sampled twice)
always receive identical values, so a scatter-update is order independent.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np
import tensorflow as tf

from dal_tf.config import AssociationConfig

# The release normalises with tf.nn.l2_normalize(x, 1, 1e-10): a zero anchor stays zero.
L2_EPSILON = 1e-10
# Keeps the Euclidean distance's gradient finite at zero distance.
SQRT_FLOOR = 1e-12
# Rows of the anchor table ranked at a time (64 MiB at D = 1024): memory beyond the tables stays
# O(block) however many tracklets there are (benchmarks/bench_anchor_scaling.py).
TABLE_BLOCK_ROWS = 16384


def l2_normalize(x: tf.Tensor) -> tf.Tensor:
    return tf.math.l2_normalize(x, axis=-1, epsilon=L2_EPSILON)


def rowwise_distance(a: tf.Tensor, b: tf.Tensor, distance: str) -> tf.Tensor:
    """Distance between matching rows of a and b, [B, D] x [B, D] -> [B]."""
    squared = tf.reduce_sum(tf.square(a - b), axis=-1)
    return _finish_distance(squared, distance)


def _finish_distance(squared: tf.Tensor, distance: str) -> tf.Tensor:
    if distance == "squared":
        return squared
    if distance == "euclidean":
        return tf.sqrt(tf.maximum(squared, SQRT_FLOOR))
    raise ValueError(f"unknown distance {distance!r}")


def nearest_table_row(queries: tf.Tensor, table: tf.Tensor, allowed, view=None) -> tf.Tensor:
    """Per row of queries [B, D], the row of l2_normalize(table) [N, D] nearest to it among the
    allowed ones, [B] int32, ranked by squared distance (which ranks like the Euclidean one); ties
    go to the lowest row, as tf.nn.top_k in the release.

    allowed(rows) gives the [B, len(rows)] mask for a block of table rows. view(rows, values), if
    given, maps a block of table rows to what is ranked instead (an association rule's space,
    e.g. with camera bias removed); rows it maps to zero are never chosen. The table is read at
    most TABLE_BLOCK_ROWS rows at a time with gathers: a dense read of a tf.Variable that has been
    scatter-updated copies all of it, and a gradient through an [N, D] product would keep it
    alive. No gradient flows here; callers recompute the distance to the chosen row.
    """
    return nearest_table_rows(queries, table, allowed, view)[1][:, 0]


def nearest_table_rows(queries: tf.Tensor, table: tf.Tensor, allowed, view=None, k: int = 1):
    """nearest_table_row's k nearest allowed rows, nearest first: (squared distances [B, k], rows
    [B, k] int32). Where fewer than k rows are allowed, the rest have distance inf (and row 0)."""
    queries = tf.stop_gradient(queries)
    num_rows = int(table.shape[0])
    num_blocks = -(-num_rows // TABLE_BLOCK_ROWS)
    block_rows = -(-num_rows // num_blocks)  # equal blocks: the overlap is under num_blocks rows
    query_norms = tf.reduce_sum(tf.square(queries), axis=-1, keepdims=True)
    inf = tf.constant(float("inf"), queries.dtype)

    def ranked_block(block, best_distance, best_row):
        # The last block ends at the table's end and may overlap the one before it, so that every
        # block has the same static size (XLA).
        start = tf.minimum(block * block_rows, num_rows - block_rows)
        rows = start + tf.range(block_rows)
        anchors = tf.gather(table, rows)
        mask = allowed(rows)
        if view is not None:
            anchors = view(rows, anchors)
            mask = tf.logical_and(mask, tf.reduce_any(tf.not_equal(anchors, 0.0), axis=1)[tf.newaxis, :])
        squared_norms = tf.reduce_sum(tf.square(anchors), axis=-1)
        inverse = tf.math.rsqrt(tf.maximum(squared_norms, L2_EPSILON))  # l2_normalize(a) = a * inverse
        distances = (query_norms + (squared_norms * tf.square(inverse))[tf.newaxis, :]
                     - 2.0 * tf.matmul(queries, anchors, transpose_b=True) * inverse[tf.newaxis, :])
        # The last block's overlap with the one before was ranked there already.
        mask = tf.logical_and(mask, (rows >= block * block_rows)[tf.newaxis, :])
        neg_top, index = tf.math.top_k(-tf.where(mask, distances, inf), k=min(k, block_rows), sorted=True)
        # Earlier blocks first, so that a tie keeps the lower row.
        neg_best, position = tf.math.top_k(tf.concat([-best_distance, neg_top], axis=1), k=k, sorted=True)
        rows_so_far = tf.concat([best_row, tf.gather(rows, index)], axis=1)
        return block + 1, -neg_best, tf.gather(rows_so_far, position, batch_dims=1)

    batch = tf.shape(queries)[0]
    _, best_distance, best_row = tf.while_loop(
        lambda block, *_: block < num_blocks, ranked_block,
        (tf.constant(0), tf.fill([batch, k], inf), tf.zeros([batch, k], tf.int32)),
        parallel_iterations=1,  # one block's temporaries alive at a time
    )
    return best_distance, best_row


class RankingLosses(NamedTuple):
    loss: tf.Tensor  # the total association loss the model minimises
    loss_intra: tf.Tensor  # L_I, Eq. 6
    loss_cross: tf.Tensor  # L_C, Eq. 7
    rank1_is_own: tf.Tensor  # [B] bool: the frame's rank-1 in its camera is its own tracklet


def association_losses(
    features: tf.Tensor,
    rows: tf.Tensor,
    cameras: tf.Tensor,
    intra_table: tf.Tensor,
    cross_table: tf.Tensor,
    anchor_cameras: tf.Tensor,
    num_cameras: int,
    config: AssociationConfig,
) -> RankingLosses:
    """Association ranking (Eq. 2) and the hinge losses L_I, L_C (Eq. 3, 6, 7).

    features: [B, D] backbone outputs (normalised here); rows: [B] each frame's anchor row;
    cameras: [B] camera ids; tables: [N, D] anchors before this batch's update.
    """
    f = l2_normalize(features)
    positive_intra = rowwise_distance(f, l2_normalize(tf.gather(intra_table, rows)), config.distance)
    positive_cross = rowwise_distance(f, l2_normalize(tf.gather(cross_table, rows)), config.distance)

    rank1_row = nearest_table_row(
        f, intra_table, lambda block: tf.equal(cameras[:, tf.newaxis], tf.gather(anchor_cameras, block)[tf.newaxis, :]))
    rank1_distance = rowwise_distance(f, l2_normalize(tf.gather(intra_table, rank1_row)), config.distance)
    rank1_is_own = tf.equal(rank1_row, rows)

    # When the rank-1 is the frame's own tracklet there is no violating negative; the release
    # then uses the mean rank-1 distance of that camera's frames in this batch.
    camera_mean = tf.math.unsorted_segment_mean(rank1_distance, cameras, num_cameras)
    negative = tf.where(rank1_is_own, tf.gather(camera_mean, cameras), rank1_distance)

    loss_intra = tf.reduce_mean(tf.nn.relu(positive_intra - negative + config.margin))
    loss_cross = tf.reduce_mean(tf.nn.relu(positive_cross - negative + config.margin))
    return RankingLosses(combined(loss_intra, loss_cross, config), loss_intra, loss_cross, rank1_is_own)


def combined(loss_intra: tf.Tensor, loss_cross: tf.Tensor, config: AssociationConfig) -> tf.Tensor:
    """The loss the model minimises of its two terms (--loss_terms, --lambda_cross)."""
    if config.loss_terms == "intra":
        return loss_intra
    if config.loss_terms == "cross":
        return loss_cross
    return loss_intra + config.lambda_cross * loss_cross


def updated_intra_anchors(
    features: tf.Tensor, rows: tf.Tensor, intra_table: tf.Tensor, config: AssociationConfig
) -> tf.Tensor:
    """New intra anchors for the batch's rows (Eq. 1), one [D] value per frame, [B, D].

    released: x <- x - eta * sum_k (l2(x) - l2(f_k)), summed over the batch's frames k of that
      tracklet (tf.scatter_sub adds duplicates). It acts on the unnormalised x, so from a zero
      start and eta = 0.5, l2(x) is the latest frame.
    normalized: x <- (1 - eta) * l2(x) + eta * mean_k l2(f_k), a moving average of unit vectors.
    """
    f = tf.stop_gradient(l2_normalize(features))
    same_tracklet = tf.cast(tf.equal(rows[:, tf.newaxis], rows[tf.newaxis, :]), f.dtype)
    frames_of_tracklet = tf.reduce_sum(same_tracklet, axis=1, keepdims=True)
    feature_sum = tf.matmul(same_tracklet, f)
    anchor = tf.gather(intra_table, rows)
    if config.anchor_update == "released":
        return anchor - config.eta * (frames_of_tracklet * l2_normalize(anchor) - feature_sum)
    return (1.0 - config.eta) * l2_normalize(anchor) + config.eta * feature_sum / frames_of_tracklet


class CrossUpdate(NamedTuple):
    values: tf.Tensor  # [B, D] new cross anchors for the batch's rows
    partner: tf.Tensor  # [B] row merged with in another camera, -1 where not merged
    state: dict | None = None  # a rule's own tables: {name: [B, ...] new values of the batch's rows}


class Cycle(NamedTuple):
    own: tf.Tensor  # [B, D] the batch rows' normalised anchors
    partner: tf.Tensor  # [B] each row's rank-1 in the other camera(s)
    partner_anchor: tf.Tensor  # [B, D] that row's normalised anchor
    consistent: tf.Tensor  # [B] bool: the cycle returns to the row (and may merge)
    forward_distances: tf.Tensor  # [B, forward_k] squared distances of the first ranking's nearest


def cyclic_ranking(rows, new_intra_table, anchor_cameras, association_started, view=None,
                   partner_camera=None, forward_k: int = 1) -> Cycle:
    """Cyclic ranking (Eq. 4) on the updated intra anchors: each batch row's rank-1 among the other
    cameras' anchors (pooled, as the release does with more than two cameras; or only camera
    `partner_camera`), then that anchor's rank-1 back in the row's own camera. Both rankings use
    view(rows, anchors) when given (see nearest_table_row); own and partner_anchor stay the
    normalised intra anchors, which the cross anchors are made of. The first ranking keeps its
    forward_k nearest distances.
    """
    own = l2_normalize(tf.gather(new_intra_table, rows))
    own_camera = tf.gather(anchor_cameras, rows)

    def other_camera(block):
        cameras = tf.gather(anchor_cameras, block)[tf.newaxis, :]
        if partner_camera is None:
            return tf.not_equal(own_camera[:, tf.newaxis], cameras)
        return tf.logical_and(tf.not_equal(own_camera[:, tf.newaxis], partner_camera), tf.equal(cameras, partner_camera))

    def viewed(rows_):
        return l2_normalize(view(rows_, tf.gather(new_intra_table, rows_)))

    queries = own if view is None else viewed(rows)
    forward_distances, forward_rows = nearest_table_rows(queries, new_intra_table, other_camera, view, forward_k)
    partner = forward_rows[:, 0]
    partner_anchor = l2_normalize(tf.gather(new_intra_table, partner))
    partner_queries = partner_anchor if view is None else viewed(partner)
    returned = nearest_table_row(partner_queries, new_intra_table,
                                 lambda block: tf.equal(own_camera[:, tf.newaxis],
                                                        tf.gather(anchor_cameras, block)[tf.newaxis, :]), view)

    # A never-visited (zero) partner is no association; the release "merges" with it, which
    # leaves the normalised cross anchor unchanged, so skipping it changes no anchor in use.
    partner_visited = tf.reduce_any(tf.not_equal(tf.gather(new_intra_table, partner), 0.0), axis=1)
    consistent = tf.logical_and(tf.equal(returned, rows), partner_visited)
    # Where nothing is allowed (a single camera, or only unviewable rows) the "partner" is row 0,
    # which these checks refuse.
    partner_camera_found = tf.gather(anchor_cameras, partner)
    consistent = tf.logical_and(consistent, tf.not_equal(partner_camera_found, own_camera))
    if partner_camera is not None:
        consistent = tf.logical_and(consistent, tf.equal(partner_camera_found, partner_camera))
    if view is not None:
        viewable = tf.logical_and(tf.reduce_any(tf.not_equal(queries, 0.0), axis=1),
                                  tf.reduce_any(tf.not_equal(partner_queries, 0.0), axis=1))
        consistent = tf.logical_and(consistent, viewable)
    consistent = tf.logical_and(consistent, tf.cast(association_started, tf.bool))
    return Cycle(own, partner, partner_anchor, consistent, forward_distances)


def merged(cycle: Cycle, consistent: tf.Tensor) -> CrossUpdate:
    """Eq. 5: where consistent, the cross anchor is the mean of the two normalised anchors; otherwise
    the row's own normalised intra anchor. Cross anchors are only ever read normalised, so the
    mean needs no renormalisation here."""
    values = tf.where(consistent[:, tf.newaxis], (cycle.own + cycle.partner_anchor) / 2.0, cycle.own)
    return CrossUpdate(values, tf.where(consistent, cycle.partner, -tf.ones_like(cycle.partner)))


def updated_cross_anchors(
    rows: tf.Tensor,
    new_intra_table: tf.Tensor,
    anchor_cameras: tf.Tensor,
    association_started: tf.Tensor | bool,
    state: dict | None = None,
    config: AssociationConfig | None = None,
) -> CrossUpdate:
    """The released association rule (`--association=released`): cyclic ranking and the
    cross-anchor update (Eq. 4, 5) on the updated intra anchors.

    If the cycle returns to the row and association has started (after warm-up), the cross anchor
    is the mean of the two normalised anchors; otherwise it is the row's own normalised intra
    anchor. Every rule in dal_tf.association.rules takes these arguments and returns a CrossUpdate; this one
    keeps no state and has no parameters.
    """
    cycle = cyclic_ranking(rows, new_intra_table, anchor_cameras, association_started)
    return merged(cycle, cycle.consistent)


def camera_offsets(tracklets_per_camera) -> np.ndarray:
    """First anchor row of each camera in the flat table."""
    return np.concatenate([[0], np.cumsum(tracklets_per_camera)[:-1]]).astype(np.int32)


def anchor_rows(cameras: tf.Tensor, indices: tf.Tensor, camera_offsets: tf.Tensor) -> tf.Tensor:
    """Row in the flat anchor table of each (camera, index-within-camera) pair."""
    return tf.gather(camera_offsets, cameras) + indices

