"""--association=debiased_ratio_test: camera_debiased's ranking with ratio_test's merge criterion.

The two rules remove different wrong merges: camera_debiased the ones a shared camera bias makes
look nearest, ratio_test the ones where the rank-1 barely beats the rank-2 (see those files for
the papers). Here both rankings of the cycle compare the debiased anchors l2(l2(a) - m_c), and a
closed cycle merges only where, among the other cameras' debiased anchors, d(rank-1) <
--association_ratio x d(rank-2). The merge itself is the released one (the mean of the two
normalised intra anchors).
"""

from __future__ import annotations

from dal_tf.association import ranking
from dal_tf.association.rules import camera_debiased, ratio_test


def updated_cross_anchors(rows, new_intra_table, anchor_cameras, association_started, state, config):
    view = camera_debiased.debiased_view(new_intra_table, anchor_cameras)
    cycle = ranking.cyclic_ranking(rows, new_intra_table, anchor_cameras, association_started, view=view,
                                       forward_k=2)
    return ranking.merged(cycle, ratio_test.closes_distinctly(cycle, config.association_ratio))
