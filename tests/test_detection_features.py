"""DeepSORT's detection rows and the per-line features of data_prep.features, on hand-made frames
and boxes."""

import cv2
import numpy as np
import pytest

from dal_tf.deploy import detection_features as df
from dal_tf.tracking.frames import CameraFrames
from dal_tf.tracking.mot import read_detections
from dal_tf.utils.errors import UserInputError


def test_deepsort_rows_are_the_ten_mot_columns_then_the_feature():
    rows = np.array([[3, -1, 10, 20, 5, 6, 0.9, -1, -1, -1]])
    out = df.deepsort_rows(rows, np.array([[0.6, 0.8]], np.float32))
    # nwojke/deep_sort generate_detections: np.r_[(row, feature)] for each det.txt row, float32
    assert out.dtype == np.float32 and out.tolist() == [[3, -1, 10, 20, 5, 6, np.float32(0.9), -1, -1, -1,
                                                        np.float32(0.6), np.float32(0.8)]]
    assert df.mot_text(rows) == "3,-1,10,20,5,6,0.9,-1,-1,-1\n"


def test_detections_keep_ids_of_minus_one_and_pad_to_ten_columns(tmp_path):
    path = tmp_path / "det.txt"
    path.write_text("1,-1,10,20,5,6,0.5\n\n2,7,0,0,3,3,0,1,1,1,99\n")
    rows, lines = read_detections(str(path), "--tracks=a")
    assert rows.tolist() == [[1, -1, 10, 20, 5, 6, 0.5, -1, -1, -1], [2, 7, 0, 0, 3, 3, 0, 1, 1, 1]]
    assert lines.tolist() == [1, 3]


def test_box_features_crop_each_box_in_its_frame(tmp_path):
    # three 48x64 frames, each one colour (BGR on disk); the embedding is the crop's mean RGB
    colours = [(0, 0, 255), (0, 255, 0), (255, 0, 0)]  # red, green, blue frames
    for number, colour in enumerate(colours, 1):
        cv2.imwrite(str(tmp_path / f"{number:04d}.png"), np.full((48, 64, 3), colour, np.uint8))
    rows = np.array([[3, 1, 60, 40, 10, 10], [1, 2, 0, 0, 8, 8], [2, 3, 100, 100, 5, 5], [1, 4, 5, 5, 20, 30]],
                    np.float64)
    embed = lambda x: np.asarray(x, np.float32).mean(axis=(1, 2)) / 255  # noqa: E731
    features, outside = df.box_features(CameraFrames(str(tmp_path), "--video=a"), rows, embed, 16, 8, 2)
    # row order kept; the box in frame 3 is clipped to the image; frame 2's lies outside: zeros
    np.testing.assert_allclose(features, [[0, 0, 1], [1, 0, 0], [0, 0, 0], [1, 0, 0]], atol=1e-6)
    assert outside == 1


def test_a_box_beyond_the_video_is_refused(tmp_path):
    cv2.imwrite(str(tmp_path / "0001.png"), np.zeros((8, 8, 3), np.uint8))
    with pytest.raises(UserInputError, match="a box names frame 5, but the video has 1 frames"):
        df.box_features(CameraFrames(str(tmp_path), "--video=a"), np.array([[5, 1, 0, 0, 2, 2.0]]),
                        lambda x: np.zeros((len(x), 2)), 4, 4, 8)
