"""Who is who: tracklet features to people, as pure NumPy.

- `nearest_neighbours`: exact k nearest neighbours, block by block, so memory is N x k, never N x N.
- `average_linkage`: agglomerative clustering with average linkage (UPGMA; Sokal and Michener
  1958) cut at a distance threshold, over a sparse neighbour graph, refusing any merge that would
  join a cannot-link pair (the constrained agglomerative clustering of Davidson and Ravi, PKDD
  2005). Average linkage because one close pair of tracklets (single linkage) chains different
  people through look-alikes, and complete linkage splits a person whose tracklets vary; the
  threshold has the same meaning as a pair's distance, so it can be estimated from pairs.
- `youden_threshold`: the distance that best separates two samples of pair distances.

A pair the graph does not hold counts as `far` apart in the average, so with every pair below
`far` in the graph the result is exactly average linkage on the dense matrix.
"""

from __future__ import annotations

import heapq

import numpy as np

from dal_tf.reranking import smallest_in_rows

BLOCK_VALUES = 2 ** 25


def nearest_neighbours(features: np.ndarray, k: int, rows_per_block: int | None = None,
                       allowed=None) -> tuple[np.ndarray, np.ndarray]:
    """The k nearest rows of each row (itself excluded) by Euclidean distance: (indices [N, k],
    distances [N, k]), nearest first, ties to the lower index. `allowed(rows, columns)`, if given,
    returns a bool mask of the pairs that may be neighbours (e.g. other cameras only); a row with
    fewer candidates has index -1 and distance inf in its last places. A block of rows against all
    N rows is at most BLOCK_VALUES distances (256 MB) unless `rows_per_block` says otherwise."""
    x = np.asarray(features, np.float64)
    n = len(x)
    k = min(k, max(n - 1, 0))
    rows_per_block = rows_per_block or max(1, BLOCK_VALUES // max(n, 1))
    squares = np.einsum("ij,ij->i", x, x)
    indices = np.full((n, k), -1, np.int64)
    distances = np.full((n, k), np.inf)
    if k == 0:
        return indices, distances
    columns = np.arange(n)
    for start in range(0, n, rows_per_block):
        rows = np.arange(start, min(start + rows_per_block, n))
        d2 = squares[rows, None] + squares[None, :] - 2.0 * x[rows] @ x.T
        np.maximum(d2, 0.0, out=d2)
        d2[np.arange(len(rows)), rows] = np.inf
        if allowed is not None:
            d2[~allowed(rows, columns)] = np.inf
        order = smallest_in_rows(d2, k)
        near = np.sqrt(np.take_along_axis(d2, order, axis=1))
        indices[rows] = np.where(np.isfinite(near), order, -1)
        distances[rows] = near
    return indices, distances


def average_linkage(n: int, pairs: np.ndarray, pair_distances: np.ndarray, threshold: float,
                    cannot_link: np.ndarray | None = None, far: float | None = None) -> np.ndarray:
    """People as labels 0..P-1 (in order of each person's lowest member) for n items.

    pairs [E, 2] and pair_distances [E] are the known distances (either order, duplicates kept
    once); clusters merge, closest average first, while their average distance is below
    `threshold` and no cannot_link pair [C, 2] would end up in one cluster. Unknown pairs count as
    `far` (default: the largest known distance)."""
    pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
    pair_distances = np.asarray(pair_distances, np.float64).reshape(-1)
    if far is None:
        far = float(pair_distances.max()) if len(pair_distances) else 0.0
    known: dict[int, dict[int, list]] = {i: {} for i in range(n)}
    for (a, b), d in zip(pairs.tolist(), pair_distances.tolist()):
        if a != b and np.isfinite(d) and b not in known[a]:
            known[a][b] = [d, 1]
            known[b][a] = [d, 1]
    forbidden: dict[int, set] = {i: set() for i in range(n)}
    for a, b in np.asarray(cannot_link if cannot_link is not None else [], np.int64).reshape(-1, 2).tolist():
        if a != b:
            forbidden[a].add(b)
            forbidden[b].add(a)
    size = {i: 1 for i in range(n)}
    members = {i: [i] for i in range(n)}

    def average(a, b):
        total, count = known[a][b]
        return (total + (size[a] * size[b] - count) * far) / (size[a] * size[b])

    heap = [(average(a, b), a, b) for a in range(n) for b in known[a] if a < b]
    heapq.heapify(heap)
    next_id = n
    while heap:
        value, a, b = heapq.heappop(heap)
        if value >= threshold:
            break
        if a not in size or b not in size or b in forbidden[a]:
            continue  # merged since it was pushed, or refused for good: forbidden sets only grow
        merged = next_id
        next_id += 1
        size[merged] = size.pop(a) + size.pop(b)
        members[merged] = members.pop(a) + members.pop(b)
        links: dict[int, list] = {}
        for old in (a, b):
            for other, (total, count) in known.pop(old).items():
                if other in (a, b):
                    continue
                entry = links.setdefault(other, [0.0, 0])
                entry[0] += total
                entry[1] += count
                del known[other][old]
        known[merged] = links
        for other, entry in links.items():
            known[other][merged] = entry
        forbidden[merged] = (forbidden.pop(a) | forbidden.pop(b)) - {a, b}
        for other in forbidden[merged]:
            forbidden[other] -= {a, b}
            forbidden[other].add(merged)
        for other in links:
            heapq.heappush(heap, (average(merged, other), min(merged, other), max(merged, other)))
    labels = np.empty(n, np.int64)
    for person, group in enumerate(sorted(members.values(), key=min)):
        labels[group] = person
    return labels


def overlapping_in_time(cameras, first, last) -> np.ndarray:
    """The certain negatives of footage: pairs [C, 2] (i < j) of tracklets of one camera whose
    frame spans [first, last] overlap, since a person is in one place at a time. A sweep over the
    spans sorted by start: time N log N plus the pairs found."""
    cameras, first, last = (np.asarray(a, np.int64) for a in (cameras, first, last))
    found = []
    for camera in np.unique(cameras):
        rows = np.flatnonzero(cameras == camera)
        rows = rows[np.argsort(first[rows], kind="stable")]
        open_rows: list[int] = []
        for row in rows.tolist():
            open_rows = [o for o in open_rows if last[o] >= first[row]]
            found.extend((min(o, row), max(o, row)) for o in open_rows)
            open_rows.append(row)
    return np.array(sorted(found), np.int64).reshape(-1, 2)


def youden_threshold(positive: np.ndarray, negative: np.ndarray) -> float:
    """The distance t that maximises (positives below t) - (negatives below t), each as a share of
    its sample (Youden's J): midway between the distance where it is reached (the lowest, on a tie)
    and the next distance in either sample."""
    positive = np.sort(np.asarray(positive, np.float64))
    negative = np.sort(np.asarray(negative, np.float64))
    if not len(positive) or not len(negative):
        raise ValueError("a threshold needs both positive and negative pairs")
    cuts = np.unique(np.concatenate([positive, negative]))
    below_pos = np.searchsorted(positive, cuts, side="right") / len(positive)
    below_neg = np.searchsorted(negative, cuts, side="right") / len(negative)
    best = int(np.argmax(below_pos - below_neg))
    upper = cuts[best + 1] if best + 1 < len(cuts) else cuts[best]
    return float((cuts[best] + upper) / 2)
