"""--loss=contrast against a NumPy rendering of CAP's two terms written from their definition
(CAPMemory's per-camera loop, one frame at a time): the loss values, the rank-1 flags, and the
gradient with respect to the features by central differences."""

import numpy as np
import pytest
import tensorflow as tf
from test_association import np_l2

from dal_tf.association import contrast, ranking
from dal_tf.config import AssociationConfig
from dal_tf.utils.errors import UserInputError

COUNTS = [6, 5, 7]


def np_log_softmax_at(logits, positives):
    """-log of the softmax over `logits`, averaged over the `positives` positions."""
    top = logits.max()
    normaliser = top + np.log(np.exp(logits - top).sum())
    return normaliser - logits[positives].mean()


def np_contrast(features, cams, rows, intra, anchor_cameras, partners, started, cfg):
    f = np_l2(features.astype(np.float64))
    visited = np.any(intra != 0, axis=1)
    anchors = np_l2(intra.astype(np.float64))
    sims = f @ anchors.T
    loss_intra = loss_cross = 0.0
    rank1_is_own = []
    for c in np.unique(cams):
        frames = np.where(cams == c)[0]
        intra_terms, inter_terms = [], []
        for k in frames:
            # Intra: a softmax over the frame's own camera's anchors (unvisited ones left out, its own kept).
            candidates = np.where((anchor_cameras == c) & (visited | (np.arange(len(intra)) == rows[k])))[0]
            own = int(np.where(candidates == rows[k])[0][0])
            intra_terms.append(np_log_softmax_at(sims[k, candidates] / cfg.temperature, [own]))
            same_camera = np.where(anchor_cameras == c)[0]
            rank1_is_own.append(same_camera[np.argmax(sims[k, same_camera])] == rows[k])
            # Inter: its row and partners against the most similar visited others.
            positives = [rows[k]] + [p for p in partners[rows[k]] if p >= 0]
            others = [r for r in np.argsort(-sims[k]) if visited[r] and r not in positives]
            chosen = positives + others[:cfg.hard_negatives]
            inter_terms.append(np_log_softmax_at(sims[k, chosen] / cfg.temperature, list(range(len(positives)))))
        loss_intra += np.mean(intra_terms)
        loss_cross += 0.5 * np.mean(inter_terms) * started
    return loss_intra + cfg.lambda_cross * loss_cross, loss_intra, loss_cross, np.array(rank1_is_own)


def case(rng, dim=8, batch=12):
    offsets = np.concatenate([[0], np.cumsum(COUNTS)[:-1]])
    anchor_cameras = np.repeat(np.arange(len(COUNTS)), COUNTS).astype(np.int32)
    intra = rng.normal(size=(sum(COUNTS), dim))
    intra[[2, 9, 15]] = 0.0  # not visited yet: no negative, nor a candidate unless it is the frame's own
    partners = np.full((sum(COUNTS), len(COUNTS)), -1, np.int32)  # a slot per camera, as per_camera's
    partners[0] = [-1, 7, 12]
    partners[7] = [0, -1, -1]
    partners[12] = [0, 8, -1]
    partners[4] = [-1, -1, 16]
    cams = rng.choice(len(COUNTS), size=batch).astype(np.int32)
    rows = np.array([offsets[c] + rng.integers(COUNTS[c]) for c in cams], np.int32)
    rows[:3] = [0, 7, 2]  # frames with partners, and one of an unvisited row
    cams[:3] = anchor_cameras[rows[:3]]
    features = np.stack([intra[r] + rng.normal(size=dim) for r in rows])
    return features, cams, rows, intra, anchor_cameras, partners


def tf_contrast(features, cams, rows, intra, anchor_cameras, partners, started, cfg):
    return contrast.contrast_losses(tf.constant(features), tf.constant(rows), tf.constant(cams), tf.constant(intra),
                                    tf.constant(anchor_cameras), len(COUNTS), tf.constant(partners), started, cfg)


@pytest.mark.parametrize("started", [False, True])
@pytest.mark.parametrize("hard_negatives", [3, 50])  # fewer than the candidates, and more than there are
def test_contrast_losses_match_numpy(started, hard_negatives):
    cfg = AssociationConfig(loss="contrast", hard_negatives=hard_negatives, lambda_cross=0.7)
    data = case(np.random.default_rng(0))
    expected = np_contrast(*data, started, cfg)
    got = tf_contrast(*[np.asarray(x, np.float64) if i in (0, 3) else x for i, x in enumerate(data)], started, cfg)
    for value, reference in zip(got[:3], expected[:3]):
        np.testing.assert_allclose(float(value), reference, rtol=1e-9)
    assert (float(got.loss_cross) > 0) == started
    order = np.argsort(np.argsort(data[1], kind="stable"))  # NumPy went camera by camera
    np.testing.assert_array_equal(got.rank1_is_own.numpy(), expected[3][order])


def test_contrast_gradient_matches_finite_differences():
    cfg = AssociationConfig(loss="contrast", hard_negatives=4)
    features, *rest = case(np.random.default_rng(1))
    x = tf.constant(features, tf.float64)
    with tf.GradientTape() as tape:
        tape.watch(x)
        loss = contrast.contrast_losses(x, tf.constant(rest[1]), tf.constant(rest[0]), tf.constant(rest[2]),
                                        tf.constant(rest[3]), len(COUNTS), tf.constant(rest[4]), True, cfg).loss
    got = tape.gradient(loss, x).numpy()
    expected = np.zeros_like(features)
    for k in np.ndindex(features.shape):
        shifted = [features.copy(), features.copy()]
        shifted[0][k] += 1e-6
        shifted[1][k] -= 1e-6
        up, down = (np_contrast(x, *rest, True, cfg)[0] for x in shifted)
        expected[k] = (up - down) / 2e-6
    assert np.abs(expected).max() > 0.01
    np.testing.assert_allclose(got, expected, atol=1e-6)


def test_a_model_step_with_contrast_takes_the_tables_partners():
    """Through AnchorTables.losses: the partners are the rule's merge_partners()."""
    from dal_tf.association.tables import AnchorTables

    cfg = AssociationConfig(loss="contrast", association="per_camera")
    features, cams, rows, intra, anchor_cameras, partners = case(np.random.default_rng(2))
    tables = AnchorTables(COUNTS, features.shape[1], cfg.association)
    tables.intra.assign(intra.astype(np.float32))
    tables.state[tables.rule.partners_table].assign(partners)
    got = tables.losses(tf.constant(features, tf.float32), tf.constant(rows), tf.constant(cams), cfg, True)
    np.testing.assert_allclose(float(got.loss), np_contrast(features, cams, rows, intra, anchor_cameras, partners,
                                                            True, cfg)[0], rtol=1e-5)


def test_contrast_settings_are_checked():
    with pytest.raises(UserInputError, match="--temperature=0"):
        AssociationConfig(loss="contrast", temperature=0)
    with pytest.raises(UserInputError, match="--hard_negatives=0"):
        AssociationConfig(loss="contrast", hard_negatives=0)
    assert ranking.combined(tf.constant(1.0), tf.constant(2.0), AssociationConfig(lambda_cross=0.5)).numpy() == 2.0
