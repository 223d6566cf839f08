import numpy as np
import pytest
from scipy.spatial.distance import cdist

from dal_tf.evaluation.metrics import QUERY_BLOCK, euclidean_distances, evaluate_rank
from references.metrics_loop import reference_evaluate_rank

PROTOCOLS = ("mars", "torchreid", "single_shot")


def assert_results_equal(actual, expected):
    np.testing.assert_allclose(actual.cmc, expected.cmc, rtol=0, atol=1e-9)
    assert actual.mAP == pytest.approx(expected.mAP, rel=0, abs=1e-9)
    assert actual.mINP == pytest.approx(expected.mINP, rel=0, abs=1e-9)
    assert actual.num_valid_queries == expected.num_valid_queries


def random_problem(seed, num_gallery=400, num_query=300, num_cams=6, decimals=1):
    """MARS-like: queries are gallery rows; ids repeat across cameras, with -1 junk and 0 distractors.

    Rounding the distances to `decimals` creates ties, which must be broken by gallery index:
    1 ties nearly every good entry, 3 some of them, None (no rounding) none.
    """
    rng = np.random.default_rng(seed)
    g_ids = rng.integers(-1, 40, size=num_gallery)
    g_cams = rng.integers(0, num_cams, size=num_gallery)
    features = rng.normal(size=(num_gallery, 4))
    candidates = np.flatnonzero(g_ids != -1)
    query_rows = rng.choice(candidates, size=num_query, replace=False)
    distmat = cdist(features[query_rows], features)
    if decimals is not None:
        distmat = np.round(distmat, decimals)
    return distmat, g_ids[query_rows], g_ids, g_cams[query_rows], g_cams


@pytest.mark.parametrize("seed, decimals", [(0, 1), (1, 3), (2, None)])
@pytest.mark.parametrize("protocol", PROTOCOLS)
def test_matches_loop_reference_on_random_data(seed, decimals, protocol):
    problem = random_problem(seed, decimals=decimals)
    assert len(problem[1]) > QUERY_BLOCK  # crosses a query block boundary
    max_rank = 5 + seed * 10
    actual = evaluate_rank(*problem, protocol=protocol, max_rank=max_rank)
    expected = reference_evaluate_rank(*problem, protocol=protocol, max_rank=max_rank)
    assert_results_equal(actual, expected)
    assert actual.cmc.shape == (max_rank,)


def test_matches_loop_reference_when_max_rank_exceeds_gallery():
    distmat, q_ids, g_ids, q_cams, g_cams = random_problem(3, num_gallery=30, num_query=20, num_cams=3)
    for protocol in PROTOCOLS:
        actual = evaluate_rank(distmat, q_ids, g_ids, q_cams, g_cams, protocol=protocol, max_rank=50)
        expected = reference_evaluate_rank(distmat, q_ids, g_ids, q_cams, g_cams, protocol=protocol, max_rank=50)
        assert_results_equal(actual, expected)


# One query (id 5, camera 0); gallery rows already in ranked order by distance.
JUNK_FIRST = dict(
    distmat=np.array([[0.0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6]]),
    q_ids=np.array([5]),
    g_ids=np.array([5, -1, 7, 5, -1, 5, 0]),  # itself, junk, other id, good, junk, good, distractor
    q_cams=np.array([0]),
    g_cams=np.array([0, 1, 1, 1, 2, 2, 2]),
)


@pytest.mark.parametrize("evaluate", [evaluate_rank, reference_evaluate_rank])
def test_mars_skips_junk_before_first_good(evaluate):
    result = evaluate(**JUNK_FIRST, protocol="mars", max_rank=4)
    # Without junk: id 7 (1), good (2), good (3), distractor (4).
    np.testing.assert_allclose(result.cmc, [0, 1, 1, 1])
    # j=1: r 0, p 0 -> 0; j=2: r 1/2, p 1/2 -> 1/2 * (0 + 1/2) / 2; j=3: r 1, p 2/3 -> 1/2 * (1/2 + 2/3) / 2.
    assert result.mAP == pytest.approx(1 / 8 + 7 / 24, abs=1e-12)
    assert result.mINP == pytest.approx(2 / 3, abs=1e-12)
    assert result.num_valid_queries == 1


@pytest.mark.parametrize("evaluate", [evaluate_rank, reference_evaluate_rank])
def test_torchreid_removes_only_same_id_same_camera(evaluate):
    result = evaluate(**JUNK_FIRST, protocol="torchreid", max_rank=4)
    # Only the query itself is removed; -1 is an ordinary non-match: hits at positions 3 and 5 of 6.
    np.testing.assert_allclose(result.cmc, [0, 0, 1, 1])
    assert result.mAP == pytest.approx((1 / 3 + 2 / 5) / 2, abs=1e-12)
    assert result.mINP == pytest.approx(2 / 5, abs=1e-12)


@pytest.mark.parametrize("evaluate", [evaluate_rank, reference_evaluate_rank])
def test_mars_distractor_ranked_first(evaluate):
    result = evaluate(
        np.array([[0.1, 0.2, 0.3]]), np.array([3]), np.array([0, 3, 3]), np.array([0]), np.array([1, 1, 0]),
        protocol="mars", max_rank=3,
    )
    np.testing.assert_allclose(result.cmc, [0, 1, 1])
    assert result.mAP == pytest.approx(1 * (0 + 1 / 2) / 2, abs=1e-12)  # trapezoid; plain AP would be 1/2
    assert result.mINP == pytest.approx(1 / 2, abs=1e-12)


TIES = dict(
    distmat=np.array([[0.5, 0.5, 0.1]]),
    q_ids=np.array([1]),
    g_ids=np.array([2, 1, 1]),
    q_cams=np.array([0]),
    g_cams=np.array([1, 1, 2]),
)


@pytest.mark.parametrize("evaluate", [evaluate_rank, reference_evaluate_rank])
def test_ties_broken_by_gallery_index(evaluate):
    # Ranked: gallery 2 (good), 0 (other id), 1 (good): the tie at 0.5 goes to the lower index.
    mars = evaluate(**TIES, protocol="mars", max_rank=3)
    np.testing.assert_allclose(mars.cmc, [1, 1, 1])
    assert mars.mAP == pytest.approx((1 + (1 / 2 + 2 / 3) / 2) / 2, abs=1e-12)
    assert mars.mINP == pytest.approx(2 / 3, abs=1e-12)
    torchreid = evaluate(**TIES, protocol="torchreid", max_rank=3)
    assert torchreid.mAP == pytest.approx((1 + 2 / 3) / 2, abs=1e-12)


def test_long_all_tied_row_ranks_by_gallery_index():
    num_gallery = 1000
    g_ids = np.full(num_gallery, 9)
    g_ids[[500, 999]] = 1
    result = evaluate_rank(
        np.ones((1, num_gallery)), np.array([1]), g_ids, np.array([0]), np.ones(num_gallery, dtype=int),
        protocol="torchreid", max_rank=1,
    )
    assert result.mAP == pytest.approx((1 / 501 + 2 / 1000) / 2, abs=1e-12)
    assert result.mINP == pytest.approx(2 / 1000, abs=1e-12)


# Query 0 (id 4) has matches only in its own camera; query 1 (id 6) finds its match first.
OWN_CAMERA_ONLY = dict(
    distmat=np.array([[0.1, 0.2, 0.3], [0.2, 0.3, 0.1]]),
    q_ids=np.array([4, 6]),
    g_ids=np.array([4, 4, 6]),
    q_cams=np.array([0, 0]),
    g_cams=np.array([0, 0, 1]),
)


@pytest.mark.parametrize("evaluate", [evaluate_rank, reference_evaluate_rank])
def test_mars_counts_query_without_good_match_as_zero(evaluate):
    result = evaluate(**OWN_CAMERA_ONLY, protocol="mars", max_rank=2)
    np.testing.assert_allclose(result.cmc, [0.5, 0.5])
    assert result.mAP == pytest.approx(0.5, abs=1e-12)
    assert result.mINP == pytest.approx(0.5, abs=1e-12)
    assert result.num_valid_queries == 2


@pytest.mark.parametrize("evaluate", [evaluate_rank, reference_evaluate_rank])
def test_torchreid_skips_query_without_match(evaluate):
    result = evaluate(**OWN_CAMERA_ONLY, protocol="torchreid", max_rank=2)
    np.testing.assert_allclose(result.cmc, [1, 1])
    assert result.mAP == pytest.approx(1.0, abs=1e-12)
    assert result.num_valid_queries == 1


@pytest.mark.parametrize("evaluate", [evaluate_rank, reference_evaluate_rank])
def test_single_shot_hand_computed_cmc(evaluate):
    # True match (the diagonal) ranks 1, 2, 3 and 1.
    distmat = np.array([
        [0.1, 0.5, 0.6, 0.7],
        [0.2, 0.3, 0.9, 0.9],
        [0.1, 0.2, 0.3, 0.4],
        [0.5, 0.5, 0.5, 0.1],
    ])
    ids = np.arange(1, 5)
    result = evaluate(distmat, ids, ids, np.zeros(4, int), np.ones(4, int), protocol="single_shot", max_rank=6)
    np.testing.assert_allclose(result.cmc, [2 / 4, 3 / 4, 1, 1, 1, 1])
    assert result.mAP == pytest.approx((1 + 1 / 2 + 1 / 3 + 1) / 4, abs=1e-12)
    assert result.mINP == pytest.approx((1 + 1 / 2 + 1 / 3 + 1) / 4, abs=1e-12)
    assert result.num_valid_queries == 4


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(q_ids=np.array([5, 6])), "q_ids must have shape"),
        (dict(g_cams=np.array([0, 1])), "g_cams must have shape"),
        (dict(distmat=np.zeros(7)), "distmat must be 2-D"),
        (dict(distmat=np.full((1, 7), np.nan)), "finite"),
        (dict(distmat=np.full((1, 7), np.inf)), "finite"),
        (dict(q_ids=np.array([-1])), "junk id"),
        (dict(protocol="market"), "protocol must be one of"),
        (dict(max_rank=0), "max_rank"),
    ],
)
def test_evaluate_rank_rejects_bad_input(change, message):
    arguments = dict(JUNK_FIRST, protocol="mars") | change
    with pytest.raises(ValueError, match=message):
        evaluate_rank(**arguments)


def test_evaluate_rank_rejects_protocol_without_any_valid_query():
    with pytest.raises(ValueError, match="no query has a matching gallery entry"):
        evaluate_rank(**dict(OWN_CAMERA_ONLY, q_ids=np.array([4, 4])), protocol="torchreid")


def test_euclidean_distances_match_cdist():
    rng = np.random.default_rng(0)
    gallery = rng.normal(size=(300, 16)).astype(np.float32)
    query = np.concatenate([gallery[:50], rng.normal(size=(1100, 16)).astype(np.float32)])  # > one block
    distances = euclidean_distances(query, gallery)
    assert distances.dtype == np.float64
    np.testing.assert_allclose(distances, cdist(query.astype(np.float64), gallery), rtol=1e-9, atol=1e-6)
    assert np.all(distances >= 0)
    assert np.all(np.diag(distances[:50, :50]) <= 1e-6)


def test_euclidean_distances_rejects_mismatched_dimensions():
    with pytest.raises(ValueError, match="same dimension"):
        euclidean_distances(np.zeros((2, 3)), np.zeros((4, 5)))
