"""The association rules of dal_tf.association.rules against NumPy references written from each rule's
definition, one tracklet at a time (they share nothing with the TF code but the table layout)."""

import numpy as np
import pytest
import tensorflow as tf

from dal_tf.association import ranking, rules
from dal_tf.association.tables import AnchorTables
from dal_tf.config import ASSOCIATION_RULES, AssociationConfig

TOL = 1e-5
RATIO = 0.7  # --association_ratio in the ratio rules' tests: strict enough to refuse some merges


def np_l2(x):
    return x / np.sqrt(np.maximum(np.sum(x * x, axis=-1, keepdims=True), ranking.L2_EPSILON))


def np_rank1(query, candidates, vectors):
    """The candidate row nearest to query (squared distance, lowest row on ties), or None."""
    candidates = sorted(candidates)
    if not candidates:
        return None
    return candidates[int(np.argmin([np.sum((vectors[j] - query) ** 2) for j in candidates]))]


def np_released_cycle(table, cams, r, started, partner_cameras):
    """The release's cycle for row r: rank-1 among the rows of partner_cameras (never-visited, zero
    rows included, as the release ranks them), then back among r's camera; merged where it returns
    to r, the partner was visited and association has started. Returns the partner or None."""
    unit = np_l2(table)
    p = np_rank1(unit[r], [j for j in range(len(table)) if cams[j] in partner_cameras], unit)
    if p is None or not started or not np.any(table[p] != 0):
        return None
    back = np_rank1(unit[p], [j for j in range(len(table)) if cams[j] == cams[r]], unit)
    return p if back == r else None


def np_camera_debiased(table, cams, rows, started, ratio=None):
    """Each visited row's normalised anchor minus its camera's mean over visited rows, renormalised;
    rows that are not visited (or whose debiased vector is zero) are never ranked. With a ratio
    (debiased_ratio_test), a closed cycle merges only where the rank-1's Euclidean distance among
    the other cameras' debiased anchors is below ratio times the rank-2's."""
    unit = np_l2(table.astype(np.float64))
    visited = np.any(table != 0, axis=1)
    debiased = {}
    for j in np.flatnonzero(visited):
        shifted = unit[j] - unit[visited & (cams == cams[j])].mean(axis=0)
        if np.any(shifted != 0):
            debiased[j] = shifted / np.linalg.norm(shifted)
    values, partners = [], []
    for r in rows:
        p = None
        if started and r in debiased:
            others = sorted((np.linalg.norm(debiased[r] - debiased[j]), j) for j in debiased if cams[j] != cams[r])
            p = np_rank1(debiased[r], [j for _, j in others], debiased)
            if p is not None and np_rank1(debiased[p], [j for j in debiased if cams[j] == cams[r]], debiased) != r:
                p = None
            if p is not None and ratio is not None and not others[0][0] < ratio * (
                    others[1][0] if len(others) > 1 else np.inf):
                p = None
        values.append(unit[r] if p is None else (unit[r] + unit[p]) / 2)
        partners.append(-1 if p is None else p)
    return np.array(values), np.array(partners), {}


def np_ratio_test(table, cams, rows, started, ratio):
    """The cycle among visited anchors, merged only where the rank-1's Euclidean distance is below
    ratio times the rank-2's."""
    unit = np_l2(table.astype(np.float64))
    visited = np.flatnonzero(np.any(table != 0, axis=1))
    values, partners = [], []
    for r in rows:
        others = sorted((np.linalg.norm(unit[r] - unit[j]), j) for j in visited if cams[j] != cams[r])
        p = others[0][1] if started and others else None
        if p is not None:
            back = np_rank1(unit[p], [j for j in visited if cams[j] == cams[r]], unit)
            second = others[1][0] if len(others) > 1 else np.inf
            if back != r or not others[0][0] < ratio * second:
                p = None
        values.append(unit[r] if p is None else (unit[r] + unit[p]) / 2)
        partners.append(-1 if p is None else p)
    return np.array(values), np.array(partners), {}


def np_persistent(table, cams, rows, started, state, visits):
    """The released cycle; a row merges once its cycle closed with the same partner on `visits`
    consecutive visits, and any other visit restarts the count."""
    unit = np_l2(table.astype(np.float64))
    values, partners, candidate, streak = [], [], [], []
    for r in rows:
        p = np_released_cycle(table, cams, r, started, set(cams) - {cams[r]})
        if p is None:
            run, held = 0, -1
        else:
            run = min(state["streak"][r] + 1, visits) if state["candidate"][r] == p else 1
            held = p
        merge = run >= visits
        values.append((unit[r] + unit[p]) / 2 if merge else unit[r])
        partners.append(p if merge else -1)
        candidate.append(held)
        streak.append(run)
    return np.array(values), np.array(partners), dict(candidate=np.array(candidate), streak=np.array(streak))


def np_per_camera(table, cams, rows, started):
    """One released cycle per other camera; the cross anchor averages the row and every partner."""
    unit = np_l2(table.astype(np.float64))
    num_cameras = int(cams.max()) + 1
    values, nearest, all_partners = [], [], []
    for r in rows:
        found = [None if c == cams[r] else np_released_cycle(table, cams, r, started, {c}) for c in range(num_cameras)]
        merged = [p for p in found if p is not None]
        values.append((unit[r] + sum(unit[p] for p in merged)) / (1 + len(merged)))
        nearest.append(np_rank1(unit[r], merged, unit) if merged else -1)
        all_partners.append([-1 if p is None else p for p in found])
    return np.array(values), np.array(nearest), dict(partners=np.array(all_partners))


def make_tables(rng, counts, dim=8, zero_fraction=0.2, shared=6, camera_shift=0.0):
    """An intra table over len(counts) cameras in which `shared` people appear in every camera
    (noisy copies of one vector, each camera shifted by its own offset), so that cycles close."""
    people = rng.normal(size=(shared, dim))
    blocks = []
    for n in counts:
        block = rng.normal(size=(n, dim))
        block[:shared] = people[:n] + 0.3 * rng.normal(size=(min(n, shared), dim))
        blocks.append(block + camera_shift * rng.normal(size=dim))
    table = np.concatenate(blocks).astype(np.float32)
    table[rng.random(len(table)) < zero_fraction] = 0.0
    cams = np.repeat(np.arange(len(counts)), counts).astype(np.int32)
    return table, cams


def batch_rows(rng, table, size=24):
    """A batch's rows: visited ones, as they are once the batch's intra update has run."""
    return rng.choice(np.flatnonzero(np.any(table != 0, axis=1)), size=size)


def tf_rule(name, table, cams, rows, started, state=None, config=AssociationConfig()):
    variables = {k: tf.Variable(v) for k, v in (state or {}).items()}
    update = rules.RULES[name].update(tf.constant(rows, tf.int32), tf.constant(table), tf.constant(cams),
                                      started, variables, config)
    return (update.values.numpy(), update.partner.numpy(),
            {k: v.numpy() for k, v in (update.state or {}).items()})


def assert_update_matches(got, expected):
    np.testing.assert_allclose(got[0], expected[0], atol=TOL)
    np.testing.assert_array_equal(got[1], expected[1])
    assert got[2].keys() == expected[2].keys()
    for name in got[2]:
        np.testing.assert_array_equal(got[2][name], expected[2][name], err_msg=name)


# Each one-step rule: its reference, the cameras' shift in the test tables, and what makes the
# comparison able to fail beyond "it merges".
REFERENCES = {
    "camera_debiased": (lambda table, cams, rows: np_camera_debiased(table, cams, rows, True), 1.0, None),
    # Some of the released rule's merges are refused.
    "ratio_test": (lambda table, cams, rows: np_ratio_test(table, cams, rows, True, RATIO), 0.0,
                   lambda table, cams, rows, partners: np.sum(partners >= 0) < np.sum(
                       tf_rule("released", table, cams, rows, True)[1] >= 0)),
    # Some of camera_debiased's merges are refused.
    "debiased_ratio_test": (lambda table, cams, rows: np_camera_debiased(table, cams, rows, True, RATIO), 1.0,
                            lambda table, cams, rows, partners: np.sum(partners >= 0) < np.sum(
                                tf_rule("camera_debiased", table, cams, rows, True)[1] >= 0)),
    # With three cameras or more, some row has several partners.
    "per_camera": (lambda table, cams, rows: np_per_camera(table, cams, rows, True), 0.0,
                   lambda table, cams, rows, partners: cams.max() < 2 or np.max(np.sum(
                       np_per_camera(table, cams, rows, True)[2]["partners"] >= 0, axis=1)) >= 2),
}


def test_registry_names_are_the_flag_choices():
    assert tuple(rules.RULES) == ASSOCIATION_RULES
    assert rules.RULES["released"].update is ranking.updated_cross_anchors


@pytest.mark.parametrize("rule", sorted(REFERENCES))
@pytest.mark.parametrize("counts", [[12, 15], [9, 7, 11], [6, 8, 5, 7, 9]])
@pytest.mark.parametrize("block_rows", [5, ranking.TABLE_BLOCK_ROWS])
def test_rule_matches_numpy(monkeypatch, rule, counts, block_rows):
    monkeypatch.setattr(ranking, "TABLE_BLOCK_ROWS", block_rows)
    reference, camera_shift, guard = REFERENCES[rule]
    rng = np.random.default_rng(len(counts))
    table, cams = make_tables(rng, counts, camera_shift=camera_shift)
    rows = batch_rows(rng, table)
    expected = reference(table, cams, rows)
    assert np.sum(expected[1] >= 0) >= 3  # merges happen
    assert guard is None or guard(table, cams, rows, expected[1])
    state = {name: value.numpy() for name, value in rules.RULES[rule].initial_state(len(table), len(counts)).items()}
    config = AssociationConfig(association=rule, association_ratio=RATIO)
    assert_update_matches(tf_rule(rule, table, cams, rows, True, state, config), expected)
    assert np.all(tf_rule(rule, table, cams, rows, False, state, config)[1] == -1)  # not before the warm-up's end


def test_camera_debiased_with_a_single_visited_anchor_in_a_camera():
    """That anchor's debiased vector is zero: it is never ranked, and never merged."""
    rng = np.random.default_rng(7)
    table, cams = make_tables(rng, [6, 5], zero_fraction=0.0)
    table[6:10] = 0.0  # camera 1 keeps one visited row, 10
    rows = np.arange(11)
    expected = np_camera_debiased(table, cams, rows, True)
    assert np.all(expected[1] == -1)
    assert_update_matches(tf_rule("camera_debiased", table, cams, rows, True), expected)


def test_camera_debiased_finds_the_people_the_camera_bias_hides():
    """Camera 1's bias points along person 0's feature (its colour cast is that person's shirt), so
    every camera-1 anchor's rank-1 in camera 0 is person 0 and only person 0's cycle closes. With
    each camera's mean removed the two cameras' anchors of a person coincide."""
    people = np.eye(8)[:4]
    table = np.concatenate([people, people + 1.5 * people[0]]).astype(np.float32)
    cams = np.repeat([0, 1], 4).astype(np.int32)
    rows = np.arange(8)
    np.testing.assert_array_equal(tf_rule("released", table, cams, rows, True)[1], [4, -1, -1, -1, 0, -1, -1, -1])
    np.testing.assert_array_equal(tf_rule("camera_debiased", table, cams, rows, True)[1], [4, 5, 6, 7, 0, 1, 2, 3])


@pytest.mark.parametrize("block_rows", [3, 4, 100])
def test_nearest_table_rows_gives_the_two_nearest_in_blocks(monkeypatch, block_rows):
    """10 rows in blocks of 3 and 4 (the last block overlaps the one before) or one block; a tie, a
    query with one allowed row and one with none."""
    monkeypatch.setattr(ranking, "TABLE_BLOCK_ROWS", block_rows)
    rng = np.random.default_rng(6)
    table = rng.normal(size=(10, 5))
    table[8] = 2.0 * table[3]  # the same direction as row 3
    queries = np_l2(rng.normal(size=(4, 5)))
    queries[0] = np_l2(table[3])
    allowed = rng.random((4, 10)) < 0.7
    allowed[0, [3, 8]] = True
    allowed[2] = np.arange(10) == 6
    allowed[3] = False
    distances = np.where(allowed, np.sum((queries[:, None] - np_l2(table)[None]) ** 2, axis=2), np.inf)
    order = np.argsort(distances, axis=1, kind="stable")[:, :2]
    got_distances, got_rows = ranking.nearest_table_rows(
        tf.constant(queries, tf.float32), tf.constant(table, tf.float32),
        lambda rows: tf.gather(tf.constant(allowed), rows, axis=1), k=2)
    np.testing.assert_allclose(got_distances.numpy(), np.take_along_axis(distances, order, axis=1), atol=1e-5)
    assert got_rows.numpy()[:3].tolist() == order[:3].tolist()
    assert got_rows.numpy()[0].tolist() == [3, 8]


def test_persistent_over_visits_matches_numpy():
    """Eight steps on changing tables: runs of consistent visits build up, merge at the third and are
    released as soon as a visit does not close the cycle or closes it with another partner."""
    rng = np.random.default_rng(3)
    table, cams = make_tables(rng, [7, 9, 6], zero_fraction=0.0)
    config = AssociationConfig(association="persistent", association_visits=3)
    state = dict(candidate=-np.ones(len(table), np.int32), streak=np.zeros(len(table), np.int32))
    merged_steps, released_merges = 0, 0
    for step in range(8):
        rows = np.unique(rng.integers(0, len(table), size=12)).astype(np.int32)
        table[rows] += 0.15 * rng.normal(size=(len(rows), table.shape[1])).astype(np.float32)
        expected = np_persistent(table, cams, rows, step > 0, state, 3)
        got = tf_rule("persistent", table, cams, rows, step > 0, state, config)
        assert_update_matches(got, expected)
        was_merged = state["streak"][rows] >= 3
        for name, values in expected[2].items():
            state[name][rows] = values
        merged_steps += np.any(expected[1] >= 0)
        released_merges += np.sum(was_merged & (expected[1] < 0))
    assert merged_steps >= 3 and released_merges >= 1  # both merging and releasing were exercised


def test_persistent_with_one_visit_is_released():
    rng = np.random.default_rng(4)
    table, cams = make_tables(rng, [8, 10])
    rows = batch_rows(rng, table, 16)
    state = dict(candidate=-np.ones(len(table), np.int32), streak=np.zeros(len(table), np.int32))
    got = tf_rule("persistent", table, cams, rows, True, state, AssociationConfig(association_visits=1))
    released = tf_rule("released", table, cams, rows, True)
    np.testing.assert_array_equal(got[0], released[0])
    np.testing.assert_array_equal(got[1], released[1])
    assert np.any(released[1] >= 0)


def test_per_camera_with_two_cameras_is_released_bit_for_bit():
    rng = np.random.default_rng(5)
    table, cams = make_tables(rng, [12, 15])
    rows = batch_rows(rng, table)
    state = dict(partners=-np.ones((len(table), 2), np.int32))
    got = tf_rule("per_camera", table, cams, rows, True, state)
    released = tf_rule("released", table, cams, rows, True)
    np.testing.assert_array_equal(got[0], released[0])
    np.testing.assert_array_equal(got[1], released[1])
    assert np.any(released[1] >= 0)


@pytest.mark.parametrize("rule", ["persistent", "per_camera"])
def test_rule_state_is_checkpointed_and_restored_one_table_at_a_time(tmp_path, rule):
    from dal_tf.runs.checkpoints import ANCHORS, restore_anchor_tables

    tables = AnchorTables([4, 5, 3], 6, rule)
    assert tables.state  # both rules keep state
    for variable in tables.state.values():
        variable.assign(tf.random.stateless_uniform(variable.shape, [1, 2], 0, 9, tf.int32))
    path = tf.train.Checkpoint(**{ANCHORS: tables}).save(str(tmp_path / "ckpt"))
    names = [name for name, _ in tf.train.list_variables(path) if name.startswith(f"{ANCHORS}/state/")]
    assert len(names) == len(tables.state)
    restored = AnchorTables([4, 5, 3], 6, rule)
    restore_anchor_tables(restored, path)
    for name, variable in tables.state.items():
        np.testing.assert_array_equal(restored.state[name].numpy(), variable.numpy())


def test_released_keeps_no_state_so_its_checkpoints_are_unchanged(tmp_path):
    from dal_tf.runs.checkpoints import ANCHORS

    path = tf.train.Checkpoint(**{ANCHORS: AnchorTables([4, 5], 6)}).save(str(tmp_path / "ckpt"))
    assert sorted(name for name, _ in tf.train.list_variables(path) if name.startswith(ANCHORS)) == [
        f"{ANCHORS}/{name}/.ATTRIBUTES/VARIABLE_VALUE" for name in ("cross", "cross_partner", "intra")]


def test_monitor_counts_every_partner_of_a_row():
    """per_camera: row 0 merged with rows 4 (same person) and 7 (another); row 5 with row 0."""
    from dal_tf.association.model import DALModel

    backbone = tf.keras.Sequential([tf.keras.Input((4,)), tf.keras.layers.Dense(3)])
    ids = np.array([1, 2, 3, 4, 1, 1, 6, 7, 8])
    model = DALModel(backbone, [4, 3, 2], AssociationConfig(association="per_camera"), warmup_steps=0,
                     anchor_person_ids=ids)
    partners = -np.ones((9, 3), np.int32)
    partners[0, 1], partners[0, 2], partners[5, 0] = 4, 7, 0
    model.anchors.state["partners"].assign(partners)
    monitor = model.association_monitor()
    assert float(monitor["merged_share"]) == pytest.approx(2 / 9)
    assert float(monitor["true_match_share"]) == pytest.approx(2 / 3)
