"""--association=camera_debiased: cyclic ranking with each camera's bias removed.

A camera's colour cast, light, blur and background move all of its tracklets' features the same
way, so across cameras the nearest anchor can be the one that shares the most of that shift
rather than the same person. Following camera-specific feature normalisation (Song, Park, Lee,
"Exploring the Camera Bias of Person Re-identification", ICLR 2025, which subtracts per-camera
feature means to debias pseudo labels in unsupervised re-id; Zhuang et al., "Rethinking the
Distribution Gap of Person Re-identification with Camera-based Batch Normalization", ECCV 2020),
both rankings of the cycle compare l2(l2(a) - m_c): each normalised intra anchor minus the mean of
its camera's visited normalised anchors, renormalised. Consistency and the merge itself are the
released rule's: the cross anchor is still the mean of the two (undebiased) normalised intra
anchors, the space the losses rank frames in.
"""

from __future__ import annotations

import tensorflow as tf

from dal_tf.association import ranking


def camera_means(table: tf.Tensor, anchor_cameras: tf.Tensor) -> tf.Tensor:
    """[C, D] mean of each camera's visited (non-zero) rows of l2_normalize(table), read
    TABLE_BLOCK_ROWS rows at a time (see ranking.nearest_table_row); 0 for a camera with none."""
    num_rows = int(table.shape[0])
    num_cameras = tf.reduce_max(anchor_cameras) + 1
    block_rows = ranking.TABLE_BLOCK_ROWS

    def add_block(start, sums, counts):
        rows = tf.range(start, tf.minimum(start + block_rows, num_rows))
        anchors = tf.gather(table, rows)
        cameras = tf.gather(anchor_cameras, rows)
        visited = tf.cast(tf.reduce_any(tf.not_equal(anchors, 0.0), axis=1), anchors.dtype)
        # A zero row normalises to zero, so it adds nothing to the sum.
        return (start + block_rows,
                sums + tf.math.unsorted_segment_sum(ranking.l2_normalize(anchors), cameras, num_cameras),
                counts + tf.math.unsorted_segment_sum(visited, cameras, num_cameras))

    _, sums, counts = tf.while_loop(
        lambda start, *_: start < num_rows, add_block,
        (tf.constant(0), tf.zeros([num_cameras, table.shape[1]], table.dtype), tf.zeros([num_cameras], table.dtype)),
        parallel_iterations=1)
    return sums / tf.maximum(counts, 1.0)[:, tf.newaxis]


def debiased_view(table: tf.Tensor, anchor_cameras: tf.Tensor):
    """view(rows, anchors) for nearest_table_row: l2(l2(a) - mean of a's camera in table);
    never-visited (zero) anchors stay zero, so they are never chosen."""
    means = camera_means(table, anchor_cameras)

    def view(rows, anchors):
        visited = tf.reduce_any(tf.not_equal(anchors, 0.0), axis=1, keepdims=True)
        shifted = ranking.l2_normalize(anchors) - tf.gather(means, tf.gather(anchor_cameras, rows))
        return tf.where(visited, ranking.l2_normalize(shifted), tf.zeros_like(anchors))

    return view


def updated_cross_anchors(rows, new_intra_table, anchor_cameras, association_started, state=None, config=None):
    view = debiased_view(new_intra_table, anchor_cameras)
    cycle = ranking.cyclic_ranking(rows, new_intra_table, anchor_cameras, association_started, view=view)
    return ranking.merged(cycle, cycle.consistent)
