"""DBSCAN over k-reciprocal Jaccard distances, as Cluster Contrast forms its pseudo-identities
(Dai et al., "Cluster Contrast for Unsupervised Person Re-Identification", ACCV 2022: k1 30, k2 6,
eps 0.6, 4 samples, weights exp(-d) of the squared distance between unit features)."""

from __future__ import annotations

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph

from dal_tf.neighbours import reciprocal

K1, K2, MIN_SAMPLES = 30, 6, 4  # Cluster Contrast's


def dbscan(edges: scipy.sparse.csr_matrix, min_samples: int) -> np.ndarray:
    """DBSCAN labels (-1: noise) from the symmetric graph of the pairs within eps, self-pairs
    included: a core point has at least min_samples neighbours; the clusters are the connected
    groups of core points, numbered by their lowest row; a border point (not core, next to a core
    point) joins the lowest-numbered cluster among its core neighbours."""
    count = edges.shape[0]
    core = np.diff(edges.indptr) >= min_samples
    core_rows = np.flatnonzero(core)
    labels = np.full(count, -1)
    if not len(core_rows):
        return labels
    _, component = scipy.sparse.csgraph.connected_components(edges[core][:, core], directed=False)
    first = np.full(component.max() + 1, count)
    np.minimum.at(first, component, core_rows)
    number = np.empty(len(first), np.int64)
    number[np.argsort(first)] = np.arange(len(first))  # by their lowest row
    labels[core_rows] = number[component]
    to_core = edges[:, core].tocoo()  # (point, core neighbour)
    border = np.full(count, count)
    np.minimum.at(border, to_core.row, labels[core_rows][to_core.col])
    joins = ~core & (border < count)
    labels[joins] = border[joins]
    return labels


def jaccard_clusters(unit: np.ndarray, eps: float, k1: int = K1, k2: int = K2,
                     min_samples: int = MIN_SAMPLES) -> np.ndarray:
    """DBSCAN labels of unit features [n, D] over their k-reciprocal Jaccard distances (k1 capped
    at n - 1). Memory: the sparse encoding, one block of Jaccard distances and the pairs within eps."""
    n = len(unit)
    k1 = min(k1, n - 1)
    encoding, _ = reciprocal.reciprocal_encoding(unit.astype(np.float64), 0, k1, min(k2, k1 + 1),
                                                 row_normalised=False)
    rows, columns = [np.arange(n)], [np.arange(n)]
    for start, block in reciprocal.jaccard_blocks(encoding, encoding):
        r, c = np.nonzero(block <= eps)
        rows.append(r + start)
        columns.append(c)
    rows, columns = np.concatenate(rows), np.concatenate(columns)
    edges = scipy.sparse.csr_matrix((np.ones(len(rows), bool), (rows, columns)), shape=(n, n))
    return dbscan((edges + edges.T).astype(bool).tocsr(), min_samples)  # symmetric up to rounding
