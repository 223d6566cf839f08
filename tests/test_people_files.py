"""dal_tf.people.files and the multi-camera ID scores, on hand-made inputs."""

import numpy as np
import pytest

from dal_tf.people import files
from dal_tf.tracking.extraction import TRACKS_COLUMNS
from dal_tf.utils.errors import UserInputError

pytest.importorskip("motmetrics")


def write_tracks(root, rows):
    lines = [",".join(TRACKS_COLUMNS)] + [",".join(map(str, r)) for r in rows]
    (root / "tracks.csv").write_text("\n".join(lines) + "\n")


def crop(root, path):
    (root / path).parent.mkdir(parents=True, exist_ok=True)
    (root / path).write_bytes(b"")


def test_tracks_csv_per_tracklet_spans_and_box_files(tmp_path):
    rows = [("a", 2, 7, "a/0002/000007.jpg", "a.avi", 10, 20, 5, 9), ("a", 2, 3, "a/0002/000003.jpg", "a.avi", 1, 2, 3, 4),
            ("c041", 1, 5, "c041/0001/000005.jpg", "c.avi", 0, 0, 8, 8)]
    for r in rows:
        crop(tmp_path, r[3])
    write_tracks(tmp_path, rows)
    tracks = files.read_tracks_csv(str(tmp_path))
    assert tracks["a/0002"].frames.tolist() == [3, 7] and tracks["a/0002"].boxes[0].tolist() == [1, 2, 3, 4]
    names = ["a/0002", "c041/0001", "a/0009"]
    first, last = files.spans(names, tracks)
    assert first.tolist() == [3, 5, -1] and last.tolist() == [7, 5, -1]
    boxes = files.box_rows(names, np.array([4, 4, 1]), tracks)
    assert files.mot_texts(boxes) == {"a": "3,4,1,2,3,4,1,-1,-1,-1\n7,4,10,20,5,9,1,-1,-1,-1\n",
                                             "c041": "5,4,0,0,8,8,1,-1,-1,-1\n"}
    ids = files.camera_ids(["a", "c041"])
    assert ids == {"a": 1, "c041": 2}  # "a" has no number: positions
    assert files.camera_ids(["c041", "c042"]) == {"c041": 41, "c042": 42}
    assert files.aicity_text(boxes, ids).splitlines()[2] == "2 4 5 0 0 8 8 -1 -1"


def test_tracks_csv_naming_a_missing_crop_is_refused(tmp_path):
    write_tracks(tmp_path, [("a", 1, 1, "a/0001/000001.jpg", "a.avi", 0, 0, 1, 1)])
    with pytest.raises(UserInputError, match=r"tracks.csv:2: crop a/0001/000001.jpg is not in --data_dir"):
        files.read_tracks_csv(str(tmp_path))


def test_multi_camera_id_scores_hand_case():
    from dal_tf.tracking.scores import multi_camera_id_scores

    box = [0, 0, 10, 10]
    truth = {"a": np.array([[1, 1, *box], [2, 1, *box]], float), "b": np.array([[1, 1, *box]], float)}
    # person 1 keeps id 5 in camera a but is 6 in camera b: 2 of its 3 boxes are under its best id
    hypotheses = {"a": np.array([[1, 5, *box], [2, 5, *box]], float), "b": np.array([[1, 6, *box]], float)}
    scores = multi_camera_id_scores(truth, hypotheses)
    assert scores == pytest.approx(dict(idf1=2 / 3, idp=2 / 3, idr=2 / 3))
    same = multi_camera_id_scores(truth, {"a": hypotheses["a"], "b": np.array([[1, 5, *box]], float)})
    assert same == pytest.approx(dict(idf1=1.0, idp=1.0, idr=1.0))


def test_score_row_against_a_hand_case():
    """Person A is seen by cam1 and cam2, B by cam1 only; the people found join A's cam2 tracklet
    with B. Pairwise: no true pair found, one missed, one false: precision = recall = F1 = 0.
    BCubed precision and recall are both (1 + 1/2 + 1/2) / 3 = 2/3. Over the joined sequence the
    truth has 8 boxes of A and 4 of B, the hypothesis 4 of id 1 and 8 of id 2; the best one-to-one
    id map (A-1, B-2) matches 4 + 4 boxes, so IDF1 = 2 * 8 / (12 + 12) = 2/3 and IDP = IDR = 8/12."""
    from types import SimpleNamespace

    from dal_tf.people.score_table import row

    frames = np.arange(1, 5)
    at = {"A": [0, 0, 10, 20], "B": [100, 0, 10, 20]}
    names = ["cam1/0001", "cam1/0002", "cam2/0001"]
    tracks = {name: files.TrackletBoxes(frames, np.array([at[who]] * 4), name.split("/")[0] + ".avi")
              for name, who in zip(names, "ABA")}
    footage = SimpleNamespace(names=names, truth=np.array([0, 1, 0]), tracks=tracks)
    truth_boxes = {"cam1": np.array([(f, 1, *at["A"]) for f in frames] + [(f, 2, *at["B"]) for f in frames], float),
                   "cam2": np.array([(f, 1, *at["A"]) for f in frames], float)}
    scores = row("trained", "hand", 0.5, np.array([1, 2, 2]), footage, truth_boxes)
    assert scores["pairwise precision"] == scores["pairwise recall"] == scores["pairwise F1"] == 0
    assert np.isclose(scores["BCubed F1"], 2 / 3) and scores["people found"] == scores["true people"] == 2
    assert np.allclose([scores["IDF1"], scores["IDP"], scores["IDR"]], [2 / 3, 8 / 12, 8 / 12])
