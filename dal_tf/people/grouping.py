"""Who is who across cameras, as pure NumPy: the tracklets clustered into people under a "same
person" threshold (people/threshold.py estimates one from the footage).

Clustering is average linkage over a k-nearest-neighbour graph, cut at the threshold and refusing
cannot-links (clustering.average_linkage). Two clusters without a pair below the threshold never
merge, so the graph is first cut into the connected components of its edges below the threshold,
and only those components are clustered: exactly the same people, in far less time.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph

from dal_tf.config import RerankConfig
from dal_tf.evaluation import reranking as rerank
from dal_tf.people.clustering import Distances, average_linkage, nearest_neighbours
from dal_tf.utils.arrays import l2_normalize_rows
from dal_tf.utils.errors import UserInputError

RERANK_LIMIT = 20000  # --rerank's distances are a dense N x N matrix


def tracklet_distances(features: np.ndarray, reranking: RerankConfig) -> Distances:
    """Euclidean distances between tracklet features, or with --rerank the dense re-ranked ones."""
    if not reranking.rerank:
        return Distances(features)
    if len(features) > RERANK_LIMIT:
        raise UserInputError(f"--rerank needs an N x N matrix: at most {RERANK_LIMIT} tracklets, not "
                             f"{len(features)}; leave it off")
    return Distances(matrix=rerank.ranking_distances(features, features, reranking))


def neighbour_graph(distances: Distances, neighbours: int,
                    search: str = "exact") -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pairs [E, 2] (i < j, each once), their distances [E], each row's neighbour distances
    [N, neighbours]) of the k-nearest-neighbour graph."""
    n = len(distances)
    indices, near = nearest_neighbours(distances, neighbours, search=search)
    rows = np.repeat(np.arange(n), indices.shape[1])
    keep = indices.reshape(-1) >= 0
    pairs = np.sort(np.stack([rows[keep], indices.reshape(-1)[keep]], axis=1), axis=1)
    pairs, first = np.unique(pairs, axis=0, return_index=True)
    return pairs, near.reshape(-1)[keep][first], near


def cluster_graph(n: int, pairs: np.ndarray, pair_distances: np.ndarray, cameras: np.ndarray, threshold: float,
                  cannot_link: np.ndarray, max_per_camera: int = 0) -> np.ndarray:
    """Person numbers 1..P of n tracklets from their neighbour graph (see `numbered` for the order);
    max_per_camera > 0: no person holds more tracklets of one camera (--max_per_camera)."""
    far = max(float(pair_distances.max(initial=0.0)), threshold)  # so that the pruning below is exact
    close = pair_distances < threshold
    graph = scipy.sparse.coo_matrix((np.ones(int(close.sum())), tuple(pairs[close].T)), shape=(n, n))
    _, component = scipy.sparse.csgraph.connected_components(graph, directed=False)
    inside = component[pairs[:, 0]] == component[pairs[:, 1]]
    members = np.unique(pairs[inside & close])
    local = np.full(n, -1)
    local[members] = np.arange(len(members))
    cannot_link = np.asarray(cannot_link, np.int64).reshape(-1, 2)
    cannot_link = local[cannot_link[(local[cannot_link] >= 0).all(axis=1)]]
    labels = np.arange(n) + len(members)  # the unclustered stay alone
    labels[members] = average_linkage(len(members), local[pairs[inside]], pair_distances[inside], threshold,
                                      cannot_link, far, np.asarray(cameras)[members], max_per_camera)
    return numbered(labels, cameras)


def cluster(distances: Distances, cameras: np.ndarray, threshold: float, neighbours: int,
            cannot_link: np.ndarray, search: str = "exact", max_per_camera: int = 0) -> np.ndarray:
    """Person numbers 1..P of the N tracklets (see `numbered` for their order)."""
    pairs, pair_distances, _ = neighbour_graph(distances, neighbours, search)
    return cluster_graph(len(distances), pairs, pair_distances, cameras, threshold, cannot_link, max_per_camera)


def numbered(labels: np.ndarray, cameras: np.ndarray) -> np.ndarray:
    """Labels renumbered 1..P: people seen by more cameras first, then those with more tracklets,
    then by their first tracklet."""
    _, labels = np.unique(labels, return_inverse=True)
    count = np.bincount(labels)
    seen_by = np.bincount(np.unique(np.stack([labels, np.asarray(cameras)], axis=1), axis=0)[:, 0])
    first = np.full(len(count), len(labels))
    np.minimum.at(first, labels, np.arange(len(labels)))
    order = np.lexsort((first, -count, -seen_by))
    rank = np.empty(len(order), np.int64)
    rank[order] = np.arange(1, len(order) + 1)
    return rank[labels]


def centre_distances(features: np.ndarray, person: np.ndarray) -> np.ndarray:
    """Each tracklet's Euclidean distance to its person's centre, the l2-normalised mean of the
    person's tracklet features."""
    _, labels = np.unique(person, return_inverse=True)
    sums = np.zeros((labels.max() + 1, features.shape[1]))
    np.add.at(sums, labels, features)
    centres = l2_normalize_rows(sums)
    return np.linalg.norm(features - centres[labels], axis=1)
