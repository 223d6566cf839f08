"""--augment: the draws against their definition, apply() against a NumPy rendering of the same
draws, and the stream's determinism over a resume."""

import numpy as np
import pytest
import tensorflow as tf

from dal_tf.datasets import augmentation, input_pipeline
from dal_tf.config import DataConfig
from dal_tf.datasets import registry

H, W = 64, 32


def numpy_apply(image: np.ndarray, d) -> np.ndarray:
    """Flip, pad with black (-1), crop at the drawn corner, fill the box with the mean colour."""
    d = {k: np.asarray(v).item() for k, v in d._asdict().items()}
    pad = int(round(10 * H / 256))
    out = image[:, ::-1] if d["flip"] else image
    out = np.pad(out, [(pad, pad), (pad, pad), (0, 0)], constant_values=-1.0)
    out = out[d["crop_top"]:d["crop_top"] + H, d["crop_left"]:d["crop_left"] + W].copy()
    if d["erase"]:
        box = (slice(d["erase_top"], d["erase_top"] + d["erase_height"]),
               slice(d["erase_left"], d["erase_left"] + d["erase_width"]))
        out[box] = np.array([0.485, 0.456, 0.406]) * 2 - 1
    return out


def test_apply_matches_numpy_for_every_draw():
    image = np.random.default_rng(0).uniform(-1, 1, (H, W, 3)).astype(np.float32)
    seen = set()
    for position in range(40):
        d = augmentation.draws(3, position, H, W)
        seen.add((bool(d.flip), bool(d.erase)))
        np.testing.assert_allclose(augmentation.apply(tf.constant(image), d).numpy(), numpy_apply(image, d),
                                   atol=1e-6)
    assert seen == {(False, False), (False, True), (True, False), (True, True)}


def test_draws_follow_the_recipe():
    pad = augmentation.padding(H)
    count = 400
    draws = [augmentation.draws(0, p, H, W) for p in range(count)]
    flips = np.mean([bool(d.flip) for d in draws])
    erased = [d for d in draws if bool(d.erase)]
    assert 0.4 < flips < 0.6 and 0.4 < len(erased) / count < 0.6  # p = 0.5 each, 400 draws: 5 std wide
    crops = np.array([[int(d.crop_top), int(d.crop_left)] for d in draws])
    assert crops.min() == 0 and crops.max() == 2 * pad  # every offset of the padded frame is reachable
    for d in erased:
        top, left, height, width = (int(v) for v in (d.erase_top, d.erase_left, d.erase_height, d.erase_width))
        assert 0 < height < H and 0 < width < W and top >= 0 and left >= 0
        assert top + height <= H and left + width <= W
        assert 0.02 * H * W * 0.6 <= height * width <= 0.4 * H * W * 1.4  # rounding of small boxes
    same = augmentation.draws(0, 7, H, W)
    assert all(np.array_equal(a, b) for a, b in zip(same, draws[7]))
    other_seed = [augmentation.draws(1, p, H, W) for p in range(20)]
    assert any(int(a.crop_top) != int(b.crop_top) for a, b in zip(other_seed, draws[:20]))


@pytest.mark.parametrize("augment", [False, True])
def test_stream_resumes_exactly(tiny_synthetic_root, augment):
    """Batches 3-4 of a stream started at step 2 are those of one started at 0; with --augment
    they differ from the plain stream's only by the augmentation."""
    train = registry.load(DataConfig(data_dir=tiny_synthetic_root)).train

    def batches(first_step, count, augment_):
        dataset = input_pipeline.training_dataset(train, 8, H, W, seed=5, first_step=first_step, augment=augment_)
        return [b[0].numpy() for b in dataset.take(count)]

    full, resumed = batches(0, 4, augment), batches(2, 2, augment)
    np.testing.assert_array_equal(full[2], resumed[0])
    np.testing.assert_array_equal(full[3], resumed[1])
    plain = batches(0, 1, False)[0]
    if augment:
        expected = [augmentation.augmented(tf.constant(x), 5, k).numpy() for k, x in enumerate(plain)]
        np.testing.assert_allclose(full[0], np.stack(expected), atol=1e-6)
        assert not np.allclose(full[0], plain)
    else:
        np.testing.assert_array_equal(full[0], plain)
