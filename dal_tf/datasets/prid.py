"""PRID 2011, multi-shot: <src>/prid_2011/multi_shot/cam_a|cam_b/person_XXXX/NNNN.png.

The protocol (and the DAL release): the people seen by both cameras (person_0001..person_0200)
with more than 27 frames in each, 178 in the real set; 10 splits of 89 training and 89 test
people; cam_a tracklets are the queries, cam_b the gallery.
"""

from __future__ import annotations

import os

from dal_tf.config import DataConfig
from dal_tf.datasets import splits as split_sources
from dal_tf.datasets.base import ReidDataset
from dal_tf.datasets.prepared import IndexedTracklet, read_prepared
from dal_tf.datasets.prid_layout import CAMERAS, multi_shot_dir, scan_prid_layout
from dal_tf.datasets.registry import register
from dal_tf.utils.errors import UserInputError

NAME = "prid"
SHARED_PEOPLE = 200  # person_0001..person_0200 are the same people in both cameras
MIN_FRAMES = 27  # a person is used when each camera has more than this many frames
OBTAIN = "https://www.tugraz.at/institute/icg/research/team-bischof/lrs/downloads/PRID11/"
HOW_TO_PREPARE = f"python -m data_prep.prepare --dataset=prid --src=<PRID 2011, unpacked; get it from {OBTAIN}> --out=<dir>"
SETTINGS = dict(warmup_epochs=2.0, optimizer="rmsprop", release_steps=20000)


def raw_index(src: str) -> list[IndexedTracklet]:
    """Every person folder of both cameras (filtered by `finalize`, after corrupt frames are known)."""
    if not os.path.isdir(multi_shot_dir(src)):
        raise UserInputError(f"--src={src} has no prid_2011/multi_shot; download PRID 2011 from {OBTAIN} and "
                             "extract it there")
    layout = scan_prid_layout(src)
    return [IndexedTracklet("pool", camera, f"person_{number:04d}", number,
                            tuple(os.path.relpath(path, src) for path in frames))
            for camera, camera_dir in enumerate(CAMERAS) for number, frames in layout[camera_dir].items()]


def finalize(tracklets: list[IndexedTracklet], splits_path: str, seed: int):
    """(the tracklets of the protocol's people, manifest entries)."""
    frames = {(t.camera, t.person_id): len(t.frames) for t in tracklets}
    eligible = {number for number in range(1, SHARED_PEOPLE + 1)
                if frames.get((0, number), 0) > MIN_FRAMES and frames.get((1, number), 0) > MIN_FRAMES}
    kept = [t for t in tracklets if t.person_id in eligible]
    people = [f"person_{number:04d}" for number in sorted(eligible)]
    if len(people) < 2:
        raise UserInputError(f"only {len(people)} people have more than {MIN_FRAMES} frames in both cameras; "
                             "expected 178 in PRID 2011")
    splits, source = load_splits(splits_path, people, seed)
    counts = dict(people_cam_a=sum(t.camera == 0 for t in tracklets), people_cam_b=sum(t.camera == 1 for t in tracklets),
                  people=len(people), tracklets=len(kept), frames=sum(len(t.frames) for t in kept))
    return kept, dict(counts=counts, splits=splits, split_source=source)


def load_splits(splits_path: str, people: list[str], seed: int) -> tuple[list[dict], str]:
    if not splits_path:
        return split_sources.seeded_splits(people, seed), f"seeded random halves (seed {seed})"
    return split_sources.from_path(splits_path, people)


@register(NAME)
def load_prid(config: DataConfig, log=print) -> ReidDataset:
    manifest, tracklets, frame_store = read_prepared(config.data_dir, NAME, HOW_TO_PREPARE)
    return split_sources.two_camera_dataset(NAME, tracklets, manifest["splits"], config.split,
                                            frame_store=frame_store, **SETTINGS)
