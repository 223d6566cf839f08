"""Frames are resized as the release does: TF1 resize_bilinear(align_corners=False), no half-pixel centres."""

import numpy as np
import pytest
import tensorflow as tf

from dal_tf.datasets import input_pipeline


def legacy_bilinear(image: np.ndarray, height: int, width: int) -> np.ndarray:
    """Output pixel (y, x) samples the input at (y * in_h / height, x * in_w / width), clamped."""
    in_h, in_w = image.shape[:2]

    def taps(size_in, size_out):
        source = np.arange(size_out) * (size_in / size_out)
        low = np.floor(source).astype(int)
        return low, np.minimum(low + 1, size_in - 1), (source - low)

    y0, y1, wy = taps(in_h, height)
    x0, x1, wx = taps(in_w, width)
    wx = wx[None, :, None]
    top = image[y0][:, x0] * (1 - wx) + image[y0][:, x1] * wx
    bottom = image[y1][:, x0] * (1 - wx) + image[y1][:, x1] * wx
    return top * (1 - wy[:, None, None]) + bottom * wy[:, None, None]


@pytest.mark.parametrize("size", [(224, 112), (5, 3), (13, 7)])
def test_prepare_frames_is_the_legacy_bilinear_resize_in_minus_one_to_one(size):
    frames = np.random.default_rng(0).integers(0, 256, (2, 13, 7, 3), dtype=np.uint8)
    expected = np.stack([(legacy_bilinear(f / 255.0, *size) - 0.5) * 2 for f in frames])
    np.testing.assert_allclose(input_pipeline.prepare_frames(frames, *size), expected, atol=1e-5)  # float32 grid
    np.testing.assert_allclose(input_pipeline.prepare_frames(frames[0], *size), expected[0], atol=1e-5)


def test_legacy_grid_differs_from_half_pixel_centres():
    image = np.random.default_rng(1).uniform(0, 1, (13, 7, 3)).astype(np.float32)
    legacy = input_pipeline.legacy_resize(tf.constant(image), 224, 112).numpy()
    np.testing.assert_allclose(legacy, legacy_bilinear(image, 224, 112), atol=1e-5)
    assert np.abs(legacy - tf.image.resize(image, (224, 112)).numpy()).max() > 0.05


def test_prepare_frames_refuses_float_frames():
    with pytest.raises(TypeError, match="uint8"):
        input_pipeline.prepare_frames(np.zeros((4, 4, 3), np.float32), 8, 8)
