"""Fixture generators: small or full fake copies of PRID 2011, iLIDS-VID and MARS with the real
directory layouts, file names and frame counts (from ../shared/reference/dal_release) and
synthetic pixels. Every frame of a tracklet holds the same tiny image, coloured per tracklet."""

from __future__ import annotations

import collections
import os
import zlib

import cv2
import numpy as np
import scipy.io

from conftest import SHARED

RELEASE = os.path.join(SHARED, "reference", "dal_release")
PRID_SPLITS = os.path.join(RELEASE, "datasplits", "PRID2011")
ILIDS_SPLITS = os.path.join(RELEASE, "datasplits", "iLIDS-VID")
MARS_INFO = os.path.join(RELEASE, "mars_info")


def released_tracklets(split_dir: str) -> dict[tuple[str, str], list[str]]:
    """{(cam1|cam2, person folder): frame file names} over split 1's train and test lists."""
    tracklets = collections.defaultdict(list)
    for part in ("traindata.txt", "testdata.txt"):
        with open(os.path.join(split_dir, "split1", part)) as handle:
            for line in handle:
                camera, person, frame = line.split()[0].split("/")
                tracklets[camera, person].append(frame)
    return dict(tracklets)


def frame_count(split_dir: str, split: int, part: str) -> int:
    with open(os.path.join(split_dir, f"split{split}", f"{part}data.txt")) as handle:
        return sum(1 for line in handle if line.strip())


def write_tracklet(folder: str, names: list[str], seed: int, extension: str = ".png"):
    os.makedirs(folder, exist_ok=True)
    rng = np.random.default_rng(seed)
    image = np.clip(rng.integers(0, 256, size=3) + rng.integers(-20, 20, size=(16, 8, 3)), 0, 255).astype(np.uint8)
    data = cv2.imencode(extension, image)[1].tobytes()
    for name in names:
        with open(os.path.join(folder, name), "wb") as handle:
            handle.write(data)


def make_prid(root: str, people: dict[int, tuple[int, int]] | None = None) -> str:
    """root/prid_2011/multi_shot/cam_a|cam_b/person_XXXX/NNNN.png. people: {number: (frames in
    cam_a, frames in cam_b)}; default: the real set, the released lists' 178 people with their
    real frames, the other shared people too short in one camera, and the single-camera people."""
    base = os.path.join(root, "prid_2011", "multi_shot")
    if people is None:
        released = released_tracklets(PRID_SPLITS)
        for (camera, person), frames in released.items():
            camera_dir = "cam_a" if camera == "cam1" else "cam_b"
            write_tracklet(os.path.join(base, camera_dir, person), frames, seed=zlib.crc32(f"{camera}/{person}".encode()))
        numbers = {int(person.split("_")[1]) for _, person in released}
        people = {n: (20, 30) for n in range(1, 201) if n not in numbers}  # 20 <= 27 frames in cam_a
        people.update({n: (5, 5) for n in range(201, 386)})  # cam_a has 385 people, cam_b 749
        people.update({n: (0, 5) for n in range(386, 750)})
    for number, counts in people.items():
        for camera_dir, count in zip(("cam_a", "cam_b"), counts):
            if count:
                write_tracklet(os.path.join(base, camera_dir, f"person_{number:04d}"),
                               [f"{i:04d}.png" for i in range(1, count + 1)], seed=number * 2 + (camera_dir == "cam_b"))
    return root


def make_ilids(root: str, people: dict[int, tuple[int, int]] | None = None, splits: list[list[int]] | None = None):
    """root/i-LIDS-VID/sequences/cam1|cam2/personNNN/camK_personNNN_XXXXX.png and the official
    split file. Default: the released lists' 300 people and frames, with an ls_set whose test
    halves are the released splits' test people."""
    base = os.path.join(root, "i-LIDS-VID", "sequences")
    if people is None:
        for (camera, person), frames in released_tracklets(ILIDS_SPLITS).items():
            write_tracklet(os.path.join(base, camera, person), frames, seed=zlib.crc32(f"{camera}/{person}".encode()))
        names = sorted(os.listdir(os.path.join(base, "cam1")))
        rows = []
        for split in range(1, 11):
            with open(os.path.join(ILIDS_SPLITS, f"split{split}", "testdata.txt")) as handle:
                test = sorted({line.split()[0].split("/")[1] for line in handle if line.strip()})
            rows.append([names.index(p) + 1 for p in test] + [names.index(p) + 1 for p in names if p not in test])
    else:
        for number, counts in people.items():
            for camera, count in zip(("cam1", "cam2"), counts):
                person = f"person{number:03d}"
                write_tracklet(os.path.join(base, camera, person),
                               [f"{camera}_{person}_{i:05d}.png" for i in range(1, count + 1)], seed=number)
        rows = splits
    split_dir = os.path.join(root, "train-test people splits")
    os.makedirs(split_dir, exist_ok=True)
    scipy.io.savemat(os.path.join(split_dir, "train_test_splits_ilidsvid.mat"), {"ls_set": np.array(rows, np.float64)})
    return root


def mars_info():
    load = scipy.io.loadmat
    return (load(os.path.join(MARS_INFO, "tracks_train_info.mat"))["track_train_info"].astype(np.int64),
            load(os.path.join(MARS_INFO, "tracks_test_info.mat"))["track_test_info"].astype(np.int64),
            load(os.path.join(MARS_INFO, "query_IDX.mat"))["query_IDX"].ravel().astype(np.int64))


def mars_names(info: np.ndarray) -> list[str]:
    """Frame names consistent with an info table: person, camera, tracklet number, frame."""
    names, tracklet_numbers = [], collections.Counter()
    for start, end, person_id, camera in info:
        tracklet_numbers[person_id, camera] += 1
        person = "00-1" if person_id == -1 else f"{person_id:04d}"
        names.extend(f"{person}C{camera}T{tracklet_numbers[person_id, camera]:04d}F{f:03d}.jpg"
                     for f in range(1, end - start + 2))
    return names


def write_mars(root: str, train: np.ndarray, test: np.ndarray, queries: np.ndarray, write_frames: bool = True):
    """root/info/* (the real file names and keys) and, with write_frames, bbox_train|bbox_test/."""
    info = os.path.join(root, "info")
    os.makedirs(info, exist_ok=True)
    for subset, table, key in (("train", train, "track_train_info"), ("test", test, "track_test_info")):
        names = mars_names(table)
        with open(os.path.join(info, f"{subset}_name.txt"), "w") as handle:
            handle.write("\n".join(names) + "\n")
        scipy.io.savemat(os.path.join(info, f"tracks_{subset}_info.mat"), {key: table.astype(np.int32)})
        if write_frames:
            for row, (start, end, _, _) in enumerate(table):
                frames = names[start - 1:end]
                write_tracklet(os.path.join(root, f"bbox_{subset}", frames[0][:4]), frames, seed=row, extension=".jpg")
    scipy.io.savemat(os.path.join(info, "query_IDX.mat"), {"query_IDX": queries.reshape(1, -1).astype(np.int32)})
    return root


def mars_subset(max_frames: int = 4, train_people: int = 6, query_rows: int = 6):
    """Real info rows, shortened: all train tracklets of the first people; test: some official
    queries, every test tracklet of their people, and some junk (-1) and distractor (0) rows."""
    train, test, queries = mars_info()

    def renumbered(rows):
        lengths = np.minimum(rows[:, 1] - rows[:, 0] + 1, max_frames)
        ends = np.cumsum(lengths)
        return np.column_stack([ends - lengths + 1, ends, rows[:, 2], rows[:, 3]])

    train_rows = train[np.isin(train[:, 2], np.unique(train[:, 2])[:train_people])]
    chosen = queries[:query_rows] - 1
    people = np.unique(test[chosen, 2])
    keep = np.isin(test[:, 2], people)
    keep[np.flatnonzero(test[:, 2] == -1)[:3]] = True
    keep[np.flatnonzero(test[:, 2] == 0)[:3]] = True
    new_row = np.cumsum(keep)  # 1-based row of each kept test row
    return renumbered(train_rows), renumbered(test[keep]), new_row[chosen]
