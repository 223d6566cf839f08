"""k-reciprocal encodings and their Jaccard distances (Zhong, Zheng, Cao, Li, "Re-ranking Person
Re-identification with k-reciprocal Encoding", CVPR 2017), vectorised with memory bounded by
blocks; re-ranking (dal_tf.evaluation.reranking) and the cluster association
(dal_tf.association.rules.clusters) are built on them.

1. d(i, j): squared Euclidean distance, divided by the largest of row i (so exp(-d) is in (0, 1]).
2. N(i, k): the k + 1 nearest rows of row i, itself included, ties to the lower row.
   R(i, k) = {j in N(i, k) : i in N(j, k)}, the k-reciprocal neighbours.
3. R*(i): R(i, k1) together with every R(c, round(k1/2)), c in R(i, k1), of which more than 2/3
   lies in R(i, k1).
4. V[i, j] = exp(-d(i, j)) over j in R*(i), normalised to sum 1 (0 elsewhere); then, if k2 > 1,
   V[i] becomes the mean of V over the k2 nearest rows N(i, k2 - 1) (local query expansion).
5. Jaccard distance d_J(i, j) = 1 - s / (2 - s), s = sum_l min(V[i, l], V[j, l]).

No dense N x N matrix is formed: distances are computed ROW_BLOCK rows at a time keeping only each
row's k1 + 1 nearest, V is sparse (about |R*| entries a row), and the Jaccard sums for
QUERY_BLOCK rows at a time run over V's non-zero entries through its columns (an inverted index,
as the authors' code walks it). What stays is O(N k1^2) beside one block of distances.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse

ROW_BLOCK = 512
PAIR_BLOCK = 8192
QUERY_BLOCK = 128


def reciprocal_encoding(features: np.ndarray, num_query: int, k1: int, k2: int, row_normalised: bool = True):
    """Steps 1-4: the sparse encoding V [N, N] of float64 features [N, D], and the first num_query
    rows' normalised distances to the others [num_query, N - num_query]. row_normalised=False
    weighs by exp(-d) of the squared distance itself, as Cluster Contrast's Jaccard distance does
    (the neighbours are the same: the normalisation keeps each row's order)."""
    num_rows = len(features)
    nearest, row_max, query_distances = _nearest_rows(features, num_query, k1 + 1)
    # The sets R*(i) as (row, column) pairs, each weighted by exp(-d) and normalised per row.
    rows, columns = _expanded_reciprocal_sets(nearest, k1)
    scale = row_max[rows] if row_normalised else 1.0
    weight = np.exp(-_pair_distances(features, rows, columns) / scale)
    weight /= np.bincount(rows, weight, num_rows)[rows]
    encoding = scipy.sparse.csr_matrix((weight, (rows, columns)), shape=(num_rows, num_rows))
    if k2 > 1:
        expansion = scipy.sparse.csr_matrix(
            (np.full(num_rows * k2, 1.0 / k2), (np.repeat(np.arange(num_rows), k2), nearest[:, :k2].ravel())),
            shape=(num_rows, num_rows))
        encoding = (expansion @ encoding).tocsr()
    return encoding, query_distances


def _nearest_rows(features, num_query, count):
    """Each row's `count` nearest rows by normalised squared distance, ties to the lower row
    [N, count]; each row's largest distance [N]; and the query rows' normalised distances to the
    gallery rows [Q, G]."""
    num_rows = len(features)
    norms = np.einsum("ij,ij->i", features, features)
    nearest = np.empty((num_rows, count), np.int64)
    row_max = np.empty(num_rows)
    query_distances = np.empty((num_query, num_rows - num_query))
    for start in range(0, num_rows, ROW_BLOCK):
        block = slice(start, min(start + ROW_BLOCK, num_rows))
        distances = norms[block, None] + norms[None, :] - 2 * features[block] @ features.T
        np.maximum(distances, 0.0, out=distances)
        row_max[block] = distances.max(axis=1)
        distances /= np.maximum(row_max[block], np.finfo(float).tiny)[:, None]
        nearest[block] = smallest_in_rows(distances, count)
        if start < num_query:
            query_distances[start:block.stop] = distances[:num_query - start, num_query:]
    return nearest, row_max, query_distances


def _pair_distances(features, rows, columns):
    """Squared distances of the pairs (rows[i], columns[i]), PAIR_BLOCK pairs at a time."""
    norms = np.einsum("ij,ij->i", features, features)
    distances = np.empty(len(rows))
    for start in range(0, len(rows), PAIR_BLOCK):
        pairs = slice(start, start + PAIR_BLOCK)
        products = np.einsum("ij,ij->i", features[rows[pairs]], features[columns[pairs]])
        distances[pairs] = norms[rows[pairs]] + norms[columns[pairs]] - 2 * products
    return np.maximum(distances, 0.0)


def smallest_in_rows(distances, count):
    """The columns of each row's `count` smallest entries in (value, column) order: a partition,
    then a stable sort of the entries not above the count-th value, in column order, so that ties
    go to the lower column. Rows with more such entries (a tie at the count-th value) are few and
    sorted one by one."""
    kth = np.partition(distances, count - 1, axis=1)[:, count - 1]
    candidates = distances <= kth[:, None]
    exact = candidates.sum(axis=1) == count
    chosen = np.empty((len(distances), count), np.int64)
    columns = np.nonzero(candidates[exact])[1].reshape(-1, count)  # row by row, columns ascending
    order = np.argsort(np.take_along_axis(distances[exact], columns, axis=1), axis=1, kind="stable")
    chosen[exact] = np.take_along_axis(columns, order, axis=1)
    for row in np.flatnonzero(~exact):
        tied = np.flatnonzero(candidates[row])
        chosen[row] = tied[np.argsort(distances[row, tied], kind="stable")[:count]]
    return chosen


def _reciprocal(nearest, k):
    """Mask [N, k + 1] over nearest[:, :k + 1]: which of row i's k + 1 nearest have i among their own."""
    forward = nearest[:, :k + 1]
    return np.any(forward[forward] == np.arange(len(nearest))[:, None, None], axis=2)


def _expanded_reciprocal_sets(nearest, k1):
    """(rows, columns) of the pairs j in R*(i), every pair once, sorted by row."""
    half = int(np.around(k1 / 2))
    full, in_full = nearest[:, :k1 + 1], _reciprocal(nearest, k1)
    small, in_small = nearest[:, :half + 1], _reciprocal(nearest, half)
    pairs = []
    for start in range(0, len(nearest), ROW_BLOCK):
        block = slice(start, min(start + ROW_BLOCK, len(nearest)))
        members = np.where(in_full[block], full[block], -1)  # R(i, k1), -1 elsewhere
        # For each candidate c = members[i, a]: R(c, half), and which of it lies in R(i, k1).
        candidate_sets = np.where(in_small[members], small[members], -2)  # [b, k1 + 1, half + 1]
        shared = np.any(candidate_sets[..., None] == members[:, None, None, :], axis=3)
        size = in_small[members].sum(axis=2)
        accepted = (members >= 0) & (shared.sum(axis=2) > 2 / 3 * size)
        row_of = np.arange(block.start, block.stop)
        for rows, columns in ((np.broadcast_to(row_of[:, None], members.shape), members),
                              (np.broadcast_to(row_of[:, None, None], candidate_sets.shape),
                               np.where(accepted[..., None], candidate_sets, -2))):
            keep = columns >= 0
            pairs.append(rows[keep] * len(nearest) + columns[keep])
    unique = np.unique(np.concatenate(pairs))
    return unique // len(nearest), unique % len(nearest)


def jaccard_blocks(queries: scipy.sparse.csr_matrix, gallery: scipy.sparse.csr_matrix):
    """Step 5 for the rows of the encoding `queries` against those of `gallery`, QUERY_BLOCK query
    rows at a time: yields (first row, [block, G] Jaccard distances). s = sum_l min(V[q, l],
    V[g, l]) runs over V's non-zero entries: each query entry (q, l, v) meets the gallery entries
    of column l."""
    num_gallery = gallery.shape[0]
    by_column = gallery.tocsc()
    for start in range(0, queries.shape[0], QUERY_BLOCK):
        block = queries[start:min(start + QUERY_BLOCK, queries.shape[0])].tocoo()
        lengths = np.diff(by_column.indptr)[block.col]
        entry = np.repeat(np.arange(len(block.col)), lengths)
        # Position of each met gallery entry in by_column: its column's start plus its place there.
        offset = np.arange(len(entry)) - np.repeat(np.cumsum(lengths) - lengths, lengths)
        met = by_column.indptr[block.col][entry] + offset
        overlap = np.minimum(block.data[entry], by_column.data[met])
        sums = np.bincount(block.row[entry] * num_gallery + by_column.indices[met], overlap,
                           block.shape[0] * num_gallery).reshape(block.shape[0], num_gallery)
        yield start, 1 - sums / (2 - sums)
