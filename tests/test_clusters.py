"""--association=clusters: DBSCAN against a brute-force rendering of its definition, the Jaccard
distances it clusters against references/reranking_loop.py, each row's partners against brute
force, the rule's cross update against NumPy, and its schedule."""

import keras
import numpy as np
import pytest
import scipy.sparse
from test_association_rules import np_l2, tf_rule

from dal_tf.association.model import DALModel
from dal_tf.association.rules import clusters
from dal_tf.config import AssociationConfig
from dal_tf.neighbours import dbscan, reciprocal
from dal_tf.networks import parts
from references.reranking_loop import reference_jaccard


def np_dbscan(near, min_samples):
    """Core points have >= min_samples neighbours (themselves included); a cluster grows from its
    lowest unlabelled core point through core points; numbered in order of their lowest row; a
    border point takes the lowest-numbered cluster of its core neighbours."""
    n = len(near)
    core = near.sum(axis=1) >= min_samples
    labels = np.full(n, -1)
    number = 0
    for seed in range(n):
        if not core[seed] or labels[seed] >= 0:
            continue
        labels[seed], frontier = number, [seed]
        while frontier:
            point = frontier.pop()
            for other in np.flatnonzero(near[point] & core):
                if labels[other] < 0:
                    labels[other] = number
                    frontier.append(other)
        number += 1
    for point in np.flatnonzero(~core):
        found = [labels[c] for c in np.flatnonzero(near[point] & core)]
        labels[point] = min(found) if found else -1
    return labels


@pytest.mark.parametrize("seed", range(4))
def test_dbscan_matches_its_definition(seed):
    rng = np.random.default_rng(seed)
    points = np.concatenate([rng.normal(size=(12, 2)) + centre for centre in rng.normal(scale=6, size=(3, 2))])
    points = np.concatenate([points, rng.uniform(-12, 12, size=(8, 2))])  # some noise
    near = np.sum((points[:, None] - points[None]) ** 2, axis=2) <= 1.5 ** 2
    got = dbscan.dbscan(scipy.sparse.csr_matrix(near), 4)
    expected = np_dbscan(near, 4)
    np.testing.assert_array_equal(got, expected)
    assert expected.max() >= 1 and np.any(expected == -1) and np.any((near.sum(1) < 4) & (expected >= 0))


def clustered_units(rng, people=10, per_person=8, dim=16, outliers=5):
    """Unit features of people seen several times each, and a few strays."""
    centres = rng.normal(size=(people, dim))
    seen = centres[np.repeat(np.arange(people), per_person)] + 0.3 * rng.normal(size=(people * per_person, dim))
    return np_l2(np.concatenate([seen, 3 * rng.normal(size=(outliers, dim))]))


def test_jaccard_is_cluster_contrasts_unscaled_kernel(monkeypatch):
    monkeypatch.setattr(reciprocal, "QUERY_BLOCK", 7)  # several blocks, the last one partial
    unit = clustered_units(np.random.default_rng(0), people=5, per_person=6, dim=8)
    encoding, _ = reciprocal.reciprocal_encoding(unit, 0, 8, 3, row_normalised=False)
    got = np.concatenate([block for _, block in reciprocal.jaccard_blocks(encoding, encoding)])
    expected, _ = reference_jaccard(unit, 8, 3, scaled=False)
    np.testing.assert_allclose(got, expected, atol=1e-9)
    assert np.abs(expected - reference_jaccard(unit, 8, 3)[0]).max() > 1e-3  # the kernel matters


def test_partners_are_the_nearest_of_the_cluster():
    rng = np.random.default_rng(1)
    intra = clustered_units(rng) * rng.uniform(0.5, 2.0, size=(85, 1))  # any norm: the clustering normalises
    intra[[3, 17]] = 0.0  # not visited
    partners = clusters.cluster_partners(intra, 0.6, max_partners=3)
    visited = np.flatnonzero(np.any(intra != 0, axis=1))
    labels = np.full(len(intra), -1)
    labels[visited] = dbscan.jaccard_clusters(np_l2(intra[visited]), 0.6)
    assert len(set(labels[labels >= 0])) >= 3
    unit = np_l2(intra)
    for row in range(len(intra)):
        expected = []
        if labels[row] >= 0:
            members = [m for m in np.flatnonzero(labels == labels[row]) if m != row]
            expected = sorted(members, key=lambda m: (np.sum((unit[row] - unit[m]) ** 2), m))[:3]
        assert list(partners[row][partners[row] >= 0]) == expected, row
        assert np.all(partners[row][len(expected):] == -1)


def test_cross_update_is_the_clusters_mean_and_the_partner_another_cameras_nearest():
    rng = np.random.default_rng(2)
    table = rng.normal(size=(10, 4)).astype(np.float32)
    cams = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 2], np.int32)
    partners = np.full((10, clusters.MAX_PARTNERS), -1, np.int32)
    partners[0, :3] = [1, 4, 7]  # its nearest partner is in its own camera
    partners[4, :2] = [0, 7]
    partners[6, :1] = [8]  # only its own camera
    rows = np.array([0, 4, 6, 9], np.int32)
    config = AssociationConfig(association="clusters")
    got = tf_rule("clusters", table, cams, rows, True, dict(partners=partners), config)
    unit = np_l2(table.astype(np.float64))
    expected = [unit[[0, 1, 4, 7]].mean(0), unit[[4, 0, 7]].mean(0), unit[[6, 8]].mean(0), unit[9]]
    np.testing.assert_allclose(got[0], np.stack(expected), atol=1e-6)
    np.testing.assert_array_equal(got[1], [4, 0, -1, -1])
    before = tf_rule("clusters", table, cams, rows, False, dict(partners=partners))
    np.testing.assert_allclose(before[0], unit[rows], atol=1e-6)
    assert np.all(before[1] == -1)


def test_clustering_is_due_when_the_warm_up_ends_then_every_cluster_every_steps():
    config = AssociationConfig(association="clusters", cluster_every=3)
    due = [s for s in range(1, 15) if clusters.refresh_due(s, 4, config)]
    assert due == [4, 7, 10, 13]


def test_a_model_refreshes_every_table_from_its_own_anchors():
    images = keras.Input((4, 2, 3))
    plain = keras.Model(images, keras.layers.GlobalAveragePooling2D(name="pool")(
        keras.layers.Conv2D(16, 1, name="conv")(images)))
    config = AssociationConfig(association="clusters", cluster_every=2)
    model = DALModel(parts.with_parts(plain, "pool", 2), [40, 45], config, warmup_steps=1)
    rng = np.random.default_rng(3)
    tables = [clustered_units(rng) for _ in model.tables()]
    for t, values in zip(model.tables(), tables):
        t.intra.assign(values.astype(np.float32))
    assert not model.refresh_association()  # step 0: the warm-up has not ended
    model.step.assign(1)
    said = model.refresh_association()
    for t, values in zip(model.tables(), tables):
        np.testing.assert_array_equal(t.state["partners"].numpy(), clusters.cluster_partners(values, 0.6))
    counts = np.sum(clusters.cluster_partners(tables[0], 0.6) >= 0, axis=1)
    assert said == (f"{np.mean(counts > 0):.1%} of the tracklets with partners, {counts.mean():.1f} each on average "
                    f"(at most {clusters.MAX_PARTNERS})")
    model.step.assign(2)
    assert not model.refresh_association()


def test_small_neighbourhoods_for_a_few_tracklets_a_person():
    """Two tracklets a person: Cluster Contrast's k1 = 30 joins people; the flags' smaller one
    finds the pairs (the refresh takes them from the config)."""
    unit = clustered_units(np.random.default_rng(4), people=40, per_person=2, outliers=0)
    config = AssociationConfig(association="clusters", cluster_k1=5, cluster_k2=2, cluster_min_samples=2)
    small = clusters.refreshed_state(unit, config)["partners"]
    np.testing.assert_array_equal(small, clusters.cluster_partners(unit, 0.6, k1=5, k2=2, min_samples=2))
    true_pair = np.arange(80) ^ 1  # rows 2p and 2p + 1 are person p
    assert np.mean(small[:, 0] == true_pair) > 0.8 and np.all((small >= 0).sum(axis=1) <= 3)
    wide = clusters.refreshed_state(unit, AssociationConfig(association="clusters"))["partners"]
    assert np.mean((wide >= 0).sum(axis=1)) > 10  # people joined
