"""dal_tf.people.grouping, dal_tf.people.scores and dal_tf.people.calibration against dense references (SciPy,
brute force) and hand-computed cases."""

import dataclasses

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage
from scipy.spatial.distance import cdist, pdist

from dal_tf.config import EmbeddingConfig, RerankConfig
from dal_tf.people import calibration, clustering, grouping
from dal_tf.people.clustering import Distances
from dal_tf.people.scores import clustering_scores


def same_partition(a, b):
    return bool(((a[:, None] == a[None, :]) == (b[:, None] == b[None, :])).all())


@pytest.mark.parametrize("seed", [0, 1])
def test_graph_clustering_equals_dense_average_linkage(seed):
    # every pair is in the graph (neighbours = n - 1): pruning to the components below the
    # threshold must give exactly SciPy's dense average linkage
    rng = np.random.default_rng(seed)
    x = np.concatenate([rng.normal(c, 0.4, (6, 5)) for c in rng.normal(0, 1.5, (7, 5))])
    cameras = rng.integers(0, 3, len(x))
    tree = linkage(pdist(x), "average")
    heights = tree[:, 2]
    for cut in np.quantile(heights, [0.4, 0.8]):
        threshold = (heights[heights <= cut].max() + heights[heights > cut].min()) / 2  # not at a merge's height
        ours = grouping.cluster(Distances(x), cameras, threshold, len(x) - 1, np.zeros((0, 2)))
        assert same_partition(ours, fcluster(tree, threshold, "distance"))


def test_cannot_links_keep_overlapping_tracklets_apart():
    # two tight pairs; (0, 1) overlap in time, so 0 and 1 stay apart whatever the threshold
    x = np.array([[0.0, 0.0], [0.1, 0.0], [5.0, 0.0], [5.1, 0.0]])
    cameras = np.array([0, 0, 1, 1])
    joined = grouping.cluster(Distances(x), cameras, 10.0, 3, np.zeros((0, 2)))
    assert len(set(joined.tolist())) == 1
    apart = grouping.cluster(Distances(x), cameras, 10.0, 3, np.array([[0, 1]]))
    assert apart[0] != apart[1] and len(set(apart.tolist())) == 2


@pytest.mark.parametrize("limit", [1, 2])
def test_max_per_camera_through_the_pruned_graph_equals_linkage_over_all_pairs(limit):
    # --max_per_camera only refuses merges, so the components below the threshold stay exact
    rng = np.random.default_rng(3)
    x = np.concatenate([rng.normal(c, 0.4, (5, 4)) for c in rng.normal(0, 1.5, (6, 4))])
    cameras = rng.integers(0, 3, len(x))
    i, j = np.triu_indices(len(x), 1)
    pairs, d = np.stack([i, j], 1), cdist(x, x)[i, j]
    threshold = np.quantile(d, 0.3)
    ours = grouping.cluster(Distances(x), cameras, threshold, len(x) - 1, np.zeros((0, 2)), max_per_camera=limit)
    dense = clustering.average_linkage(len(x), pairs, d, threshold, groups=cameras, max_per_group=limit)
    assert same_partition(ours, dense)
    assert all(np.bincount(cameras[ours == p]).max() <= limit for p in np.unique(ours))


def test_people_are_numbered_by_cameras_then_size_then_first_tracklet():
    labels = np.array([5, 5, 7, 7, 7, 9, 9, 3])
    cameras = np.array([0, 0, 0, 0, 1, 0, 1, 0])
    # 7: 2 cameras, 3 tracklets; 9: 2 cameras, 2; 5: 1 camera, 2; 3: 1 camera, 1
    assert grouping.numbered(labels, cameras).tolist() == [3, 3, 1, 1, 1, 2, 2, 4]


def test_centre_distance_hand_case():
    features = np.array([[1.0, 0.0], [0.0, 1.0], [1.0, 0.0]])
    # person 1's centre is (1, 1) / sqrt 2; each member is sqrt(2 - sqrt 2) from it
    d = grouping.centre_distances(features, np.array([1, 1, 2]))
    np.testing.assert_allclose(d, [np.sqrt(2 - np.sqrt(2))] * 2 + [0.0], atol=1e-12)


def test_clustering_scores_hand_case():
    # truth a a a b b; clusters {0,1} {2,3,4}: pairs joined 1 + 3 = 4, right 1 + 1 = 2; true pairs 3 + 1
    scores = clustering_scores(np.array([1, 1, 2, 2, 2, 3]), np.array([0, 0, 0, 1, 1, -1]))
    assert scores["pairwise_precision"] == pytest.approx(2 / 4) and scores["pairwise_recall"] == pytest.approx(2 / 4)
    # BCubed precision: 1, 1, 1/3, 2/3, 2/3; recall: 2/3, 2/3, 1/3, 1, 1
    assert scores["bcubed_precision"] == pytest.approx((2 + 5 / 3) / 5)
    assert scores["bcubed_recall"] == pytest.approx((4 / 3 + 1 / 3 + 2) / 5)
    assert (scores["people_found"], scores["true_people"], scores["tracklets"]) == (2, 2, 5)


def test_calibration_thresholds_hand_cases():
    positive, negative = np.array([0.1, 0.2, 0.3, 0.6]), np.array([0.4, 0.5, 0.7, 0.8])
    # at 0.3: FNMR 1/4 (0.6 missed), FMR 0; at 0.4: FNMR 1/4, FMR 1/4 (0.4 matched); at 0.6: 0 and 2/4
    threshold, rate = calibration.equal_error(positive, negative)
    assert threshold == pytest.approx(0.4) and rate == pytest.approx(0.25)
    assert calibration.threshold_at(negative, 0.0) == pytest.approx(0.2)  # midway 0 .. 0.4
    assert calibration.threshold_at(negative, 0.25) == pytest.approx(0.45)
    assert calibration.threshold_at(negative, 0.6) == pytest.approx(0.6)


def test_people_threshold_is_the_best_pair_f1_hand_case():
    positive, negative = np.array([0.1, 0.2, 0.3, 0.6]), np.array([0.4, 0.5, 0.7, 0.8])
    # four negatives standing for 4: at 0.3, TP 3, FP 0, FN 1: F1 6/7; at 0.6, TP 4, FP 2: 8/10
    assert calibration.pair_f1_threshold(positive, negative, 4) == pytest.approx((0.3, 6 / 7))
    # standing for 400, each negative counts 100: cutting higher only gets worse; at 0.1, 2/5
    assert calibration.pair_f1_threshold(positive, negative, 400) == pytest.approx((0.3, 6 / 7))
    # a sample of 4 standing for 1 pair in all: FP at 0.6 is 0.5, F1 8 / 8.5, above 6/7
    assert calibration.pair_f1_threshold(positive, negative, 1) == pytest.approx((0.6, 8 / 8.5))


def test_identities_take_the_people_threshold_and_say_when_an_export_has_none():
    embedding = EmbeddingConfig()
    plain = dict(reranking=dataclasses.asdict(RerankConfig()))  # as calibrated before --debias_cameras
    both = {"threshold": dict(value=0.9, **plain), "people_threshold": dict(value=0.6, **plain)}
    lines = []
    assert calibration.distance_limit("", "threshold", both, embedding, lines.append, "people_threshold") == 0.6
    assert calibration.distance_limit("", "max_distance", both, embedding, lines.append) == 0.9
    old = {"threshold": both["threshold"]}  # calibrated by 0.2.0
    assert calibration.distance_limit("", "threshold", old, embedding, lines.append, "people_threshold") is None
    assert lines[-1] == ("--threshold: the export was calibrated before dal_tf 0.3.0, with no people_threshold; "
                         "run dal_tf.calibrate again")


def test_a_calibration_holds_only_under_its_distance_settings():
    debias = EmbeddingConfig(debias_cameras=True)
    measured = {"people_threshold": dict(value=0.6, **calibration.distance_settings(debias))}
    lines = []
    assert calibration.distance_limit("", "threshold", measured, debias, lines.append, "people_threshold") == 0.6
    for other in [EmbeddingConfig(), EmbeddingConfig(debias_cameras=True, reranking=RerankConfig(rerank=True))]:
        assert calibration.distance_limit("", "threshold", measured, other, lines.append, "people_threshold") is None
        assert lines[-1] == ("--threshold: the export's calibrated threshold was measured with other distance "
                             "settings (re-ranking, --debias_cameras); not used")


def test_cross_camera_negatives_count_equals_brute_force():
    rng = np.random.default_rng(4)
    cameras, truth = rng.integers(0, 3, 50), rng.integers(-1, 8, 50)
    i, j = np.triu_indices(50, 1)
    expected = np.sum((cameras[i] != cameras[j]) & (truth[i] != truth[j]) & (truth[i] >= 0) & (truth[j] >= 0))
    assert calibration.cross_camera_negatives(cameras, truth) == expected
    assert calibration.cross_camera_negatives(cameras, truth) == len(calibration.labelled_pairs(cameras, truth)[1])


def test_labelled_pairs_all_and_sampled_agree_on_positives(monkeypatch):
    rng = np.random.default_rng(2)
    cameras, truth = rng.integers(0, 2, 60), rng.integers(-1, 10, 60)
    positives, negatives = calibration.labelled_pairs(cameras, truth)
    for a, b in np.concatenate([positives, negatives]):
        assert cameras[a] != cameras[b] and truth[a] >= 0 and truth[b] >= 0
    assert (truth[positives[:, 0]] == truth[positives[:, 1]]).all()
    assert (truth[negatives[:, 0]] != truth[negatives[:, 1]]).all()
    monkeypatch.setattr(calibration, "ALL_PAIRS_LIMIT", 50)
    sampled_positives, sampled = calibration.labelled_pairs(cameras, truth)
    assert {tuple(p) for p in np.sort(sampled_positives, 1).tolist()} == {tuple(p) for p in positives.tolist()}
    assert len(sampled) <= 50 and (truth[sampled[:, 0]] != truth[sampled[:, 1]]).all()
