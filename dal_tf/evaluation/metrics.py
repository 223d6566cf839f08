"""Re-id ranking metrics (CMC, mAP, mINP) and Euclidean distances, vectorised in NumPy.

Every query is ranked against the gallery by ascending distance; ties are broken by gallery
index, so results do not depend on the sorting algorithm.  Queries are processed in blocks to
bound memory on MARS-sized problems (1,980 x 12,180 and larger).
"""

from __future__ import annotations

import dataclasses

import numpy as np

from dal_tf.config import PROTOCOLS

JUNK_ID = -1  # MARS: detections of bad quality, neither good nor bad matches
QUERY_BLOCK = 256
DISTANCE_BLOCK = 1024


@dataclasses.dataclass(frozen=True)
class RankResult:
    cmc: np.ndarray  # cmc[k - 1]: share of counted queries with a good match within the top k
    mAP: float
    mINP: float
    num_valid_queries: int  # queries the averages are taken over


def euclidean_distances(query_features, gallery_features) -> np.ndarray:
    """Pairwise Euclidean distances, float64, shape (num_query, num_gallery).

    Uses |q|^2 + |g|^2 - 2 q.g with one matrix product per block of query rows, written straight
    into the output; rounding can make the expansion slightly negative, so it is clipped at 0.
    """
    query = np.asarray(query_features, dtype=np.float64)
    gallery = np.asarray(gallery_features, dtype=np.float64)
    if query.ndim != 2 or gallery.ndim != 2 or query.shape[1] != gallery.shape[1]:
        raise ValueError(
            "euclidean_distances: expected 2-D features with the same dimension, "
            f"got query {query.shape} and gallery {gallery.shape}"
        )
    query_sq = np.einsum("ij,ij->i", query, query)
    gallery_sq = np.einsum("ij,ij->i", gallery, gallery)
    distances = np.empty((len(query), len(gallery)), dtype=np.float64)
    for start in range(0, len(query), DISTANCE_BLOCK):
        rows = slice(start, start + DISTANCE_BLOCK)
        block = distances[rows]
        np.matmul(query[rows], gallery.T, out=block)
        block *= -2.0
        block += query_sq[rows, None]
        block += gallery_sq[None, :]
        np.maximum(block, 0.0, out=block)
        np.sqrt(block, out=block)
    return distances


def evaluate_rank(distmat, q_ids, g_ids, q_cams, g_cams, protocol="mars", max_rank=20) -> RankResult:
    """CMC, mAP and mINP of ranking the gallery for every query by `distmat` (smaller = closer).

    protocol:
      "mars": the official MARS evaluation (liangzheng06/MARS-evaluation), the one the DAL
        paper reports; the gallery holds all test tracklets, queries included.  Good entries have
        the query's id in another camera; entries with the query's id in its own camera, and
        entries with id -1, are junk and skipped (id 0 distractors are ordinary non-matches).
        AP is the official trapezoid rule: at the j-th non-junk entry, recall = hits / n_good and
        precision = hits / j, AP += (recall - previous recall) * (previous precision + precision)
        / 2 with previous precision starting at 1; this is lower than the plain AP.
        Queries with no good entry are counted, as in the official code (its CMC and mAP divide by
        the number of queries): they contribute CMC 0, AP 0 and INP 0 (the official AP would be
        0/0 = NaN), so num_valid_queries is the number of queries.  Query ids of -1 are rejected:
        their good entries would also be junk.
      "torchreid": torchreid's eval_market1501; gallery entries with the query's id and camera
        are removed (-1 is an ordinary id), AP is the mean of the precision at each hit, queries
        with no match left are skipped.
      "single_shot": PRID 2011 / iLIDS-VID (probes in one camera, gallery in the other); good
        entries have the query's id, nothing is junk, plain AP, queries without a match skipped.

    mINP (all protocols) is n_good / (position of the last good entry), positions counted
    without junk.  The CMC always has max_rank entries, also for galleries shorter than that.

    Raises ValueError for mismatched shapes, a non-finite distmat, an unknown protocol, or when no
    query is counted.
    """
    distmat, q_ids, g_ids, q_cams, g_cams = _validated(distmat, q_ids, g_ids, q_cams, g_cams, protocol, max_rank)
    num_query = len(q_ids)
    first_position = np.empty(num_query)
    average_precision = np.empty(num_query)
    inverse_negative_penalty = np.empty(num_query)
    num_good = np.empty(num_query, dtype=np.int64)
    gallery_by_id = np.argsort(g_ids, kind="stable")
    junk_columns = np.flatnonzero(g_ids == JUNK_ID) if protocol == "mars" else np.empty(0, dtype=np.int64)
    for start in range(0, num_query, QUERY_BLOCK):
        rows = slice(start, start + QUERY_BLOCK)
        block = distmat[rows]
        match_row, match_col = _same_id_pairs(q_ids[rows], g_ids, gallery_by_id)
        if protocol == "single_shot":
            good = np.ones(len(match_row), dtype=bool)
        else:
            good = q_cams[rows][match_row] != g_cams[match_col]
        hit_row, hit_position = _good_positions(
            block,
            good_pairs=(match_row[good], match_col[good]),
            junk_pairs=(match_row[~good], match_col[~good]),
            junk_columns=junk_columns,
        )
        (
            first_position[rows],
            average_precision[rows],
            inverse_negative_penalty[rows],
            num_good[rows],
        ) = _per_query_scores(hit_row, hit_position, len(block), trapezoid_ap=protocol == "mars")

    counted = np.ones(num_query, dtype=bool) if protocol == "mars" else num_good > 0
    num_counted = int(counted.sum())
    if num_counted == 0:
        raise ValueError(f"evaluate_rank({protocol!r}): no query has a matching gallery entry")
    ranks = np.arange(1, max_rank + 1)
    cmc = (first_position[counted, None] <= ranks[None, :]).mean(axis=0)
    return RankResult(
        cmc=cmc,
        mAP=float(average_precision[counted].mean()),
        mINP=float(inverse_negative_penalty[counted].mean()),
        num_valid_queries=num_counted,
    )


def _validated(distmat, q_ids, g_ids, q_cams, g_cams, protocol, max_rank):
    if protocol not in PROTOCOLS:
        raise ValueError(f"evaluate_rank: protocol must be one of {PROTOCOLS}, got {protocol!r}")
    if not isinstance(max_rank, (int, np.integer)) or max_rank < 1:
        raise ValueError(f"evaluate_rank: max_rank must be a positive integer, got {max_rank!r}")
    distmat = np.asarray(distmat, dtype=np.float64)
    q_ids, g_ids, q_cams, g_cams = (np.asarray(a) for a in (q_ids, g_ids, q_cams, g_cams))
    if distmat.ndim != 2:
        raise ValueError(f"evaluate_rank: distmat must be 2-D (num_query, num_gallery), got shape {distmat.shape}")
    for name, labels, expected in (
        ("q_ids", q_ids, distmat.shape[0]),
        ("q_cams", q_cams, distmat.shape[0]),
        ("g_ids", g_ids, distmat.shape[1]),
        ("g_cams", g_cams, distmat.shape[1]),
    ):
        if labels.shape != (expected,):
            raise ValueError(
                f"evaluate_rank: {name} must have shape ({expected},) to match distmat {distmat.shape}, "
                f"got {labels.shape}"
            )
    if not np.isfinite(distmat).all():
        raise ValueError("evaluate_rank: distmat must be finite (NaN has no rank; inf is reserved for junk)")
    if protocol == "mars" and (q_ids == JUNK_ID).any():
        raise ValueError(f"evaluate_rank('mars'): query ids must not be the junk id {JUNK_ID}")
    return distmat, q_ids, g_ids, q_cams, g_cams


def _same_id_pairs(q_ids, g_ids, gallery_by_id):
    """(query row, gallery column) of every pair with equal ids, grouped by row, columns ascending.

    Matches are sparse, so listing them from the id-sorted gallery avoids (queries x gallery) masks.
    """
    sorted_ids = g_ids[gallery_by_id]
    first = np.searchsorted(sorted_ids, q_ids, side="left")
    count = np.searchsorted(sorted_ids, q_ids, side="right") - first
    row = np.repeat(np.arange(len(q_ids)), count)
    offset_in_row = np.arange(len(row)) - np.repeat(np.cumsum(count) - count, count)
    return row, gallery_by_id[np.repeat(first, count) + offset_in_row]


def _good_positions(distances, good_pairs, junk_pairs, junk_columns):
    """1-based rank of every good entry ("hit") among its query's non-junk entries, as
    (row, position) pairs grouped by row in rank order.

    Sorting only the distance values and binary-searching the good entries' distances in them is
    several times faster than argsorting every row.  A good entry that shares its distance with
    another non-junk entry needs the tie-break by gallery index, so rows holding one are ranked
    with a stable argsort instead.
    """
    sorted_values = _junk_last(distances, junk_pairs, junk_columns)
    sorted_values.sort(axis=1)
    hit_row, hit_col = good_pairs
    hit_value = distances[hit_row, hit_col]
    num_before = _count_less_in_rows(sorted_values, hit_row, hit_value)
    hit_position = num_before + 1
    # sorted_values[row, num_before] is the hit's own distance; a tie shows in the next entry.
    next_col = np.minimum(num_before + 1, distances.shape[1] - 1)
    tied = (num_before + 1 < distances.shape[1]) & (sorted_values[hit_row, next_col] == hit_value)
    tied_rows = np.unique(hit_row[tied])
    if len(tied_rows):
        # Rare with real features, so the junk-last copy sorted in place above is simply rebuilt.
        order = np.argsort(_junk_last(distances, junk_pairs, junk_columns)[tied_rows], axis=1, kind="stable")
        stable_position = np.empty_like(order)
        np.put_along_axis(stable_position, order, np.arange(1, distances.shape[1] + 1)[None, :], axis=1)
        in_tied_row = np.isin(hit_row, tied_rows)
        hit_position[in_tied_row] = stable_position[
            np.searchsorted(tied_rows, hit_row[in_tied_row]), hit_col[in_tied_row]
        ]
    in_rank_order = np.lexsort((hit_position, hit_row))
    return hit_row[in_rank_order], hit_position[in_rank_order]


def _junk_last(distances, junk_pairs, junk_columns):
    """A copy of the distances with junk moved past every (finite) non-junk distance, so that the
    non-junk entries' ranks among all entries are their ranks without junk."""
    junk_last = distances.copy()
    junk_last[:, junk_columns] = np.inf
    junk_last[junk_pairs] = np.inf
    return junk_last


def _count_less_in_rows(sorted_rows, row, value):
    """For each i, how many entries of sorted_rows[row[i]] are < value[i]: a binary search run
    for all pairs at once, one bit of the answer per step."""
    row_length = sorted_rows.shape[1]
    count = np.zeros(len(row), dtype=np.int64)
    step = 1 << max(row_length.bit_length() - 1, 0)
    while step:
        candidate = count + step
        accept = (candidate <= row_length) & (
            sorted_rows[row, np.minimum(candidate, row_length) - 1] < value
        )
        count = np.where(accept, candidate, count)
        step >>= 1
    return count


def _per_query_scores(hit_row, hit_position, num_rows, trapezoid_ap):
    """Per-query first-hit position (inf if none), AP, INP and number of good entries, from the
    good entries' positions without junk, grouped by row in rank order."""
    num_good = np.bincount(hit_row, minlength=num_rows)
    row_start = np.cumsum(num_good) - num_good
    hits = (np.arange(len(hit_row)) - row_start[hit_row] + 1).astype(np.float64)  # k-th hit
    hit_position = hit_position.astype(np.float64)
    precision = hits / hit_position
    if trapezoid_ap:
        # Recall grows by 1/n_good only at hits, so only hits add a trapezoid; the precision just
        # before the k-th hit (at position j) is (k - 1) / (j - 1), or 1 at the first position.
        previous_precision = np.where(hit_position > 1, (hits - 1) / np.maximum(hit_position - 1, 1), 1.0)
        ap_terms = (previous_precision + precision) / 2
    else:
        ap_terms = precision
    has_good = num_good > 0
    average_precision = np.bincount(hit_row, weights=ap_terms, minlength=num_rows) / np.maximum(num_good, 1)

    first_position = np.full(num_rows, np.inf)
    first_position[has_good] = hit_position[row_start[has_good]]
    last_position = np.ones(num_rows)
    last_position[has_good] = hit_position[row_start[has_good] + num_good[has_good] - 1]
    inverse_negative_penalty = num_good / last_position
    return first_position, average_precision, inverse_negative_penalty, num_good
