"""k-reciprocal re-ranking against the straightforward implementation of references/reranking_loop.py."""

import numpy as np
import pytest

from dal_tf.evaluation import metrics, reranking
from dal_tf.neighbours import reciprocal
from references.reranking_loop import reference_rerank


def clustered(rng, people, per_person, dim=6, spread=0.6):
    centres = rng.normal(size=(people, dim))
    ids = np.repeat(np.arange(people), per_person)
    return centres[ids] + spread * rng.normal(size=(len(ids), dim)), ids


@pytest.mark.parametrize("k1, k2, lambda_value", [(20, 6, 0.3), (4, 1, 0.0), (5, 3, 1.0), (7, 8, 0.5)])
def test_matches_the_straightforward_implementation(monkeypatch, k1, k2, lambda_value):
    monkeypatch.setattr(reciprocal, "ROW_BLOCK", 7)  # many row blocks, the last one partial
    monkeypatch.setattr(reciprocal, "QUERY_BLOCK", 4)
    rng = np.random.default_rng(k1)
    features, _ = clustered(rng, 9, 5)
    query, gallery = features[:12], features[12:]
    expected = reference_rerank(query, gallery, k1, k2, lambda_value)
    np.testing.assert_allclose(reranking.k_reciprocal_distances(query, gallery, k1, k2, lambda_value), expected,
                               atol=1e-9)
    if lambda_value < 1:  # the Jaccard term changes the order, so the comparison can fail
        assert np.any(np.argsort(expected, axis=1)[:, :5] != np.argsort(
            metrics.euclidean_distances(query, gallery), axis=1)[:, :5])


def test_queries_that_are_gallery_entries_and_ties():
    """As on MARS, the queries are gallery rows too, so every query has a copy at distance 0; and
    two gallery rows are equal (ties at the k-th neighbour are broken by the lower row)."""
    rng = np.random.default_rng(3)
    gallery, _ = clustered(rng, 6, 6)
    gallery[7] = gallery[20]
    query = gallery[[0, 7, 13, 20, 31]]
    np.testing.assert_allclose(reranking.k_reciprocal_distances(query, gallery, 6, 3),
                               reference_rerank(query, gallery, 6, 3), atol=1e-9)


def test_re_ranking_helps_where_neighbourhoods_agree():
    """Loose clusters, one per person: ranking by shared neighbourhoods raises the mAP."""
    rng = np.random.default_rng(5)
    features, ids = clustered(rng, 12, 8, dim=8, spread=0.9)
    query_rows = np.arange(0, len(ids), 8)
    gallery_rows = np.setdiff1d(np.arange(len(ids)), query_rows)

    def mean_ap(distances):
        return metrics.evaluate_rank(distances, ids[query_rows], ids[gallery_rows], np.zeros(len(query_rows)),
                                     np.ones(len(gallery_rows)), protocol="single_shot").mAP

    plain = mean_ap(metrics.euclidean_distances(features[query_rows], features[gallery_rows]))
    reranked = mean_ap(reranking.k_reciprocal_distances(features[query_rows], features[gallery_rows], 6, 3))
    assert reranked > plain + 0.02


def test_refuses_parameters_it_cannot_use():
    features = np.eye(4)
    with pytest.raises(ValueError, match="k2=9"):
        reranking.k_reciprocal_distances(features[:2], features[2:], k1=2, k2=9)
    with pytest.raises(ValueError, match="k1=4"):
        reranking.k_reciprocal_distances(features[:2], features[2:], k1=4)
