"""Slow per-query loop references for dal_tf.evaluation.metrics.evaluate_rank, written from the definitions.

Shared by tests/test_metrics.py and benchmarks/bench_metrics.py.  Each query's gallery is
ranked with a stable sort and then walked one entry at a time in plain Python.
"""

from __future__ import annotations

import numpy as np

from dal_tf.evaluation.metrics import RankResult

JUNK_ID = -1


def mars_compute_ap(good_image: set, junk_image: set, index: list, cmc_length: int):
    """Official MARS compute_AP.m, line by line (0-based), plus the INP of the same walk.

    Returns (ap, cmc, inp).  With no good image the official code divides 0 by 0 (NaN AP);
    dal_tf counts such a query with AP 0, CMC 0 and INP 0.
    """
    cmc = np.zeros(cmc_length)
    ngood = len(good_image)
    if ngood == 0:
        return 0.0, cmc, 0.0
    old_recall = 0.0
    old_precision = 1.0
    ap = 0.0
    intersect_size = 0
    j = 0
    good_now = 0
    njunk = 0
    last_good_position = 0
    for n, image in enumerate(index):
        flag = False
        if image in good_image:
            cmc[n - njunk :] = 1
            flag = True
            good_now += 1
        if image in junk_image:
            njunk += 1
            continue
        if flag:
            intersect_size += 1
            last_good_position = j + 1
        recall = intersect_size / ngood
        precision = intersect_size / (j + 1)
        ap = ap + (recall - old_recall) * ((old_precision + precision) / 2)
        old_recall = recall
        old_precision = precision
        j = j + 1
        if good_now == ngood:
            break
    return ap, cmc, ngood / last_good_position


def mars_reference(distmat, q_ids, g_ids, q_cams, g_cams, max_rank=20) -> RankResult:
    """Official evaluation_mars.m loop: every query counted, CMC and mAP averaged over all."""
    num_gallery = distmat.shape[1]
    cmc_length = max(num_gallery, max_rank)  # a gallery shorter than max_rank keeps its last value
    cmcs, aps, inps = [], [], []
    for q in range(len(q_ids)):
        same_id = g_ids == q_ids[q]
        good_image = set(np.flatnonzero(same_id & (g_cams != q_cams[q])).tolist())
        junk_image = set(np.flatnonzero((g_ids == JUNK_ID) | (same_id & (g_cams == q_cams[q]))).tolist())
        index = np.argsort(distmat[q], kind="stable").tolist()
        ap, cmc, inp = mars_compute_ap(good_image, junk_image, index, cmc_length)
        cmcs.append(cmc[:max_rank])
        aps.append(ap)
        inps.append(inp)
    return RankResult(np.mean(cmcs, axis=0), float(np.mean(aps)), float(np.mean(inps)), len(q_ids))


def plain_reference(distmat, q_ids, g_ids, q_cams, g_cams, protocol, max_rank=20) -> RankResult:
    """torchreid's eval_market1501 ("torchreid") or a cross-camera single shot ("single_shot").

    "torchreid" removes gallery entries with the query's id and camera; "single_shot" removes
    nothing.  Matches are entries with the query's id; queries without any are skipped.
    """
    cmcs, aps, inps = [], [], []
    for q in range(len(q_ids)):
        ranked_matches = []
        for g in np.argsort(distmat[q], kind="stable").tolist():
            same_id = g_ids[g] == q_ids[q]
            if protocol == "torchreid" and same_id and g_cams[g] == q_cams[q]:
                continue
            ranked_matches.append(same_id)
        hits = 0
        precisions = []
        first_hit = last_hit = None
        for position, is_match in enumerate(ranked_matches, start=1):
            if is_match:
                hits += 1
                precisions.append(hits / position)
                first_hit = first_hit or position
                last_hit = position
        if hits == 0:
            continue
        cmcs.append([1.0 if first_hit <= k else 0.0 for k in range(1, max_rank + 1)])
        aps.append(sum(precisions) / hits)
        inps.append(hits / last_hit)
    return RankResult(np.mean(cmcs, axis=0), float(np.mean(aps)), float(np.mean(inps)), len(aps))


def reference_evaluate_rank(distmat, q_ids, g_ids, q_cams, g_cams, protocol="mars", max_rank=20) -> RankResult:
    distmat, q_ids, g_ids, q_cams, g_cams = (np.asarray(a) for a in (distmat, q_ids, g_ids, q_cams, g_cams))
    if protocol == "mars":
        return mars_reference(distmat, q_ids, g_ids, q_cams, g_cams, max_rank)
    return plain_reference(distmat, q_ids, g_ids, q_cams, g_cams, protocol, max_rank)
