"""--dataset=folders: users' own tracklets, DIR/<camera>/<tracklet>/<frames>, with or without
identities, read as they are or prepared."""

import os
import shutil

import cv2
import numpy as np
import pytest

from dal_tf.association import merges
from dal_tf.config import DataConfig, PrepareConfig
from dal_tf.datasets import registry
from dal_tf.datasets.folders_layout import person_id, tracklet_name
from dal_tf.datasets.preparation import prepare
from dal_tf.utils.errors import UserInputError

# camera -> tracklet -> (frames, person or None)
LAYOUT = {
    "cam2": {"t10": (3, "ann"), "t9": (2, "bob"), "t1": (1, None)},
    "cam10": {"a": (4, "ann"), "b": (2, "bob"), "c": (2, "cy")},
    "cam1": {"x": (3, "cy"), "y": (2, "dan")},
}


def make_folders(root, layout=LAYOUT, identities=True, extra=True):
    rng = np.random.default_rng(0)
    rows = ["camera,tracklet,person"]
    for camera, tracklets in layout.items():
        for name, (frames, person) in tracklets.items():
            folder = os.path.join(root, camera, name)
            os.makedirs(folder)
            for frame in range(frames):  # 1.png, 2.png, ..., 10.png: natural order
                cv2.imwrite(os.path.join(folder, f"{frame + 1}.png"), rng.integers(0, 256, (16, 8, 3), np.uint8))
            if extra:
                open(os.path.join(folder, "Thumbs.db"), "w").write("not a frame")
            if person:
                rows.append(f"{camera},{name},{person}")
    if identities:
        open(os.path.join(root, "identities.csv"), "w").write("\n".join(rows) + "\n")
    return str(root)


def load(root, **settings):
    lines = []
    dataset = registry.load(DataConfig(dataset="folders", data_dir=str(root), **settings), lines.append)
    return dataset, lines


def names(tracklets):
    return [tracklet_name(t) for t in tracklets.tracklets]


def test_layout_is_read_in_natural_order_with_identities(tmp_path):
    dataset, lines = load(make_folders(tmp_path))
    assert dataset.camera_names == ("cam1", "cam2", "cam10")
    assert names(dataset.train) == ["cam1/x", "cam1/y", "cam2/t1", "cam2/t9", "cam2/t10", "cam10/a", "cam10/b",
                                    "cam10/c"]
    assert [t.index for t in dataset.train.tracklets] == [0, 1, 0, 1, 2, 0, 1, 2]
    assert [os.path.basename(f) for f in dataset.train.tracklets[4].frames] == ["1.png", "2.png", "3.png"]
    assert dataset.train.tracklets[2].person_id == -1 and dataset.train.tracklets[0].person_id == person_id("cy")
    assert not dataset.query.tracklets and dataset.protocol == "mars"
    said = "\n".join(lines)
    assert "ignored 8 files" in said and "kept 1 one-frame tracklets" in said
    assert "feeds the association monitor only" in said


def test_one_frame_tracklets_are_skipped_with_min_frames(tmp_path):
    dataset, lines = load(make_folders(tmp_path), min_frames=2)
    assert "cam2/t1" not in names(dataset.train)
    assert "skipped 1 tracklets of fewer than 2 frames (--min_frames=2)" in lines
    with pytest.raises(UserInputError, match="camera cam1 has no tracklets of --min_frames=4 or more frames"):
        load(tmp_path, min_frames=4)


def test_test_people_are_held_out_in_every_camera_and_queried_mars_style(tmp_path):
    root = make_folders(tmp_path)
    (tmp_path / "test.txt").write_text("ann\n\ncy\n")
    dataset, _ = load(root, test_people=str(tmp_path / "test.txt"))
    assert names(dataset.gallery) == ["cam1/x", "cam2/t10", "cam10/a", "cam10/c"]
    assert names(dataset.query) == names(dataset.gallery)  # each is seen by another camera
    assert not {person_id("ann"), person_id("cy")} & set(dataset.train.person_ids().tolist())
    assert names(dataset.train) == ["cam1/y", "cam2/t1", "cam2/t9", "cam10/b"]


def test_test_fraction_draws_from_people_seen_by_two_cameras_seeded_by_split(tmp_path):
    root = make_folders(tmp_path)
    drawn = {split: set(load(root, test_fraction=0.5, split=split)[0].gallery.person_ids().tolist())
             for split in range(1, 9)}
    eligible = {person_id(p) for p in ("ann", "bob", "cy")}  # dan is in one camera only
    assert all(len(people) == 2 and people <= eligible for people in drawn.values())  # round(0.5 * 3)
    assert len({frozenset(p) for p in drawn.values()}) > 1
    assert drawn[3] == set(load(root, test_fraction=0.5, split=3)[0].gallery.person_ids().tolist())


def test_prepared_folders_load_as_the_folders_themselves(tmp_path):
    root = make_folders(tmp_path / "src")
    manifest = prepare(PrepareConfig("folders", root, str(tmp_path / "prepared")), log=lambda _: None)
    assert manifest["counts"]["identified_tracklets"] == 7 and manifest["cameras"] == ["cam1", "cam2", "cam10"]
    direct, _ = load(root, test_fraction=0.5)
    prepared, _ = load(tmp_path / "prepared", test_fraction=0.5)
    for part in ("train", "query", "gallery"):
        assert getattr(prepared, part) == getattr(direct, part)


@pytest.mark.parametrize("change, message", [
    (lambda root: [shutil.rmtree(root / "cam2"), os.remove(root / "identities.csv")], None),
    (lambda root: [os.rename(root / c, root / "cam2" / c) for c in ("cam1", "cam10")],
     r"holds 1 camera folder\(s\) \['cam2'\]; DAL associates tracklets across cameras and needs two"),
    (lambda root: os.makedirs(root / "cam3"), r"cam3 is an empty camera"),
    (lambda root: [os.remove(root / "cam1" / "y" / f) for f in ("1.png", "2.png")], r"cam1/y holds no frames"),
    (lambda root: (root / "cam1" / "x" / "2.png").write_bytes(b"broken"),
     r"1 frames are missing or cannot be decoded: .*cam1/x/2\.png \(--skip_corrupt drops them\)"),
    (lambda root: (root / "identities.csv").write_text("cam,track,who\n"), r"identities\.csv:1: expected the header"),
    (lambda root: (root / "identities.csv").write_text("camera,tracklet,person\ncam1,x,a\ncam1,zz,b\n"),
     r"identities\.csv:3: there is no tracklet folder .*cam1/zz"),
    (lambda root: (root / "identities.csv").write_text("camera,tracklet,person\ncam1,x,a\ncam1,x,b\n"),
     r"identities\.csv:3: tracklet cam1/x is listed twice"),
    (lambda root: (root / "identities.csv").write_text("camera,tracklet,person\ncam1,x\n"),
     r"identities\.csv:2: expected camera,tracklet,person"),
])
def test_bad_layouts_stop_with_one_line_naming_the_place(tmp_path, change, message):
    root = tmp_path / "data"
    make_folders(root)
    change(root)
    if message is None:  # two cameras are enough
        assert load(root)[0].train.num_cameras == 2
        return
    with pytest.raises(UserInputError, match=message):
        load(root)


def test_unreadable_frames_are_dropped_with_skip_corrupt(tmp_path):
    root = tmp_path / "data"
    make_folders(root)
    (root / "cam1" / "x" / "2.png").write_bytes(b"broken")
    dataset, lines = load(root, skip_corrupt=True)
    assert [os.path.basename(f) for f in dataset.train.tracklets[0].frames] == ["1.png", "3.png"]
    assert any(line.startswith("dropped 1 unreadable frames (--skip_corrupt)") for line in lines)


def test_bad_test_people(tmp_path):
    root = make_folders(tmp_path / "data")
    (tmp_path / "who.txt").write_text("ann\nzoe\n")
    with pytest.raises(UserInputError, match=r"who\.txt:2: person 'zoe' is not in identities\.csv"):
        load(root, test_people=str(tmp_path / "who.txt"))
    with pytest.raises(UserInputError, match=r"--test_fraction=0\.1 of the 3 people seen by two or more cameras"):
        load(root, test_fraction=0.1)
    with pytest.raises(UserInputError, match="give --test_people or --test_fraction, not both"):
        DataConfig(dataset="folders", test_people="x", test_fraction=0.5)
    with pytest.raises(UserInputError, match="--min_frames applies to --dataset=folders only"):
        DataConfig(dataset="prid", min_frames=2)
    unlabelled = make_folders(tmp_path / "unlabelled", identities=False)
    with pytest.raises(UserInputError, match="need identities.csv"):
        load(unlabelled, test_fraction=0.5)


def test_merge_summary_by_hand():
    # Cameras of 2, 2 and 1 tracklets (rows 0-1, 2-3, 4): 0<->2 mutual, 1->4, 3 and 4 unmerged... 4->1 too.
    partner = np.array([2, 4, 0, -1, 1])
    summary = merges.summary(partner, [2, 2, 1])
    assert summary == dict(tracklets=5, merged=4, merged_share=0.8, mutual_pairs=2,
                           camera_pairs=[[0, 1, 1], [1, 0, 0], [1, 0, 0]])
    assert "4 of 5 training tracklets (80.0%)" in merges.describe(summary, ("a", "b", "c"))
    assert "camera a: 1 with b, 1 with c" in merges.describe(summary, ("a", "b", "c"))
    # One partner per other camera (--association=per_camera): row 0 with 2 and 4, both mutual.
    partners = np.array([[-1, 2, 4], [-1, -1, -1], [0, -1, -1], [-1, -1, -1], [0, -1, -1]])
    assert merges.summary(partners, [2, 2, 1]) == dict(tracklets=5, merged=3, merged_share=0.6, mutual_pairs=2,
                                                       camera_pairs=[[0, 1, 1], [1, 0, 0], [1, 0, 0]])
    # A cluster's partners (--association=clusters): own-camera ones (0-1) are not counted.
    partners = np.array([[1, 2, -1], [0, -1, -1], [0, -1, -1], [-1, -1, -1], [-1, -1, -1]])
    assert merges.summary(partners, [2, 2, 1]) == dict(tracklets=5, merged=2, merged_share=0.4, mutual_pairs=1,
                                                       camera_pairs=[[0, 1, 0], [1, 0, 0], [0, 0, 0]])
