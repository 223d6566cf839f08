"""iLIDS-VID: <src>/i-LIDS-VID/sequences/cam1|cam2/personNNN/cam1_personNNN_XXXXX.png.

300 people, each in both cameras; the official 10 splits of 150 training and 150 test people
(<src>/train-test people splits/train_test_splits_ilidsvid.mat). The reported CMC is the mean of
both probe directions, cam1 -> cam2 and cam2 -> cam1, as the release's
evaluation/CMC_iLIDS_VID_max_10splits.m computes it (evaluate --probe_cam=1 or 2 for one).
"""

from __future__ import annotations

import os
import re

from dal_tf.config import DataConfig
from dal_tf.datasets import splits as split_sources
from dal_tf.datasets.base import ReidDataset, natural_sorted
from dal_tf.datasets.prepared import IndexedTracklet, read_prepared
from dal_tf.datasets.registry import register
from dal_tf.utils.errors import UserInputError

NAME = "ilids"
CAMERAS = ("cam1", "cam2")
OBTAIN = "https://xiatian-zhu.github.io/downloads_qmul_iLIDS-VID_ReID_dataset.html"
HOW_TO_PREPARE = f"python -m data_prep.prepare --dataset=ilids --src=<iLIDS-VID, unpacked; get it from {OBTAIN}> --out=<dir>"
OFFICIAL_SPLITS = os.path.join("train-test people splits", "train_test_splits_ilidsvid.mat")
SETTINGS = dict(warmup_epochs=2.0, optimizer="rmsprop", release_steps=20000, probe_cam="both")
_PERSON_DIR = re.compile(r"person(\d+)")


def sequences_dir(src: str) -> str:
    return os.path.join(src, "i-LIDS-VID", "sequences")


def raw_index(src: str) -> list[IndexedTracklet]:
    if not os.path.isdir(sequences_dir(src)):
        raise UserInputError(f"--src={src} has no i-LIDS-VID/sequences; download iLIDS-VID from {OBTAIN} and "
                             "extract it there")
    tracklets, people_per_camera = [], []
    for camera, camera_name in enumerate(CAMERAS):
        camera_dir = os.path.join(sequences_dir(src), camera_name)
        if not os.path.isdir(camera_dir):
            raise UserInputError(f"{camera_dir} is not a directory; expected i-LIDS-VID/sequences/{camera_name}/person001/")
        people = natural_sorted(name for name in os.listdir(camera_dir)
                                if _PERSON_DIR.fullmatch(name) and os.path.isdir(os.path.join(camera_dir, name)))
        if not people:
            raise UserInputError(f"{camera_dir} has no personNNN folders")
        for person in people:
            person_dir = os.path.join(camera_dir, person)
            frames = natural_sorted(f for f in os.listdir(person_dir) if f.lower().endswith(".png"))
            if not frames:
                raise UserInputError(f"{person_dir} has no frames; expected files like {camera_name}_{person}_00001.png")
            tracklets.append(IndexedTracklet("pool", camera, person, int(_PERSON_DIR.fullmatch(person).group(1)),
                                             tuple(os.path.relpath(os.path.join(person_dir, f), src) for f in frames)))
        people_per_camera.append(people)
    if people_per_camera[0] != people_per_camera[1]:
        only = sorted(set(people_per_camera[0]) ^ set(people_per_camera[1]))
        raise UserInputError(f"{sequences_dir(src)}: cam1 and cam2 must hold the same people; "
                             f"{len(only)} are in one only (e.g. {', '.join(only[:5])})")
    return tracklets


def finalize(tracklets: list[IndexedTracklet], splits_path: str, src: str):
    people = natural_sorted({t.person for t in tracklets if t.camera == 0} & {t.person for t in tracklets if t.camera == 1})
    kept = [t for t in tracklets if t.person in set(people)]
    path = splits_path or os.path.join(src, OFFICIAL_SPLITS)
    if not os.path.exists(path):
        raise UserInputError(f"{path} is missing; it comes with iLIDS-VID ({OBTAIN}), or give --splits")
    splits, source = split_sources.from_path(path, people)
    counts = dict(people=len(people), tracklets=len(kept), frames=sum(len(t.frames) for t in kept))
    return kept, dict(counts=counts, splits=splits, split_source=source)


@register(NAME)
def load_ilids(config: DataConfig, log=print) -> ReidDataset:
    manifest, tracklets, frame_store = read_prepared(config.data_dir, NAME, HOW_TO_PREPARE)
    return split_sources.two_camera_dataset(NAME, tracklets, manifest["splits"], config.split,
                                            frame_store=frame_store, **SETTINGS)
