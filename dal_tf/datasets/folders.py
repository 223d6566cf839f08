"""`--dataset=folders`: your own unlabelled tracklets, DIR/<camera>/<tracklet>/<frames> (see
folders_layout), read as they are or as prepared by `data_prep.prepare --dataset=folders`.

Training needs no identities. Where DIR/identities.csv names people, they feed the association
monitor, and the people chosen by --test_people or --test_fraction are held out: their tracklets,
in every camera, are the test split, scored in the MARS style (each test tracklet seen by another
camera is a query against all test tracklets). Without test people there is nothing to score.
"""

from __future__ import annotations

import dataclasses
import os

import numpy as np

from dal_tf.config import FOLDERS, DataConfig
from dal_tf.datasets import folders_layout as layout_files
from dal_tf.datasets.base import ReidDataset, natural_sorted
from dal_tf.datasets.prepared import MANIFEST, IndexedTracklet, checked_frames, read_prepared, tracklet_set
from dal_tf.datasets.registry import register
from dal_tf.utils.errors import UserInputError

NAME = FOLDERS
HOW_TO_PREPARE = "python -m data_prep.prepare --dataset=folders --src=DIR --out=<dir>"
# The release's PRID settings: the closest to a small set of a few cameras.
SETTINGS = dict(protocol="mars", warmup_epochs=2.0, optimizer="rmsprop", release_steps=20000)
TEST_DRAW = 7  # the stream --test_fraction draws from, with --split


def raw_index(src: str, log=print) -> tuple[list[str], list[IndexedTracklet]]:
    """(camera names, every tracklet with its identity where identities.csv gives one)."""
    layout = layout_files.scan_layout(src)
    people = layout_files.read_identities(src, layout)
    if layout.ignored_files:
        log(f"ignored {layout.ignored_files} files in {src} that are not frames "
            f"({', '.join(layout_files.IMAGE_EXTENSIONS)})")
    return layout.cameras, layout_files.identified(layout, people)


def finalize(cameras: list[str], tracklets: list[IndexedTracklet]):
    """(the tracklets, manifest entries): test people are chosen when loading, not here."""
    identified = [t for t in tracklets if t.person_id >= 0]
    counts = dict(cameras=len(cameras), tracklets=len(tracklets),
                  tracklets_per_camera=np.bincount([t.camera for t in tracklets], minlength=len(cameras)).tolist(),
                  frames=sum(len(t.frames) for t in tracklets), identified_tracklets=len(identified),
                  people=len({t.person for t in identified}))
    return tracklets, dict(counts=counts, cameras=cameras, splits=[],
                           split_source="chosen when training: --test_people or --test_fraction")


def indexed(config: DataConfig, log) -> tuple[list[str], list[IndexedTracklet], object]:
    """(camera names, tracklets with absolute frame paths, frame store) of --data_dir, prepared
    (it has a manifest) or a folder layout (every frame checked)."""
    if not config.data_dir:
        raise UserInputError(f"--dataset={NAME} needs --data_dir={layout_files.LAYOUT}")
    if os.path.isfile(os.path.join(config.data_dir, MANIFEST)):
        manifest, tracklets, frame_store = read_prepared(config.data_dir, NAME, HOW_TO_PREPARE)
        return manifest["cameras"], tracklets, frame_store
    src = os.path.abspath(config.data_dir)
    cameras, tracklets = raw_index(src, log)
    tracklets, _ = checked_frames(tracklets, src, config.skip_corrupt, log)
    return cameras, [dataclasses.replace(t, frames=tuple(os.path.join(src, f) for f in t.frames))
                     for t in tracklets], None


def long_enough(cameras: list[str], tracklets: list[IndexedTracklet], min_frames: int, log) -> list[IndexedTracklet]:
    """The tracklets of min_frames frames or more; says in the log what became of the short ones."""
    short = sum(len(t.frames) < min_frames for t in tracklets)
    single = sum(len(t.frames) == 1 for t in tracklets)
    if min_frames > 1:
        log(f"skipped {short} tracklets of fewer than {min_frames} frames (--min_frames={min_frames})")
    elif single:
        log(f"kept {single} one-frame tracklets (--min_frames=2 or more skips them)")
    kept = [t for t in tracklets if len(t.frames) >= min_frames]
    for camera, name in enumerate(cameras):
        if not any(t.camera == camera for t in kept):
            raise UserInputError(f"camera {name} has no tracklets of --min_frames={min_frames} or more frames")
    return kept


def read_test_people(path: str, known: set[str]) -> set[str]:
    try:
        with open(path) as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise UserInputError(f"--test_people={path}: cannot read it ({error})") from error
    people = set()
    for number, line in enumerate(lines, 1):
        person = line.strip()
        if not person:
            continue
        if person not in known:
            raise UserInputError(f"{path}:{number}: person {person!r} is not in {layout_files.IDENTITIES}")
        people.add(person)
    if not people:
        raise UserInputError(f"--test_people={path} names no one; expected one person a line")
    return people


def cameras_by_person(tracklets: list[IndexedTracklet]) -> dict[str, set[int]]:
    """The cameras each identified person is seen by."""
    cameras_of: dict[str, set[int]] = {}
    for t in tracklets:
        if t.person_id >= 0:
            cameras_of.setdefault(t.person, set()).add(t.camera)
    return cameras_of


def test_people(config: DataConfig, tracklets: list[IndexedTracklet]) -> set[str]:
    """The people held out: --test_people, or a --split-seeded --test_fraction of the people seen
    by two or more cameras (only they can be queried), or none."""
    cameras_of = cameras_by_person(tracklets)
    if (config.test_people or config.test_fraction) and not cameras_of:
        raise UserInputError(f"--test_people / --test_fraction need {layout_files.IDENTITIES} in "
                             f"--data_dir={config.data_dir}")
    if config.test_people:
        return read_test_people(config.test_people, set(cameras_of))
    if not config.test_fraction:
        return set()
    eligible = natural_sorted(p for p, cams in cameras_of.items() if len(cams) > 1)
    count = int(round(config.test_fraction * len(eligible)))
    if count == 0:
        raise UserInputError(f"--test_fraction={config.test_fraction} of the {len(eligible)} people seen by two or "
                             "more cameras holds out no one")
    order = np.random.default_rng([TEST_DRAW, config.split]).permutation(len(eligible))
    return {eligible[i] for i in order[:count]}


def split_dataset(config: DataConfig, cameras: list[str], tracklets: list[IndexedTracklet],
                  frame_store, log) -> ReidDataset:
    held_out = test_people(config, tracklets)
    train = [t for t in tracklets if t.person not in held_out or t.person_id < 0]
    test = [t for t in tracklets if t.person_id >= 0 and t.person in held_out]
    for camera, name in enumerate(cameras):
        if not any(t.camera == camera for t in train):
            raise UserInputError(f"camera {name} has no training tracklets left once the test people are held out")
    cameras_of = cameras_by_person(test)
    queries = [t for t in test if len(cameras_of[t.person]) > 1]
    if held_out and not queries:
        raise UserInputError("no test person is seen by two or more cameras, so no tracklet can be queried")
    if held_out:
        log(f"test: {len(held_out)} people held out, {len(test)} tracklets ({len(queries)} queries); "
            "they are never trained on")
    elif any(t.person_id >= 0 for t in tracklets):
        log(f"{layout_files.IDENTITIES} feeds the association monitor only: no test people "
            "(--test_people or --test_fraction hold some out for evaluation)")
    num_cameras = len(cameras)
    return ReidDataset(name=NAME, train=tracklet_set(train, num_cameras), query=tracklet_set(queries, num_cameras),
                       gallery=tracklet_set(test, num_cameras), frame_store=frame_store, camera_names=tuple(cameras),
                       **SETTINGS)


@register(NAME)
def load_folders(config: DataConfig, log=print) -> ReidDataset:
    cameras, tracklets, frame_store = indexed(config, log)
    tracklets = long_enough(cameras, tracklets, config.min_frames, log)
    return split_dataset(config, cameras, tracklets, frame_store, log)
