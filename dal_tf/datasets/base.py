"""The one representation of a tracklet data set shared by every loader.

Training reads only `frames`, `camera` and `index`; `person_id` is held back for evaluation
and for monitoring association quality (the paper's Fig. 4b).
"""

from __future__ import annotations

import dataclasses
import re
from typing import Sequence

import numpy as np


def natural_key(text: str):
    """Sort key that orders 'f2' before 'f10'."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", text)]


def natural_sorted(items: Sequence[str]) -> list[str]:
    return sorted(items, key=natural_key)


@dataclasses.dataclass(frozen=True)
class Tracklet:
    frames: tuple[str, ...]  # absolute paths, naturally sorted
    camera: int  # 0-based camera id
    index: int  # 0-based index of this tracklet within its camera
    person_id: int | None = None  # evaluation and monitoring only


@dataclasses.dataclass(frozen=True)
class TrackletSet:
    """An ordered collection of tracklets over `num_cameras` cameras."""

    tracklets: tuple[Tracklet, ...]
    num_cameras: int

    def __post_init__(self):
        for cam in range(self.num_cameras):
            indices = sorted(t.index for t in self.tracklets if t.camera == cam)
            if indices != list(range(len(indices))):
                raise ValueError(f"camera {cam}: tracklet indices must be 0..n-1, got {indices[:10]}...")
        for t in self.tracklets:
            if not 0 <= t.camera < self.num_cameras:
                raise ValueError(f"tracklet camera {t.camera} outside 0..{self.num_cameras - 1}")
            if not t.frames:
                raise ValueError(f"tracklet {t.camera}/{t.index} has no frames")

    def __len__(self) -> int:
        return len(self.tracklets)

    @property
    def tracklets_per_camera(self) -> list[int]:
        counts = [0] * self.num_cameras
        for t in self.tracklets:
            counts[t.camera] += 1
        return counts

    @property
    def num_frames(self) -> int:
        return sum(len(t.frames) for t in self.tracklets)

    def frame_table(self):
        """Per-frame arrays: paths, camera, index within camera, person id (-1 when unknown)."""
        paths = [f for t in self.tracklets for f in t.frames]
        repeat = [len(t.frames) for t in self.tracklets]
        cams = np.repeat([t.camera for t in self.tracklets], repeat).astype(np.int32)
        idx = np.repeat([t.index for t in self.tracklets], repeat).astype(np.int32)
        pids = np.repeat([-1 if t.person_id is None else t.person_id for t in self.tracklets], repeat)
        return paths, cams, idx, pids.astype(np.int64)

    def person_ids(self) -> np.ndarray:
        return np.array([-1 if t.person_id is None else t.person_id for t in self.tracklets], np.int64)

    def cameras(self) -> np.ndarray:
        return np.array([t.camera for t in self.tracklets], np.int64)


@dataclasses.dataclass(frozen=True)
class ReidDataset:
    """Train tracklets plus the evaluation query and gallery.

    protocol: 'single_shot' (PRID 2011, iLIDS-VID: one probe tracklet per person in one camera
    against one gallery tracklet per person in the other) or 'mars' (gallery = all test tracklets).
    """

    name: str
    train: TrackletSet
    query: TrackletSet
    gallery: TrackletSet
    protocol: str = "single_shot"
    warmup_epochs: float = 2.0  # the release's start of cross-camera association
    optimizer: str = "rmsprop"  # the release's optimiser for this data set
    release_steps: int = 20000  # the release's number of training steps (synthetic: the CPU demo's)
    probe_cam: str = "1"  # two-camera sets: the probe direction(s) the release reports, "1" or "both"
    frame_store: object = None  # serves encoded frames by path (TFRecords); None: read the files
    camera_names: tuple[str, ...] = ()  # folders: the camera folders, in camera order

    def read_frame(self, path):
        """A frame path tensor -> its encoded image (a string tensor)."""
        if self.frame_store is not None:
            return self.frame_store.read(path)
        import tensorflow as tf

        return tf.io.read_file(path)
