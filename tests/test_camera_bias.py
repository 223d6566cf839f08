"""dal_tf.people.camera_bias against a hand-computed case and its definition."""

import numpy as np
import pytest

from dal_tf.people.camera_bias import debiased


def test_hand_case():
    # camera 0: (1, 0) and (0, 1), mean (0.5, 0.5): shifted to (0.5, -0.5) and (-0.5, 0.5);
    # camera 1 one tracklet (3, 4): only normalised
    out = debiased(np.array([[1.0, 0], [0, 2], [3, 4]]), np.array([0, 0, 1]))
    h = np.sqrt(0.5)
    np.testing.assert_allclose(out, [[h, -h], [-h, h], [0.6, 0.8]])


def test_removes_a_shift_shared_by_a_camera():
    # the same six people in two cameras, camera 1 adding one shift to every feature: after
    # debiasing, each person's two features are closer than before (cosine similarity)
    rng = np.random.default_rng(0)
    people = rng.normal(size=(6, 5))
    people /= np.linalg.norm(people, axis=1, keepdims=True)
    shifted = people + rng.normal(size=5)
    shifted /= np.linalg.norm(shifted, axis=1, keepdims=True)
    out = debiased(np.concatenate([people, shifted]), np.repeat([0, 1], 6))
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), 1)
    same = np.sum(out[:6] * out[6:], axis=1)
    assert same.mean() > np.sum(people * shifted, axis=1).mean()


@pytest.mark.parametrize("seed", [1, 2])
def test_equals_its_definition(seed):
    rng = np.random.default_rng(seed)
    x, cameras = rng.normal(size=(30, 4)) * 3, rng.integers(0, 3, 30)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    expected = np.array([u - unit[cameras == c].mean(0) for u, c in zip(unit, cameras)])
    np.testing.assert_allclose(debiased(x, cameras), expected / np.linalg.norm(expected, axis=1, keepdims=True))
