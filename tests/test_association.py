"""The association functions against an independent NumPy implementation written from the
paper's equations and the released code's per-camera loops (one table per camera)."""

import numpy as np
import pytest
import tensorflow as tf

from dal_tf.association import ranking
from dal_tf.config import AssociationConfig

TOL = 1e-5


def np_l2(x):
    norm = np.sqrt(np.maximum(np.sum(x * x, axis=-1, keepdims=True), ranking.L2_EPSILON))
    return x / norm


def np_dist(a, b, distance):
    squared = np.sum((a - b) ** 2, axis=-1)
    return squared if distance == "squared" else np.sqrt(np.maximum(squared, ranking.SQRT_FLOOR))


def np_dal_step(features, cams, idx, intra, cross, started, cfg):
    """One DAL step with per-camera tables, as in the release's ranking.learning_graph.

    intra / cross: lists (one per camera) of [n_c, D] arrays. Returns losses and new tables.
    """
    f = np_l2(features.astype(np.float64))
    num_cams = len(intra)
    pos_intra, pos_cross, neg = [], [], []
    for c in range(num_cams):
        frames = np.where(cams == c)[0]
        if frames.size == 0:
            continue
        anchors_n, cross_n = np_l2(intra[c]), np_l2(cross[c])
        rank1_dist = []
        rank1_is_own = []
        for k in frames:
            d_all = np_dist(f[k][None], anchors_n, cfg.distance)
            best = int(np.argmin(d_all))  # lowest index among ties
            rank1_dist.append(d_all[best])
            rank1_is_own.append(best == idx[k])
            pos_intra.append(np_dist(f[k], anchors_n[idx[k]], cfg.distance))
            pos_cross.append(np_dist(f[k], cross_n[idx[k]], cfg.distance))
        mean_rank1 = np.mean(rank1_dist)
        neg.extend(mean_rank1 if own else d for d, own in zip(rank1_dist, rank1_is_own))
    pos_intra, pos_cross, neg = map(np.array, (pos_intra, pos_cross, neg))
    loss_intra = np.mean(np.maximum(pos_intra - neg + cfg.margin, 0))
    loss_cross = np.mean(np.maximum(pos_cross - neg + cfg.margin, 0))
    loss = {"both": loss_intra + cfg.lambda_cross * loss_cross, "intra": loss_intra, "cross": loss_cross}[
        cfg.loss_terms
    ]

    # Eq. 1: every frame's difference is taken from the anchor before the batch, then summed.
    new_intra = [t.astype(np.float64).copy() for t in intra]
    for c in range(num_cams):
        old = intra[c].astype(np.float64)
        frames = np.where(cams == c)[0]
        if cfg.anchor_update == "released":
            for k in frames:
                new_intra[c][idx[k]] -= cfg.eta * (np_l2(old[idx[k]]) - f[k])
        else:
            for t in np.unique(idx[frames]):
                mean_f = f[frames[idx[frames] == t]].mean(axis=0)
                new_intra[c][t] = (1 - cfg.eta) * np_l2(old[t]) + cfg.eta * mean_f

    # Eq. 4-5: cyclic ranking on the updated anchors, other cameras pooled.
    new_cross = [t.astype(np.float64).copy() for t in cross]
    partner = {}
    intra_n = [np_l2(t) for t in new_intra]
    for c in range(num_cams):
        others = [(oc, j) for oc in range(num_cams) if oc != c for j in range(len(intra[oc]))]
        pool = np.array([intra_n[oc][j] for oc, j in others]).reshape(len(others), -1)
        for t in np.unique(idx[cams == c]):
            own = intra_n[c][t]
            merged = False
            if started and others:
                best = int(np.argmin(np.sum((pool - own) ** 2, axis=1)))
                back = int(np.argmin(np.sum((intra_n[c] - pool[best]) ** 2, axis=1)))
                merged = back == t and np.any(pool[best] != 0)
            if merged:
                new_cross[c][t] = (own + pool[best]) / 2
                partner[(c, t)] = others[best]
            else:
                new_cross[c][t] = own
                partner[(c, t)] = None
    return dict(loss=loss, loss_intra=loss_intra, loss_cross=loss_cross, intra=new_intra, cross=new_cross,
                partner=partner)


def tf_dal_step(features, cams, idx, intra, cross, started, cfg):
    """The library's functions composed the way the model composes them."""
    counts = [len(t) for t in intra]
    offsets = np.concatenate([[0], np.cumsum(counts)[:-1]]).astype(np.int32)
    anchor_cameras = np.repeat(np.arange(len(counts)), counts).astype(np.int32)
    intra_flat = tf.constant(np.concatenate(intra).astype(np.float32))
    cross_flat = tf.constant(np.concatenate(cross).astype(np.float32))
    feats = tf.constant(features.astype(np.float32))
    rows = ranking.anchor_rows(tf.constant(cams, tf.int32), tf.constant(idx, tf.int32), tf.constant(offsets))
    losses = ranking.association_losses(
        feats, rows, tf.constant(cams, tf.int32), intra_flat, cross_flat, tf.constant(anchor_cameras), len(counts), cfg
    )
    new_values = ranking.updated_intra_anchors(feats, rows, intra_flat, cfg)
    new_intra = tf.tensor_scatter_nd_update(intra_flat, rows[:, None], new_values)
    cross_update = ranking.updated_cross_anchors(rows, new_intra, tf.constant(anchor_cameras), started)
    new_cross = tf.tensor_scatter_nd_update(cross_flat, rows[:, None], cross_update.values)
    split = lambda t: np.split(t.numpy(), np.cumsum(counts)[:-1])  # noqa: E731
    partner = {}
    for r, p in zip(rows.numpy(), cross_update.partner.numpy()):
        c = int(anchor_cameras[r])
        partner[(c, int(r - offsets[c]))] = None if p < 0 else (int(anchor_cameras[p]), int(p - offsets[anchor_cameras[p]]))
    return dict(loss=losses.loss.numpy(), loss_intra=losses.loss_intra.numpy(), loss_cross=losses.loss_cross.numpy(),
                intra=split(new_intra), cross=split(new_cross), partner=partner)


def make_case(rng, counts, batch, dim=16, repeat_tracklet=False, absent_camera=None, zero_fraction=0.3):
    """Random anchors (some still zero, as in early training) and a batch drawn from them."""
    intra, cross = [], []
    for n in counts:
        t = rng.normal(size=(n, dim))
        t[rng.random(n) < zero_fraction] = 0.0
        intra.append(t)
        cross.append(rng.normal(size=(n, dim)))
    present = [c for c in range(len(counts)) if c != absent_camera]
    cams = rng.choice(present, size=batch)
    idx = np.array([rng.integers(counts[c]) for c in cams])
    if repeat_tracklet:
        cams[1:4], idx[1:4] = cams[0], idx[0]
    # Frames near their own anchor so that rank-1 hits its own tracklet for some frames.
    features = np.stack([
        (intra[c][i] if rng.random() < 0.5 else rng.normal(size=dim)) + 0.3 * rng.normal(size=dim)
        for c, i in zip(cams, idx)
    ])
    return features, cams.astype(np.int32), idx.astype(np.int32), intra, cross


def assert_steps_match(case, started, cfg):
    ref = np_dal_step(*case, started, cfg)
    got = tf_dal_step(*case, started, cfg)
    for key in ("loss", "loss_intra", "loss_cross"):
        np.testing.assert_allclose(got[key], ref[key], atol=TOL, rtol=TOL, err_msg=key)
    for key in ("intra", "cross"):
        for c, (g, r) in enumerate(zip(got[key], ref[key])):
            np.testing.assert_allclose(g, r, atol=TOL, err_msg=f"{key} camera {c}")
    assert got["partner"] == ref["partner"]
    return ref


CONFIGS = {
    "released": AssociationConfig(),
    "paper": AssociationConfig(distance="euclidean", margin=0.2),
    "normalized": AssociationConfig(anchor_update="normalized", eta=0.3),
    "intra_only": AssociationConfig(loss_terms="intra"),
    "cross_weighted": AssociationConfig(loss_terms="both", lambda_cross=0.7),
}


@pytest.mark.parametrize("name", sorted(CONFIGS))
@pytest.mark.parametrize("started", [False, True])
def test_two_cameras_match_numpy(name, started):
    rng = np.random.default_rng(0)
    assert_steps_match(make_case(rng, [12, 15], batch=24), started, CONFIGS[name])


@pytest.mark.parametrize("name", ["released", "paper", "normalized"])
@pytest.mark.parametrize("block_rows", [5, ranking.TABLE_BLOCK_ROWS])
def test_six_cameras_repeat_and_absent_camera_match_numpy(monkeypatch, name, block_rows):
    monkeypatch.setattr(ranking, "TABLE_BLOCK_ROWS", block_rows)  # 46 rows: ranked in blocks, or at once
    rng = np.random.default_rng(1)
    case = make_case(rng, [9, 7, 11, 5, 8, 6], batch=32, repeat_tracklet=True, absent_camera=3)
    ref = assert_steps_match(case, True, CONFIGS[name])
    # The absent camera's anchors are untouched.
    np.testing.assert_array_equal(ref["intra"][3], case[3][3])


def test_merges_happen_in_the_cases_tested():
    """Guards the comparisons above against passing only because nothing ever merges."""
    rng = np.random.default_rng(2)
    dim = 8
    shared = rng.normal(size=(6, dim))
    intra = [shared + 0.05 * rng.normal(size=shared.shape), shared + 0.05 * rng.normal(size=shared.shape)]
    cross = [np.zeros_like(t) for t in intra]
    cams = np.array([0, 1, 0, 1], np.int32)
    idx = np.array([0, 0, 3, 2], np.int32)
    features = np.stack([intra[c][i] for c, i in zip(cams, idx)])
    case = (features, cams, idx, intra, cross)
    ref = assert_steps_match(case, True, CONFIGS["released"])
    assert ref["partner"][(0, 0)] == (1, 0) and ref["partner"][(1, 2)] == (0, 2)
    unstarted = assert_steps_match(case, False, CONFIGS["released"])
    assert all(p is None for p in unstarted["partner"].values())


def test_released_update_from_zero_tracks_latest_frame():
    """With zero anchors and eta = 0.5, the released rule leaves l2(anchor) = the latest frame."""
    cfg = AssociationConfig()
    table = tf.zeros([1, 4])
    rows = tf.constant([0])
    for frame in ([1.0, 0, 0, 0], [0, 2.0, 0, 0], [0, 0, -3.0, 0]):
        values = ranking.updated_intra_anchors(tf.constant([frame]), rows, table, cfg)
        table = tf.tensor_scatter_nd_update(table, rows[:, None], values)
        np.testing.assert_allclose(ranking.l2_normalize(table).numpy()[0], np_l2(np.array(frame)), atol=1e-6)
        np.testing.assert_allclose(np.linalg.norm(table.numpy()[0]), 0.5, atol=1e-6)


def test_hand_computed_losses():
    """One camera, two anchors e1 and e2, squared distance, margin 0.5.

    Frame a = e1 of tracklet 0: rank-1 is its own anchor (d=0); frame b = e1 of tracklet 1:
    rank-1 is tracklet 0 (d=0), not its own (d=2). Camera mean rank-1 distance = 0.
    Negatives: a -> 0 (mean, own rank-1), b -> 0. Positives (intra): a 0, b 2.
    L_I = mean(relu(0-0+.5), relu(2-0+.5)) = 1.5. Cross anchors are zero: positives 1 each,
    L_C = mean(1.5, 1.5) = 1.5.
    """
    cfg = AssociationConfig()
    e1, e2 = [1.0, 0.0], [0.0, 1.0]
    out = ranking.association_losses(
        tf.constant([e1, e1]), tf.constant([0, 1]), tf.constant([0, 0]), tf.constant([e1, e2]),
        tf.zeros([2, 2]), tf.constant([0, 0]), 1, cfg,
    )
    np.testing.assert_allclose([out.loss_intra.numpy(), out.loss_cross.numpy(), out.loss.numpy()], [1.5, 1.5, 3.0],
                               atol=1e-6)
    assert out.rank1_is_own.numpy().tolist() == [True, False]


@pytest.mark.parametrize("block_rows", [3, 4, 100])
def test_nearest_table_row_in_blocks_matches_argmin(monkeypatch, block_rows):
    """Blocks of 3 and 4 over 10 rows (the last block overlaps), and one block; ties, zero rows and
    queries with nothing allowed."""
    monkeypatch.setattr(ranking, "TABLE_BLOCK_ROWS", block_rows)
    rng = np.random.default_rng(5)
    table = rng.normal(size=(10, 6)) * rng.uniform(0.1, 10, size=(10, 1))
    table[2] = 0.0  # a never-visited anchor stays zero when normalised
    table[7] = 3.0 * table[4]  # the same direction: a tie, won by the lower row
    queries = np_l2(rng.normal(size=(5, 6)))
    queries[1] = np_l2(table[4])
    allowed = rng.random((5, 10)) < 0.6
    allowed[1, [4, 7]] = True
    allowed[3] = False
    distances = ((queries[:, None, :] - np_l2(table)[None, :, :]) ** 2).sum(-1)
    expected = np.argmin(np.where(allowed, distances, np.inf), axis=1)  # first minimum; 0 when none allowed
    got = ranking.nearest_table_row(tf.constant(queries, tf.float32), tf.constant(table, tf.float32),
                                        lambda rows: tf.gather(tf.constant(allowed), rows, axis=1))
    assert got.numpy().tolist() == expected.tolist()
    assert expected[1] == 4


@pytest.mark.parametrize("name", ["released", "paper"])
def test_loss_gradient_matches_finite_differences(name):
    """The rank-1 is chosen without a gradient and its distance recomputed: the gradient with
    respect to the features must still be that of the loss (central differences of the NumPy step)."""
    cfg = CONFIGS[name]
    rng = np.random.default_rng(3)
    features, cams, idx, intra, cross = make_case(rng, [6, 5, 7], batch=10, dim=8, zero_fraction=0.0)
    feats = tf.constant(features, tf.float64)
    counts = [len(t) for t in intra]
    offsets = ranking.camera_offsets(counts)
    anchor_cameras = tf.constant(np.repeat(np.arange(len(counts)), counts).astype(np.int32))
    rows = ranking.anchor_rows(tf.constant(cams), tf.constant(idx), tf.constant(offsets))
    with tf.GradientTape() as tape:
        tape.watch(feats)
        loss = ranking.association_losses(
            feats, rows, tf.constant(cams), tf.constant(np.concatenate(intra)), tf.constant(np.concatenate(cross)),
            anchor_cameras, len(counts), cfg).loss
    got = tape.gradient(loss, feats).numpy()
    step = 1e-6
    expected = np.zeros_like(features)
    for k in np.ndindex(features.shape):
        shifted = [features.copy(), features.copy()]
        shifted[0][k] += step
        shifted[1][k] -= step
        up, down = (np_dal_step(x, cams, idx, intra, cross, False, cfg)["loss"] for x in shifted)
        expected[k] = (up - down) / (2 * step)
    assert np.abs(expected).max() > 0.01
    np.testing.assert_allclose(got, expected, atol=1e-5)
