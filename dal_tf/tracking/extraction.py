"""From one video per camera to a folders data set: tracks (given, or from the built-in detector
and tracker) cropped into OUT/<camera>/<track>/<frame>.jpg, with OUT/tracks.csv saying where each
crop came from; optionally scored against ground truth, which also names each track's person in
OUT/identities.csv.

Boxes are clipped to the camera's image and widened to whole pixels. Detection and tracking see
every frame; --frame_stride only thins the crops. Tracks with fewer than --min_length crops are
dropped. OUT appears at once when everything succeeded, or not at all.
"""

from __future__ import annotations

import csv
import dataclasses
import math
import os
import shutil
import time

import cv2
import numpy as np

from dal_tf.config import TrackletsConfig, named_values
from dal_tf.datasets.folders_layout import IDENTITIES, IDENTITY_COLUMNS
from dal_tf.tracking import scores
from dal_tf.tracking.detector import WARM_UP_FRAMES, ForegroundDetector
from dal_tf.tracking.frames import CameraFrames, parse_region
from dal_tf.tracking.mot import read_tracks
from dal_tf.tracking.tracker import IouTracker
from dal_tf.utils.atomic_io import atomic_directory
from dal_tf.utils.errors import UserInputError
from dal_tf.utils.progress import Progress, duration

TRACKS_CSV = "tracks.csv"
TRACKS_COLUMNS = ["camera", "track", "frame", "crop", "video", "x", "y", "w", "h"]
JPEG_QUALITY = 95


@dataclasses.dataclass
class Camera:
    name: str
    frames: CameraFrames
    tracks: np.ndarray | None  # given tracks, (frame, id, x, y, w, h); None: the built-in tracker's
    track_lines: np.ndarray | None  # each given box's line in its file
    truth: np.ndarray | None  # ground truth, same columns


def cameras(config: TrackletsConfig) -> list[Camera]:
    """Every camera's input, all checked before any work starts."""
    regions = named_values(config.cameras.region, "region")
    tracks = named_values(config.cameras.tracks, "tracks")
    truth = named_values(config.ground_truth, "ground_truth")
    result = []
    for name, path in named_values(config.cameras.video, "video").items():
        region = parse_region(regions[name], f"--region={name}={regions[name]}") if name in regions else None
        given, lines = read_tracks(tracks[name], f"--tracks={name}={tracks[name]}") if name in tracks else (None, None)
        gt = read_tracks(truth[name], f"--ground_truth={name}={truth[name]}")[0] if name in truth else None
        result.append(Camera(name, CameraFrames(path, f"--video={name}={path}", region), given, lines, gt))
    return result


def clipped(box, height: int, width: int) -> tuple[int, int, int, int]:
    """(x, y, w, h) clipped to a height x width image and widened to whole pixels (w or h 0 when
    the box lies outside)."""
    x0, y0 = max(0, math.floor(box[0])), max(0, math.floor(box[1]))
    x1, y1 = min(width, math.ceil(box[0] + box[2])), min(height, math.ceil(box[1] + box[3]))
    return x0, y0, max(0, x1 - x0), max(0, y1 - y0)


def built_in_tracks(camera: Camera, config: TrackletsConfig):
    """Yields (frame number, image, [(track id, box)]) from the detector and tracker; the
    detector's background model first sees frames spread over the whole video."""
    detector = ForegroundDetector(config.min_box_height, config.min_box_width)
    step = max(1, camera.frames.count // WARM_UP_FRAMES)
    for _, image in camera.frames.frames(step):
        detector.learn(image)
    tracker = IouTracker()
    for number, image in camera.frames.frames():
        boxes = detector.detect(image)
        yield number, image, list(zip(tracker.update(boxes), boxes))


def given_tracks(camera: Camera):
    """Yields (frame number, image, [(track id, box)]) from a tracks file; a box in a frame the
    video does not have stops with the file's line."""
    by_frame: dict[int, list] = {}
    for row in camera.tracks:
        by_frame.setdefault(int(row[0]), []).append((int(row[1]), row[2:6]))
    last = 0
    for number, image in camera.frames.frames():
        last = number
        yield number, image, by_frame.get(number, [])
    beyond = camera.tracks[:, 0] > last
    if beyond.any():
        first = int(np.argmax(beyond))
        raise UserInputError(f"{camera.frames.flag}: the tracks file's line {camera.track_lines[first]} names frame "
                             f"{int(camera.tracks[first, 0])}, but the video has {last} frames")


def crop_camera(camera: Camera, config: TrackletsConfig, out: str, progress: Progress, done: int):
    """Crops one camera into out/<camera>/; returns (crop rows, every box of every track as
    (frame, id, x, y, w, h) clipped, frames read)."""
    height, width = camera.frames.size
    offset_x, offset_y = camera.frames.offset
    rows, boxes, frames = [], [], 0
    source = given_tracks(camera) if camera.tracks is not None else built_in_tracks(camera, config)
    for number, image, tracked in source:
        frames = number
        for track, box in tracked:
            x, y, w, h = clipped(box, height, width)
            if not w or not h:
                continue
            boxes.append((number, track, x, y, w, h))
            if (number - 1) % config.frame_stride or w < config.min_box_width or h < config.min_box_height:
                continue
            crop = os.path.join(camera.name, f"{track:04d}", f"{number:06d}.jpg")
            os.makedirs(os.path.join(out, os.path.dirname(crop)), exist_ok=True)
            cv2.imwrite(os.path.join(out, crop), image[y:y + h, x:x + w], [cv2.IMWRITE_JPEG_QUALITY, JPEG_QUALITY])
            rows.append([camera.name, track, number, crop, os.path.abspath(camera.frames.path),
                         x + offset_x, y + offset_y, w, h])
        progress.update(done + number)
    return rows, np.array(boxes, np.float64).reshape(-1, 6), frames


def keep_long_tracks(rows: list, out: str, camera: str, min_length: int) -> list:
    """The rows of tracks with at least min_length crops; the other tracks' folders go."""
    tracks, counts = np.unique([row[1] for row in rows], return_counts=True)
    short = set(tracks[counts < min_length].tolist())
    for track in short:
        shutil.rmtree(os.path.join(out, camera, f"{track:04d}"))
    return [row for row in rows if row[1] not in short]


def write_csv(path: str, header: list[str], rows: list):
    with open(path, "w", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        writer.writerows(rows)


def extract(config: TrackletsConfig, log=print) -> dict:
    """Writes config.out; returns per camera: frames, tracks kept, crops, seconds (and the
    ground-truth scores under 'scores')."""
    out = os.path.abspath(config.out)
    if os.path.lexists(out) and not os.path.isfile(os.path.join(out, TRACKS_CSV)):
        raise UserInputError(f"--out={out} exists and was not written by data_prep.tracklets; choose a new path")
    inputs = cameras(config)
    progress = Progress(sum(c.frames.count for c in inputs), "frame", log)
    summary, accumulators, identities, all_rows, done = {}, {}, [], [], 0
    with atomic_directory(out) as tmp:
        for camera in inputs:
            began = time.time()
            rows, boxes, frames = crop_camera(camera, config, tmp, progress, done)
            done += frames
            rows = keep_long_tracks(rows, tmp, camera.name, config.min_length)
            if not rows:
                raise UserInputError(f"camera {camera.name}: no track has --min_length={config.min_length} crops of "
                                     f"at least {config.min_box_width}x{config.min_box_height} pixels; lower them "
                                     "or check the video")
            kept = sorted({row[1] for row in rows})
            summary[camera.name] = dict(frames=frames, tracks=len(kept), crops=len(rows),
                                        seconds=round(time.time() - began, 1))
            progress.log(f"{camera.name}: {frames} frames in {duration(time.time() - began)}, {len(kept)} tracks of "
                         f"{config.min_length}+ crops, {len(rows)} crops")
            if camera.truth is not None:
                accumulators[camera.name] = scores.accumulate(camera.truth, boxes[np.isin(boxes[:, 1], kept)])
                identities += [[camera.name, f"{track:04d}", person] for track, person
                               in sorted(scores.track_identities(accumulators[camera.name]).items())]
            all_rows += rows
        write_csv(os.path.join(tmp, TRACKS_CSV), TRACKS_COLUMNS, all_rows)
        if accumulators:
            summary["scores"] = scores.scores(accumulators)
            log(scores.format_scores(summary["scores"]))
            write_csv(os.path.join(tmp, IDENTITIES), IDENTITY_COLUMNS, identities)
    return summary
