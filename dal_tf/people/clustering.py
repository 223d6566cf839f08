"""Who is who: tracklet features to people, as pure NumPy.

- `nearest_neighbours`: exact k nearest neighbours, block by block, so memory is N x k, never N x N.
- `average_linkage`: agglomerative clustering with average linkage (UPGMA; Sokal and Michener
  1958) cut at a distance threshold, over a sparse neighbour graph, refusing any merge that would
  join a cannot-link pair (the constrained agglomerative clustering of Davidson and Ravi, PKDD
  2005). Average linkage because one close pair of tracklets (single linkage) chains different
  people through look-alikes, and complete linkage splits a person whose tracklets vary; the
  threshold has the same meaning as a pair's distance, so it can be estimated from pairs.
- `youden_threshold`: the distance that best separates two samples of pair distances, optionally
  weighted by their prior shares.

A pair the graph does not hold counts as `far` apart in the average, so with every pair below
`far` in the graph the result is exactly average linkage on the dense matrix.
"""

from __future__ import annotations

import collections
import heapq

import numpy as np

from dal_tf.neighbours.reciprocal import smallest_in_rows
from dal_tf.utils.errors import UserInputError

BLOCK_VALUES = 2 ** 25


class Distances:
    """Distances between N tracklets, a block of rows at a time: Euclidean between feature rows
    (computed per block), or the rows of a given dense matrix (e.g. re-ranked distances)."""

    def __init__(self, features: np.ndarray | None = None, matrix: np.ndarray | None = None):
        if (features is None) == (matrix is None):
            raise ValueError("give features or a distance matrix")
        self.features = None if features is None else np.asarray(features, np.float64)
        self.matrix = None if matrix is None else np.asarray(matrix, np.float64)
        if self.features is not None:
            self.squares = np.einsum("ij,ij->i", self.features, self.features)

    def __len__(self) -> int:
        return len(self.features if self.features is not None else self.matrix)

    def rows(self, rows: np.ndarray) -> np.ndarray:
        """[len(rows), N] distances of the given rows to every row."""
        if self.matrix is not None:
            return self.matrix[rows].copy()
        x = self.features
        d2 = self.squares[rows, None] + self.squares[None, :] - 2.0 * x[rows] @ x.T
        return np.sqrt(np.maximum(d2, 0.0, out=d2), out=d2)

    def subset(self, rows: np.ndarray) -> Distances:
        """The distances among the given rows only."""
        if self.matrix is not None:
            return Distances(matrix=self.matrix[np.ix_(rows, rows)])
        return Distances(self.features[rows])

    def pairs(self, a: np.ndarray, b: np.ndarray) -> np.ndarray:
        """[E] distances of the pairs (a[e], b[e])."""
        a, b = np.asarray(a, np.int64), np.asarray(b, np.int64)
        if self.matrix is not None:
            return self.matrix[a, b]
        return np.linalg.norm(self.features[a] - self.features[b], axis=1)


HNSW_LINKS, HNSW_BUILD, HNSW_SEARCH = 32, 100, 128  # FAISS HNSW: links per node, candidate lists


def nearest_neighbours(distances: Distances, k: int, rows_per_block: int | None = None,
                       other_cameras: np.ndarray | None = None, search: str = "exact") -> tuple[np.ndarray, np.ndarray]:
    """The k nearest rows of each row (itself excluded): (indices [N, k], distances [N, k]),
    nearest first. With other_cameras (each row's camera), only rows of other cameras; a row with
    fewer candidates has index -1 and distance inf in its last places.

    search "exact": block by block, ties to the lower index; a block of rows against all N rows is
    at most BLOCK_VALUES distances (256 MB) unless `rows_per_block` says otherwise. "faiss": FAISS's
    HNSW graph over the features (approximate: a true neighbour may be missed), for N where N x N
    distances take too long."""
    n = len(distances)
    k = min(k, max(n - 1, 0))
    if search == "faiss" and k:
        return _hnsw_neighbours(distances, k, other_cameras)
    rows_per_block = rows_per_block or max(1, BLOCK_VALUES // max(n, 1))
    indices = np.full((n, k), -1, np.int64)
    near = np.full((n, k), np.inf)
    if k == 0:
        return indices, near
    for start in range(0, n, rows_per_block):
        rows = np.arange(start, min(start + rows_per_block, n))
        block = distances.rows(rows)
        block[np.arange(len(rows)), rows] = np.inf
        if other_cameras is not None:
            block[other_cameras[rows, None] == other_cameras[None, :]] = np.inf
        order = smallest_in_rows(block, k)
        found = np.take_along_axis(block, order, axis=1)
        indices[rows] = np.where(np.isfinite(found), order, -1)
        near[rows] = found
    return indices, near


def _faiss():
    try:
        import faiss
    except ImportError as error:
        raise UserInputError("--neighbour_search=faiss needs faiss-cpu: pip install 'dal_tf[scale]'") from error
    return faiss


def _hnsw_neighbours(distances: Distances, k: int, cameras: np.ndarray | None):
    """One HNSW index over all rows; with cameras, each row's first k of other cameras among its
    HNSW_SEARCH nearest (a row with fewer there gets -1s)."""
    if distances.features is None:
        raise UserInputError("--neighbour_search=faiss searches features, not re-ranked distances; leave --rerank off")
    faiss = _faiss()
    x = np.ascontiguousarray(distances.features, np.float32)
    n = len(x)
    index = faiss.IndexHNSWFlat(x.shape[1], HNSW_LINKS)
    index.hnsw.efConstruction = HNSW_BUILD
    index.add(x)
    wanted = min(n, k + 1 if cameras is None else max(HNSW_SEARCH, k + 1))
    index.hnsw.efSearch = max(HNSW_SEARCH, 2 * wanted)
    squared, found = index.search(x, wanted)
    rows = np.arange(n)[:, None]
    excluded = (found < 0) | (found == rows)
    if cameras is not None:
        excluded |= cameras[np.maximum(found, 0)] == cameras[:, None]
    squared = np.where(excluded, np.inf, np.maximum(squared, 0.0))
    order = np.argsort(squared, axis=1, kind="stable")[:, :k]  # the excluded (inf) move last and are cut
    squared, found = np.take_along_axis(squared, order, 1), np.take_along_axis(found, order, 1)
    indices, near = np.full((n, k), -1, np.int64), np.full((n, k), np.inf)
    indices[:, :order.shape[1]] = np.where(np.isfinite(squared), found, -1)
    near[:, :order.shape[1]] = np.sqrt(squared)
    return indices, near


def average_linkage(n: int, pairs: np.ndarray, pair_distances: np.ndarray, threshold: float,
                    cannot_link: np.ndarray | None = None, far: float | None = None,
                    groups: np.ndarray | None = None, max_per_group: int = 0) -> np.ndarray:
    """People as labels 0..P-1 (in order of each person's lowest member) for n items.

    pairs [E, 2] and pair_distances [E] are the known distances (either order, duplicates kept
    once); clusters merge, closest average first, while their average distance is below
    `threshold`, no cannot_link pair [C, 2] would end up in one cluster and, with max_per_group,
    no cluster would hold more than that many items of one group (groups [n]: each item's camera).
    Unknown pairs count as `far` (default: the largest known distance)."""
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
    # Items per group of each cluster, where a limit applies. A refused pair stays refused: the
    # two clusters only change by merging, into a new one.
    per_group = {i: collections.Counter([g]) for i, g in enumerate(np.asarray(groups).tolist())} if max_per_group else {}

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
        if per_group and any(per_group[a][g] + count > max_per_group for g, count in per_group[b].items()):
            continue
        merged = next_id
        next_id += 1
        size[merged] = size.pop(a) + size.pop(b)
        members[merged] = members.pop(a) + members.pop(b)
        if per_group:
            per_group[merged] = per_group.pop(a) + per_group.pop(b)
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


def youden_threshold(positive: np.ndarray, negative: np.ndarray, positive_share: float = 0.5) -> float:
    """The distance t that maximises (positives below t) - (negatives below t), each as a share of
    its sample (Youden's J), each weighted by its prior share (positive_share, 1 - positive_share;
    equal weights are J itself): midway between the distance where it is reached (the lowest, on a
    tie) and the next distance in either sample."""
    positive = np.sort(np.asarray(positive, np.float64))
    negative = np.sort(np.asarray(negative, np.float64))
    if not len(positive) or not len(negative):
        raise ValueError("a threshold needs both positive and negative pairs")
    cuts = np.unique(np.concatenate([positive, negative]))
    below_pos = np.searchsorted(positive, cuts, side="right") / len(positive)
    below_neg = np.searchsorted(negative, cuts, side="right") / len(negative)
    best = int(np.argmax(positive_share * below_pos - (1.0 - positive_share) * below_neg))
    upper = cuts[best + 1] if best + 1 < len(cuts) else cuts[best]
    return float((cuts[best] + upper) / 2)
