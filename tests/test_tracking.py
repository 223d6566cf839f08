"""From video to tracklets: the detector's blobs, the tracker, MOTChallenge files, scores with
motmetrics, and cropping tracks (given or built in) from the synthetic multi-camera videos."""

import csv
import os

import cv2
import numpy as np
import pytest

from dal_tf.config import CameraVideos, SyntheticVideoConfig, TrackletsConfig
from dal_tf.datasets.synthetic.videos import write_videos
from dal_tf.tracking import scores
from dal_tf.tracking.detector import blobs
from dal_tf.tracking.extraction import TRACKS_CSV, clipped, extract
from dal_tf.tracking.mot import read_tracks
from dal_tf.tracking.tracker import IouTracker, iou
from dal_tf.utils.errors import UserInputError

pytest.importorskip("motmetrics")

# The test videos: 5 people through 2 views, 80 frames of 320x180. What the built-in detector and
# tracker must recover of them: they reach MOTA 0.62 and IDF1 0.57 overall (rendering and
# detection are deterministic; the margin is for other OpenCV builds' video decoding).
VIDEOS = dict(people=5, frames=80)
MIN_MOTA, MIN_IDF1 = 0.55, 0.50


@pytest.fixture(scope="module")
def videos(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("videos") / "videos")
    write_videos(SyntheticVideoConfig(out=out, **VIDEOS))
    return out


def inputs(videos, files=()):
    """TrackletsConfig's camera fields: both videos, and their ground truth as each of `files`."""
    cameras = ("cam1", "cam2")
    given = {name: tuple(f"{c}={videos}/{c}.gt.txt" for c in cameras) for name in files}
    ground_truth = given.pop("ground_truth", ())
    return dict(cameras=CameraVideos(video=tuple(f"{c}={videos}/{c}.avi" for c in cameras), **given),
                ground_truth=ground_truth)


def test_iou_by_hand():
    a = [[0, 0, 10, 10]]
    b = [[5, 0, 10, 10], [20, 20, 5, 5], [0, 0, 10, 10]]
    np.testing.assert_allclose(iou(a, b), [[50 / 150, 0.0, 1.0]])


def test_tracker_keeps_identities_through_a_merged_crossing():
    tracker = IouTracker()
    ids = []
    for frame in range(14):
        a = [10 + 4 * frame, 20, 10, 30]  # walks right
        b = [70 - 4 * frame, 22, 10, 30]  # walks left
        if 6 <= frame <= 8:  # the two blobs are one
            left, right = min(a[0], b[0]), max(a[0], b[0]) + 10
            ids.append(tracker.update([[left, 20, right - left, 32]]))
        else:
            ids.append(dict(zip(("a", "b"), tracker.update([a, b]))))
    assert ids[0] == dict(a=1, b=2) and ids[5] == dict(a=1, b=2)
    assert ids[9] == dict(a=1, b=2) and ids[13] == dict(a=1, b=2)


def test_tracker_ends_a_track_unseen_for_longer_than_max_missed():
    tracker = IouTracker(max_missed=2)
    assert tracker.update([[0, 0, 10, 20]]) == [1]
    for _ in range(3):
        tracker.update([])
    assert tracker.update([[0, 0, 10, 20]]) == [2]


def test_blobs_joins_a_split_body_and_drops_specks():
    mask = np.zeros((100, 100), np.uint8)
    mask[10:40, 10:20] = 255  # upper body
    mask[42:70, 10:20] = 255  # legs, 2 pixels below
    mask[10:15, 60:64] = 255  # a speck
    mask[50:90, 70:82] = 127  # what another model calls shadow: not foreground
    np.testing.assert_array_equal(blobs(mask, min_height=40, min_width=8), [[10, 10, 10, 60]])


def test_clipping_by_hand():
    assert clipped([-3.5, 10.2, 10, 10], 20, 30) == (0, 10, 7, 10)
    assert clipped([25, 15, 10, 10], 20, 30) == (25, 15, 5, 5)
    assert clipped([40, 0, 5, 5], 20, 30)[2] == 0


@pytest.mark.parametrize("text, message", [
    ("1,1,0,0,10,20\n1,2,x,0,10,20\n", r"t\.txt:2: expected numbers"),
    ("1,1,0,0,10\n", r"t\.txt:1: expected at least 6 values"),
    ("0,1,0,0,10,20\n", r"t\.txt:1: the frame must be a whole number from 1"),
    ("1,-1,0,0,10,20,0.9\n", r"t\.txt:1: the track id must be a whole number from 1"),
    ("1,1,0,0,0,20\n", r"t\.txt:1: the box needs"),
    ("1,1,0,0,10,20\n\n1,1,5,0,10,20\n", r"t\.txt:3: track 1 has a second box in frame 1 \(the first is on line 1\)"),
    ("1,1,0,0,10,20,0\n", r"holds no tracks"),
])
def test_bad_track_files_name_the_line(tmp_path, text, message):
    (tmp_path / "t.txt").write_text(text)
    with pytest.raises(UserInputError, match=message):
        read_tracks(str(tmp_path / "t.txt"), "--tracks=a=t.txt")


def test_track_files_skip_ignored_boxes(tmp_path):
    (tmp_path / "t.txt").write_text("1,3,1.5,2,10,20,1,1,0.5\n2,3,3,2,10,20,0,1,1\n2,4,3,2,10,20,-1,-1,-1,-1\n")
    tracks, lines = read_tracks(str(tmp_path / "t.txt"), "--tracks")
    np.testing.assert_array_equal(tracks, [[1, 3, 1.5, 2, 10, 20], [2, 4, 3, 2, 10, 20]])
    np.testing.assert_array_equal(lines, [1, 3])


def test_scores_by_hand():
    # Two people over three frames. Track 10 follows person 1 throughout; track 20 follows person 2
    # in frame 1, is lost in frame 2 (a miss), and comes back shifted off person 2 in frame 3 (a
    # false positive and a miss). Boxes overlap their person by IoU 1.
    truth = np.array([[f, p, 100 * p, 0, 10, 20] for f in (1, 2, 3) for p in (1, 2)], np.float64)
    tracks = np.array([[1, 10, 100, 0, 10, 20], [2, 10, 100, 0, 10, 20], [3, 10, 100, 0, 10, 20],
                       [1, 20, 200, 0, 10, 20], [3, 20, 205, 0, 10, 20]], np.float64)
    accumulator = scores.accumulate(truth, tracks)
    table = scores.scores({"a": accumulator})
    # MOTA = 1 - (misses 2 + false positives 1 + switches 0) / 6; IDF1 = 2 IDTP / (gt + hyp) = 8 / 11.
    assert table["a"]["mota"] == pytest.approx(0.5) and table["a"]["idf1"] == pytest.approx(8 / 11)
    assert table["overall"]["num_objects"] == 6
    assert scores.track_identities(accumulator) == {10: 1, 20: 2}


def test_given_tracks_are_cropped_exactly(videos, tmp_path):
    out = str(tmp_path / "out")
    summary = extract(TrackletsConfig(out=out, **inputs(videos, files=("tracks",)), min_length=5, frame_stride=2),
                      log=lambda _: None)
    truth, _ = read_tracks(f"{videos}/cam1.gt.txt", "gt")
    expected = [(int(f), int(p), int(x), int(y), int(w), int(h)) for f, p, x, y, w, h in truth
                if (f - 1) % 2 == 0 and w >= 16 and h >= 40]
    ids, counts = np.unique([e[1] for e in expected], return_counts=True)
    expected = [e for e in expected if counts[list(ids).index(e[1])] >= 5]
    with open(os.path.join(out, TRACKS_CSV)) as handle:
        rows = [r for r in csv.DictReader(handle) if r["camera"] == "cam1"]
    assert sorted((int(r["frame"]), int(r["track"]), int(r["x"]), int(r["y"]), int(r["w"]), int(r["h"]))
                  for r in rows) == sorted(expected)
    assert summary["cam1"]["crops"] == len(expected)
    assert sorted(os.listdir(os.path.join(out, "cam1"))) == [f"{p:04d}" for p in sorted({e[1] for e in expected})]
    frames = {}
    capture = cv2.VideoCapture(f"{videos}/cam1.avi")
    for number in range(1, VIDEOS['frames'] + 1):
        frames[number] = capture.read()[1]
    def as_jpeg(image):  # the crops are JPEGs of quality 95: the same pixels, encoded the same way
        return cv2.imdecode(cv2.imencode(".jpg", image, [cv2.IMWRITE_JPEG_QUALITY, 95])[1], cv2.IMREAD_COLOR)

    for row in rows[::5]:
        x, y, w, h = (int(row[k]) for k in "xywh")
        crop = cv2.imread(os.path.join(out, row["crop"]))
        frame = frames[int(row["frame"])]
        np.testing.assert_array_equal(crop, as_jpeg(frame[y:y + h, x:x + w]))
        assert not np.array_equal(crop, as_jpeg(frame[y:y + h, x + 1:x + 1 + w]))


def test_built_in_detector_and_tracker_recover_the_ground_truth(videos, tmp_path):
    out = str(tmp_path / "out")
    lines = []
    summary = extract(TrackletsConfig(out=out, **inputs(videos, files=("ground_truth",))), log=lines.append)
    overall = summary["scores"]["overall"]
    assert overall["mota"] >= MIN_MOTA and overall["idf1"] >= MIN_IDF1, overall
    assert any("\n| overall | " in line for line in lines)
    with open(os.path.join(out, "identities.csv")) as handle:
        identities = list(csv.DictReader(handle))
    tracklets = {f"{c}/{t}" for c in ("cam1", "cam2") for t in os.listdir(os.path.join(out, c))}
    assert {f"{r['camera']}/{r['tracklet']}" for r in identities} <= tracklets
    people_per_camera = [{r["person"] for r in identities if r["camera"] == c} for c in ("cam1", "cam2")]
    assert len(people_per_camera[0] & people_per_camera[1]) >= 3  # most people are found in both views


def test_output_is_all_or_nothing(videos, tmp_path):
    out = tmp_path / "out"
    bad = tmp_path / "late.txt"  # a track in a frame after the video's last
    bad.write_text(open(f"{videos}/cam2.gt.txt").read() + f"{VIDEOS['frames'] + 5},1,0,0,20,50,1,1,1\n")
    config = TrackletsConfig(out=str(out), cameras=CameraVideos(
        video=(f"cam1={videos}/cam1.avi", f"cam2={videos}/cam2.avi"), tracks=(f"cam1={videos}/cam1.gt.txt", f"cam2={bad}")))
    line = len(open(bad).read().splitlines())
    with pytest.raises(UserInputError, match=f"the tracks file's line {line} names frame {VIDEOS['frames'] + 5}, but "
                                             f"the video has {VIDEOS['frames']} frames"):
        extract(config, log=lambda _: None)
    assert not out.exists() and os.listdir(tmp_path) == ["late.txt"]
