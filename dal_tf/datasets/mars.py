"""MARS: <src>/bbox_train/, <src>/bbox_test/ and <src>/info/ as the MARS release ships them.

info/train_name.txt, test_name.txt: every frame name (e.g. 0001C1T0001F001.jpg: person 0001,
camera 1, tracklet 0001, frame 001), stored under bbox_train|bbox_test/<first 4 characters>/.
info/tracks_train_info.mat (track_train_info) and tracks_test_info.mat (track_test_info): one row
per tracklet: first and last row (1-based, inclusive) into the name list, person id, camera 1..6.
info/query_IDX.mat (query_IDX): the 1-based test rows used as queries. The index is built from
these files alone; data_prep.prepare then checks that every frame can be read.
"""

from __future__ import annotations

import os

import numpy as np
import scipy.io

from dal_tf.config import DataConfig
from dal_tf.datasets.base import ReidDataset
from dal_tf.datasets.prepared import IndexedTracklet, read_prepared, tracklet_set
from dal_tf.datasets.registry import register
from dal_tf.utils.errors import UserInputError

NAME = "mars"
NUM_CAMERAS = 6
OBTAIN = "http://zheng-lab.cecs.anu.edu.au/Project/project_mars.html"
HOW_TO_PREPARE = (f"python -m data_prep.prepare --dataset=mars --src=<MARS: bbox_train/, bbox_test/, info/; "
                  f"get it from {OBTAIN}> --out=<dir>")
SETTINGS = dict(protocol="mars", warmup_epochs=1.0, optimizer="sgd", release_steps=100000)
SUBSETS = (("train", "train_name.txt", "tracks_train_info.mat", "track_train_info", "bbox_train"),
           ("test", "test_name.txt", "tracks_test_info.mat", "track_test_info", "bbox_test"))


def _read_info(src: str, name: str, key: str) -> np.ndarray:
    path = os.path.join(src, "info", name)
    if not os.path.isfile(path):
        raise UserInputError(f"{path} is missing; expected MARS's info/ folder (download MARS from {OBTAIN})")
    try:
        return np.asarray(scipy.io.loadmat(path)[key]).astype(np.int64)
    except (OSError, ValueError, KeyError) as error:
        raise UserInputError(f"{path}: cannot read {key} ({error})") from error


def _read_names(src: str, name: str) -> list[str]:
    path = os.path.join(src, "info", name)
    try:
        with open(path) as handle:
            return [line.strip() for line in handle if line.strip()]
    except OSError as error:
        raise UserInputError(f"cannot read {path} ({error.strerror}); expected MARS's info/ folder "
                             f"(download MARS from {OBTAIN})") from error


def _person_id(prefix: str) -> int | None:
    """A frame name's person field: 0001, 0000 (distractors) or 00-1 (junk, id -1)."""
    if prefix == "00-1":
        return -1
    return int(prefix) if prefix.isdigit() else None


def raw_index(src: str) -> list[IndexedTracklet]:
    """All train and test tracklets from info/ alone (no image file is opened)."""
    if not os.path.isdir(os.path.join(src, "info")):
        raise UserInputError(f"--src={src} has no info/ folder; download MARS from {OBTAIN} and extract "
                             "bbox_train/, bbox_test/ and the evaluation code's info/ there")
    queries = set(_read_info(src, "query_IDX.mat", "query_IDX").ravel().tolist())
    tracklets = []
    for subset, names_file, info_file, key, folder in SUBSETS:
        names = _read_names(src, names_file)
        info = _read_info(src, info_file, key)
        where = os.path.join(src, "info", info_file)
        if info.ndim != 2 or info.shape[1] != 4:
            raise UserInputError(f"{where}: {key} is {info.shape}; expected N x 4 (start, end, person, camera)")
        for row, (start, end, person_id, camera) in enumerate(info, 1):
            if not 1 <= start <= end <= len(names) or not 1 <= camera <= NUM_CAMERAS:
                raise UserInputError(f"{where}: row {row} ({start}, {end}, {person_id}, {camera}) does not fit "
                                     f"{len(names)} names in {names_file} and cameras 1..{NUM_CAMERAS}")
            frames = names[start - 1:end]
            person = frames[0][:4]
            if any(f[:4] != person or f[4:6] != f"C{camera}" for f in frames) or _person_id(person) != person_id:
                raise UserInputError(f"{where}: row {row} says person {person_id}, camera {camera}, but "
                                     f"{names_file} lines {start}..{end} are e.g. {frames[0]}")
            tracklets.append(IndexedTracklet(subset, int(camera) - 1, person, int(person_id),
                                             tuple(f"{folder}/{person}/{f}" for f in frames),
                                             query=subset == "test" and row in queries))
    num_test = sum(t.subset == "test" for t in tracklets)
    if not queries or max(queries) > num_test or min(queries) < 1:
        raise UserInputError(f"{os.path.join(src, 'info', 'query_IDX.mat')}: query rows must be within 1..{num_test}")
    return tracklets


def finalize(tracklets: list[IndexedTracklet]):
    train = [t for t in tracklets if t.subset == "train"]
    test = [t for t in tracklets if t.subset == "test"]
    counts = dict(
        train_people=len({t.person_id for t in train}), train_tracklets=len(train),
        train_tracklets_per_camera=np.bincount([t.camera for t in train], minlength=NUM_CAMERAS).tolist(),
        train_frames=sum(len(t.frames) for t in train), test_tracklets=len(test),
        queries=sum(t.query for t in test), test_frames=sum(len(t.frames) for t in test),
    )
    return tracklets, dict(counts=counts, splits=["the standard MARS split"], split_source="MARS info/ files")


@register(NAME)
def load_mars(config: DataConfig, log=print) -> ReidDataset:
    if config.split != 1:
        raise UserInputError(f"--split={config.split}: MARS has one split (1)")
    _, tracklets, frame_store = read_prepared(config.data_dir, NAME, HOW_TO_PREPARE)
    test = [t for t in tracklets if t.subset == "test"]
    return ReidDataset(name=NAME, train=tracklet_set([t for t in tracklets if t.subset == "train"], NUM_CAMERAS),
                       query=tracklet_set([t for t in test if t.query], NUM_CAMERAS),
                       gallery=tracklet_set(test, NUM_CAMERAS), frame_store=frame_store, **SETTINGS)
