"""Who is who across cameras, as pure NumPy: a "same person" threshold estimated from the footage
itself, and the tracklets clustered into people under it.

The threshold needs no labels (Youden's J between two samples of pair distances):
- positives: cross-camera pairs that are each other's nearest tracklet among all other cameras
  pooled, the consistent pairs of DAL's cyclic ranking (Eq. 4, 5, as the release pools cameras);
- negatives: the certain ones, tracklets of one camera that overlap in time. Footage without
  enough of them (no tracks.csv, or few people at once) falls back on random cross-camera pairs,
  which are different people but for about one in the number of people.

Clustering is average linkage over a k-nearest-neighbour graph, cut at the threshold and refusing
cannot-links (clustering.average_linkage). Two clusters without a pair below the threshold never
merge, so the graph is first cut into the connected components of its edges below the threshold,
and only those components are clustered: exactly the same people, in far less time.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import scipy.sparse
import scipy.sparse.csgraph

from dal_tf.config import RerankConfig
from dal_tf.evaluation import reranking as rerank
from dal_tf.people.clustering import Distances, average_linkage, nearest_neighbours, youden_threshold
from dal_tf.utils.errors import UserInputError

MIN_NEGATIVES = 20  # fewer time overlaps than this: add random cross-camera pairs
RANDOM_NEGATIVES = 5000
NEGATIVES_SEED = 20
RERANK_LIMIT = 20000  # --rerank's distances are a dense N x N matrix


def tracklet_distances(features: np.ndarray, reranking: RerankConfig) -> Distances:
    """Euclidean distances between tracklet features, or with --rerank the dense re-ranked ones."""
    if not reranking.rerank:
        return Distances(features)
    if len(features) > RERANK_LIMIT:
        raise UserInputError(f"--rerank needs an N x N matrix: at most {RERANK_LIMIT} tracklets, not "
                             f"{len(features)}; leave it off")
    return Distances(matrix=rerank.ranking_distances(features, features, reranking))


@dataclasses.dataclass(frozen=True)
class Threshold:
    value: float
    source: str  # how it was chosen: "estimated", "--threshold", "calibrated"
    positives: int = 0  # pairs it was estimated from
    negatives: int = 0
    negative_pairs: str = ""  # where the negatives came from


def mutual_cross_camera_pairs(distances: Distances, cameras: np.ndarray, search: str = "exact") -> np.ndarray:
    """[P, 2] pairs (i < j), each the other's nearest tracklet among all other cameras pooled."""
    cameras = np.asarray(cameras)
    nearest, _ = nearest_neighbours(distances, 1, other_cameras=cameras, search=search)
    partner = nearest[:, 0]
    rows = np.flatnonzero((partner >= 0) & (partner > np.arange(len(partner))))
    rows = rows[partner[partner[rows]] == rows]
    return np.stack([rows, partner[rows]], axis=1).reshape(-1, 2)


def random_cross_camera_pairs(cameras: np.ndarray, count: int, seed: int = NEGATIVES_SEED) -> np.ndarray:
    """Up to `count` distinct random pairs (i < j) of tracklets of different cameras."""
    cameras = np.asarray(cameras)
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, len(cameras), (2, 4 * count))
    keep = cameras[a] != cameras[b]
    pairs = np.unique(np.sort(np.stack([a[keep], b[keep]], axis=1), axis=1), axis=0)
    return pairs[rng.permutation(len(pairs))[:count]]


def estimated_threshold(distances: Distances, cameras: np.ndarray, cannot_link: np.ndarray,
                        search: str = "exact") -> Threshold:
    """The threshold between mutual cross-camera neighbours and certain negatives (see the module)."""
    positives = mutual_cross_camera_pairs(distances, cameras, search)
    negatives, source = np.asarray(cannot_link, np.int64).reshape(-1, 2), "time overlaps in one camera"
    if len(negatives) < MIN_NEGATIVES:
        negatives = np.concatenate([negatives, random_cross_camera_pairs(cameras, RANDOM_NEGATIVES)])
        source = "random cross-camera pairs" + (" and time overlaps" if len(cannot_link) else "")
    if not len(positives) or not len(negatives):
        raise ValueError("too few tracklets to estimate a threshold; give --threshold")
    value = youden_threshold(distances.pairs(*positives.T), distances.pairs(*negatives.T))
    return Threshold(value, "estimated", len(positives), len(negatives), source)


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
    centres = sums / np.maximum(np.linalg.norm(sums, axis=1, keepdims=True), 1e-12)
    return np.linalg.norm(features - centres[labels], axis=1)
