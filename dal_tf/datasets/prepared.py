"""The prepared form of a real data set (written by data_prep.prepare, read by the loaders).

    <out>/manifest.json   data set, source directory, counts, splits, checksums of the index
    <out>/tracklets.csv   one row per tracklet: subset, camera, person, person_id, query, first, count
    <out>/frames.txt      every frame's path relative to the source directory, tracklet by tracklet

Rows of tracklets.csv point into frames.txt (first, count). Everything is sorted and carries no
time stamp, so preparing the same source twice writes the same bytes.
"""

from __future__ import annotations

import concurrent.futures
import csv
import dataclasses
import hashlib
import io
import json
import os

import cv2

from dal_tf.datasets.base import Tracklet, TrackletSet
from dal_tf.utils.atomic_io import atomic_directory
from dal_tf.utils.errors import UserInputError
from dal_tf.utils.progress import Progress

FORMAT_VERSION = 1
MANIFEST = "manifest.json"
TRACKLETS = "tracklets.csv"
FRAMES = "frames.txt"
COLUMNS = ("subset", "camera", "person", "person_id", "query", "first", "count")


@dataclasses.dataclass(frozen=True)
class IndexedTracklet:
    subset: str  # "pool" (PRID, iLIDS-VID: the split decides train or test) | "train" | "test" (MARS)
    camera: int  # 0-based
    person: str  # the data set's own name for the person (folder name, MARS id string)
    person_id: int  # evaluation and monitoring only
    frames: tuple[str, ...]  # paths relative to the source directory, naturally sorted
    query: bool = False  # MARS: one of the official queries


def tracklet_set(selected: list[IndexedTracklet], num_cameras: int) -> TrackletSet:
    """The tracklets in the given order, numbered 0..n-1 within each camera (anchor table keys)."""
    next_index = [0] * num_cameras
    numbered = []
    for t in selected:
        numbered.append(Tracklet(t.frames, t.camera, next_index[t.camera], t.person_id))
        next_index[t.camera] += 1
    return TrackletSet(tuple(numbered), num_cameras=num_cameras)


def _index_files(tracklets: list[IndexedTracklet]) -> dict[str, bytes]:
    rows, frames, first = io.StringIO(), io.StringIO(), 0
    writer = csv.writer(rows, lineterminator="\n")
    writer.writerow(COLUMNS)
    for t in tracklets:
        writer.writerow([t.subset, t.camera, t.person, t.person_id, int(t.query), first, len(t.frames)])
        frames.writelines(f"{frame}\n" for frame in t.frames)
        first += len(t.frames)
    return {TRACKLETS: rows.getvalue().encode(), FRAMES: frames.getvalue().encode()}


def write_prepared(out: str, manifest: dict, tracklets: list[IndexedTracklet], tfrecords: bool = False,
                   log=None) -> dict:
    """Writes the prepared directory at `out` in one rename; returns the full manifest. With
    tfrecords, it also holds the frames' bytes in TFRecord shards (read from manifest["src"])."""
    out = os.path.abspath(out)
    if os.path.lexists(out) and os.listdir(out) and not os.path.isfile(os.path.join(out, MANIFEST)):
        raise UserInputError(f"--out={out} exists and is not a prepared data set; choose a new or empty directory")
    files = _index_files(tracklets)
    manifest = dict(manifest, format_version=FORMAT_VERSION,
                    checksums={name: hashlib.sha256(data).hexdigest() for name, data in files.items()})
    with atomic_directory(out) as tmp:
        if tfrecords:
            from dal_tf.datasets import tfrecords as shards

            frame_paths = [os.path.join(manifest["src"], f) for t in tracklets for f in t.frames]
            manifest["tfrecords"] = shards.write_shards(tmp, frame_paths, log)
        files[MANIFEST] = (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode()
        for name, data in files.items():
            with open(os.path.join(tmp, name), "wb") as handle:
                handle.write(data)
    return manifest


def read_manifest(data_dir: str, dataset: str, how_to_prepare: str) -> dict:
    """The checked manifest of a prepared directory of `dataset`."""
    if not data_dir:
        raise UserInputError(f"--dataset={dataset} needs --data_dir, a directory written by {how_to_prepare}")
    manifest_path = os.path.join(data_dir, MANIFEST)
    if not os.path.isfile(manifest_path):
        raise UserInputError(f"--data_dir={data_dir} has no {MANIFEST}; prepare it with {how_to_prepare}")
    try:
        with open(manifest_path) as handle:
            manifest = json.load(handle)
    except (OSError, ValueError) as error:
        raise UserInputError(f"{manifest_path} is not readable JSON ({error})") from error
    if manifest.get("dataset") != dataset:
        raise UserInputError(f"--data_dir={data_dir} holds {manifest.get('dataset')!r}, not --dataset={dataset}")
    if manifest.get("format_version") != FORMAT_VERSION:
        raise UserInputError(f"--data_dir={data_dir} was prepared in format {manifest.get('format_version')}, this "
                             f"dal_tf reads format {FORMAT_VERSION}; prepare it again with {how_to_prepare}")
    return manifest


def read_prepared(data_dir: str, dataset: str, how_to_prepare: str):
    """(manifest, tracklets with absolute frame paths, frame store) of a prepared directory; the
    frame store serves the frames from TFRecords when it has them, else it is None (files)."""
    manifest = read_manifest(data_dir, dataset, how_to_prepare)
    manifest_path = os.path.join(data_dir, MANIFEST)
    contents = {}
    for name in (TRACKLETS, FRAMES):
        path = os.path.join(data_dir, name)
        try:
            with open(path, "rb") as handle:
                contents[name] = handle.read()
        except OSError as error:
            raise UserInputError(f"cannot read {path} ({error.strerror}); prepare again with {how_to_prepare}")
        if hashlib.sha256(contents[name]).hexdigest() != manifest["checksums"][name]:
            raise UserInputError(f"{path} does not match the checksum in {manifest_path}; prepare again with "
                                 f"{how_to_prepare}")
    src = manifest["src"]
    frames = [os.path.join(src, line) for line in contents[FRAMES].decode().splitlines()]
    tracklets = []
    for row in csv.DictReader(io.StringIO(contents[TRACKLETS].decode())):
        first, count = int(row["first"]), int(row["count"])
        tracklets.append(IndexedTracklet(row["subset"], int(row["camera"]), row["person"], int(row["person_id"]),
                                         tuple(frames[first:first + count]), row["query"] == "1"))
    frame_store = None
    if manifest.get("tfrecords"):
        from dal_tf.datasets.tfrecords import TFRecordFrames

        frame_store = TFRecordFrames(data_dir, manifest["tfrecords"], frames)
    else:
        missing = [path for path in frames if not os.path.isfile(path)]
        if missing:
            raise UserInputError(f"--data_dir={data_dir}: {len(missing)} of its frames are no longer in {src} (e.g. "
                                 f"{missing[0]}); put them back or prepare again with {how_to_prepare}")
    return manifest, tracklets, frame_store


LISTED_UNREADABLE = 10


def unreadable_frames(paths: list[str], workers: int = 8, log=None) -> list[str]:
    """The paths among `paths` that OpenCV cannot decode (missing, empty, corrupt); log: where the
    progress goes (None: nowhere)."""

    def readable(path):
        return cv2.imread(path, cv2.IMREAD_UNCHANGED) is not None

    progress = Progress(len(paths), "frame", log)
    bad = []
    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        for done, (path, ok) in enumerate(zip(paths, pool.map(readable, paths, chunksize=256)), 1):
            if not ok:
                bad.append(path)
            if done % 1024 == 0 or done == len(paths):
                progress.update(done)
    return bad


def _listed(paths: list[str]) -> str:
    return "; ".join(paths[:LISTED_UNREADABLE]) + ("; ..." if len(paths) > LISTED_UNREADABLE else "")


def checked_frames(tracklets: list[IndexedTracklet], src: str, skip_corrupt: bool,
                   log) -> tuple[list[IndexedTracklet], list[str]]:
    """(the tracklets without the frames OpenCV cannot decode, those frames); the frames are
    listed in an error unless skip_corrupt, and tracklets left without frames are dropped."""
    bad = unreadable_frames([os.path.join(src, f) for t in tracklets for f in t.frames], log=log)
    if bad and not skip_corrupt:
        raise UserInputError(f"{len(bad)} frames are missing or cannot be decoded: {_listed(bad)} "
                             "(--skip_corrupt drops them)")
    if not bad:
        return tracklets, bad
    log(f"dropped {len(bad)} unreadable frames (--skip_corrupt): {_listed(bad)}")
    dropped = set(bad)
    kept = []
    for t in tracklets:
        frames = tuple(f for f in t.frames if os.path.join(src, f) not in dropped)
        if frames:
            kept.append(dataclasses.replace(t, frames=frames))
    return kept, bad
