"""dal_tf.people.clustering against SciPy's dense average linkage, brute-force neighbours and hand cases."""

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import cdist, pdist

from dal_tf.people import clustering


def same_partition(a, b):
    pairs_a = a[:, None] == a[None, :]
    pairs_b = b[:, None] == b[None, :]
    return bool((pairs_a == pairs_b).all())


def all_pairs(x):
    n = len(x)
    i, j = np.triu_indices(n, 1)
    return np.stack([i, j], 1), cdist(x, x)[i, j]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_full_graph_equals_scipy_average_linkage(seed):
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(c, 0.3, (12, 4)) for c in rng.normal(0, 2, (5, 4))])
    pairs, d = all_pairs(x)
    heights = linkage(pdist(x), "average")[:, 2]
    for threshold in np.quantile(heights, [0.3, 0.7, 0.95]):
        threshold = (heights[heights <= threshold].max() + heights[heights > threshold].min()) / 2
        ours = clustering.average_linkage(len(x), pairs, d, threshold)
        theirs = fcluster(linkage(pdist(x), "average"), threshold, "distance")
        assert same_partition(ours, theirs)


def test_cannot_link_refuses_the_merge_hand_case():
    # points at 0, 1 and 2.1 on a line: d01 = 1, d12 = 1.1, d02 = 2.1
    x = np.array([[0.0], [1.0], [2.1]])
    pairs, d = all_pairs(x)
    assert clustering.average_linkage(3, pairs, d, 3.0).tolist() == [0, 0, 0]
    # (1, 2) merge at 1.1; {1, 2} may then never take 0
    assert clustering.average_linkage(3, pairs, d, 3.0, cannot_link=[[0, 1]]).tolist() == [0, 1, 1]
    # (0, 1) merge at 1; 2 is refused since it cannot be with 0
    assert clustering.average_linkage(3, pairs, d, 3.0, cannot_link=[[2, 0]]).tolist() == [0, 0, 1]


def test_max_per_group_hand_case():
    # A and B in camera 0, C in camera 1: d(A, B) = 0.1, d(A, C) = 0.2, d(B, C) = 0.3
    pairs, d = np.array([[0, 1], [0, 2], [1, 2]]), np.array([0.1, 0.2, 0.3])
    cameras = np.array([0, 0, 1])
    # no limit: (A, B) at 0.1, then C at (0.2 + 0.3) / 2
    assert clustering.average_linkage(3, pairs, d, 0.5).tolist() == [0, 0, 0]
    assert clustering.average_linkage(3, pairs, d, 0.5, groups=cameras, max_per_group=2).tolist() == [0, 0, 0]
    # one per camera: (A, B) refused, (A, C) at 0.2, then B may not join camera 0's A
    assert clustering.average_linkage(3, pairs, d, 0.5, groups=cameras, max_per_group=1).tolist() == [0, 1, 0]


def reference_linkage(x, threshold, cameras, limit):
    """Average linkage written from its definition, all pairs known: repeatedly merge the two
    clusters of smallest mean pairwise distance below the threshold whose union keeps at most
    `limit` items of each camera."""
    clusters = [[i] for i in range(len(x))]
    while True:
        best = None
        for i in range(len(clusters)):
            for j in range(i + 1, len(clusters)):
                union = clusters[i] + clusters[j]
                if max(np.bincount(cameras[union])) > limit:
                    continue
                mean = cdist(x[clusters[i]], x[clusters[j]]).mean()
                if mean < threshold and (best is None or mean < best[0]):
                    best = (mean, i, j)
        if best is None:
            break
        _, i, j = best
        clusters[i] += clusters.pop(j)
    labels = np.empty(len(x), np.int64)
    for person, members in enumerate(sorted(clusters, key=min)):
        labels[members] = person
    return labels


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_max_per_group_equals_its_definition(seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(24, 3))
    cameras = rng.integers(0, 3, 24)
    pairs, d = all_pairs(x)
    threshold = np.quantile(d, 0.4)
    for limit in (1, 2):
        got = clustering.average_linkage(24, pairs, d, threshold, groups=cameras, max_per_group=limit)
        np.testing.assert_array_equal(got, reference_linkage(x, threshold, cameras, limit))
        assert max(np.bincount(cameras[got == p]).max() for p in np.unique(got)) <= limit
    # one per camera is every same-camera pair a cannot-link
    same = np.array([(a, b) for a in range(24) for b in range(a + 1, 24) if cameras[a] == cameras[b]])
    np.testing.assert_array_equal(clustering.average_linkage(24, pairs, d, threshold, groups=cameras, max_per_group=1),
                                  clustering.average_linkage(24, pairs, d, threshold, cannot_link=same))


def test_unknown_pairs_count_as_far():
    # 0-1 and 1-2 known at 1.0; 0-2 unknown counts as far = 5: {0,1} to 2 averages (1 + 5) / 2 = 3
    pairs, d = np.array([[0, 1], [1, 2]]), np.array([1.0, 1.0])
    assert clustering.average_linkage(3, pairs, d, 2.9, far=5.0).tolist() == [0, 0, 1]
    assert clustering.average_linkage(3, pairs, d, 3.1, far=5.0).tolist() == [0, 0, 0]


def test_nearest_neighbours_equal_brute_force_across_blocks():
    rng = np.random.default_rng(3)
    x = rng.normal(size=(53, 6))
    cameras = rng.integers(0, 3, 53)
    indices, distances = clustering.nearest_neighbours(
        clustering.Distances(x), 5, rows_per_block=7, other_cameras=cameras)
    dense = cdist(x, x)
    dense[cameras[:, None] == cameras[None, :]] = np.inf
    order = np.argsort(dense, axis=1, kind="stable")[:, :5]
    np.testing.assert_array_equal(indices, order)
    np.testing.assert_allclose(distances, np.take_along_axis(dense, order, 1), rtol=1e-9, atol=1e-12)


def test_youden_threshold_hand_cases():
    assert clustering.youden_threshold([0.1, 0.2, 0.3], [0.5, 0.6]) == pytest.approx(0.4)
    # overlapping: up to 0.45 holds 4/4 positives and 1/4 negatives (J = 0.75; 0.2 gives 0.5)
    assert clustering.youden_threshold([0.1, 0.2, 0.4, 0.45], [0.3, 0.5, 0.6, 0.8]) == pytest.approx(0.475)
    # a tie (J = 0.5 up to 0.2 and up to 0.4) goes to the lower cut
    assert clustering.youden_threshold([0.1, 0.2, 0.4, 0.7], [0.3, 0.5, 0.6, 0.8]) == pytest.approx(0.25)
    with pytest.raises(ValueError):
        clustering.youden_threshold([], [0.5])


def test_weighted_youden_threshold():
    # below 3: 3/4 of the positives, no negative; below 6: all positives and 2/4 negatives. Equal
    # weights: 0.375 against 0.25, the cut after 3; positives weighted 0.9: 0.675 against 0.85, after 6
    positive, negative = [1, 2, 3, 6], [4, 5, 7, 8]
    assert clustering.youden_threshold(positive, negative) == clustering.youden_threshold(positive, negative, 0.5) == 3.5
    assert clustering.youden_threshold(positive, negative, 0.9) == 6.5
    rng = np.random.default_rng(3)
    for share in [0.2, 0.7, 0.95]:
        positive, negative = rng.normal(0.5, 0.2, 30), rng.normal(0.9, 0.2, 40)
        cuts = np.sort(np.concatenate([positive, negative]))
        gains = [share * np.mean(positive <= t) - (1 - share) * np.mean(negative <= t) for t in cuts]
        best = int(np.argmax(gains))
        upper = cuts[min(best + 1, len(cuts) - 1)]
        assert clustering.youden_threshold(positive, negative, share) == pytest.approx((cuts[best] + upper) / 2)


def test_overlapping_in_time_equals_all_pairs():
    rng = np.random.default_rng(4)
    n = 60
    cameras = rng.integers(0, 3, n)
    first = rng.integers(0, 500, n)
    last = first + rng.integers(0, 60, n)
    expected = sorted((i, j) for i in range(n) for j in range(i + 1, n)
                      if cameras[i] == cameras[j] and first[i] <= last[j] and first[j] <= last[i])
    assert clustering.overlapping_in_time(cameras, first, last).tolist() == [list(p) for p in expected]
    # touching spans share a frame; consecutive ones do not
    assert clustering.overlapping_in_time([0, 0, 0], [0, 5, 6], [5, 5, 9]).tolist() == [[0, 1]]


def test_distances_from_a_matrix_equal_those_from_features():
    x = np.random.default_rng(4).normal(size=(9, 3))
    from_features, from_matrix = clustering.Distances(x), clustering.Distances(matrix=cdist(x, x))
    rows = np.array([4, 0, 8])
    np.testing.assert_allclose(from_features.rows(rows), from_matrix.rows(rows), atol=1e-7)  # sqrt of a rounded 0
    np.testing.assert_allclose(from_features.pairs([1, 2], [5, 2]), [cdist(x, x)[1, 5], 0.0], atol=1e-12)


def test_faiss_search_recalls_95_percent_of_the_exact_neighbours_at_their_true_distances():
    """HNSW is approximate: it must find over 95% of the exact 5 nearest, never the query itself or
    (with cameras) one of its own camera, and report each neighbour's true distance."""
    pytest.importorskip("faiss")
    rng = np.random.default_rng(6)
    x = rng.normal(size=(400, 16))
    cameras = rng.integers(0, 3, 400)
    for other in (None, cameras):
        exact, exact_d = clustering.nearest_neighbours(clustering.Distances(x), 5, other_cameras=other)
        found, found_d = clustering.nearest_neighbours(clustering.Distances(x), 5, other_cameras=other,
                                                       search="faiss")
        recall = np.mean([len(set(a) & set(b)) / 5 for a, b in zip(exact, found)])
        assert recall > 0.95
        assert (found != np.arange(400)[:, None]).all()
        if other is not None:
            assert (cameras[found] != cameras[:, None]).all()
        np.testing.assert_allclose(found_d, np.linalg.norm(x[found] - x[:, None], axis=2), rtol=1e-4)
