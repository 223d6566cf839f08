"""Short multi-camera videos: the synthetic people walking through two or three camera views,
each view with its own look and background, a pole in front of the walkers, people at several
depths crossing each other, and the ground truth as MOTChallenge files.

Each person walks once through every view, so the same people appear in every camera: test data
with known answers for detection, tracking, tracklet extraction and cross-camera re-id.
Ground-truth rows are `frame,id,x,y,w,h,1,1,visibility`: frames from 1, the id is the person's
(the same in every camera), the box is the drawn person's extent clipped to the frame, and
visibility the share of the person neither outside the frame nor hidden by the pole or by
someone nearer.
"""

from __future__ import annotations

import dataclasses
import math
import os

import cv2
import numpy as np

from dal_tf.datasets.synthetic.people import draw_person, identity
from dal_tf.datasets.synthetic.scenes import CAMERA_LOOKS, camera_look, scene_for
from dal_tf.utils.atomic_io import atomic_directory

WALK = 11  # the random stream of the walks (spec.py's streams are 0..4)


@dataclasses.dataclass(frozen=True)
class Walk:
    person: int  # id, from 1
    x0: float  # centre at the first frame, pixels
    speed: float  # pixels per frame; < 0 walks to the left
    feet_y: float  # pixels: nearer walkers are lower and taller
    height: float  # of the drawing's canvas, pixels
    phase: float
    phase_step: float


def plan_walks(seed: int, camera: int, people: int, frames: int, height: int, width: int) -> list[Walk]:
    """One walk per person across the view, in either direction, at one of three depths, timed so
    that everyone is in view for a good part of the video and walkers meet."""
    rng = np.random.default_rng([seed, WALK, camera])
    walks = []
    for person in range(1, people + 1):
        depth = int(rng.integers(3))  # the camera looks down: nearer lanes are lower in the image
        feet_y = height * (0.47 + 0.24 * depth) + rng.normal(0, 0.01 * height)
        canvas = height * (0.34 + 0.14 * depth)
        direction = 1 if rng.random() < 0.5 else -1
        speed = direction * rng.uniform(0.012, 0.02) * width
        transit = (width + canvas / 2) / abs(speed)
        # Where the walk is at the video's start: anywhere from just outside the view to its middle.
        done = rng.uniform(-0.6, 0.5) * transit if transit < frames else rng.uniform(0, transit - frames / 2)
        x0 = (-canvas / 4 if direction > 0 else width + canvas / 4) + speed * done
        walks.append(Walk(person, float(x0), float(speed), float(feet_y), float(canvas),
                          float(rng.uniform(0, 2 * math.pi)), float(rng.uniform(0.35, 0.55))))
    return walks


def _pole(seed: int, camera: int, height: int, width: int) -> tuple[int, int, tuple[float, float, float]]:
    """(left, right, colour) of the pole standing in front of the walkers."""
    rng = np.random.default_rng([seed, WALK, camera, 1])
    left = int(rng.uniform(0.3, 0.65) * width)
    return left, left + max(2, int(0.03 * width)), tuple(rng.uniform(30, 90, 3).tolist())


def render_camera(seed: int, camera: int, people: int, frames: int, height: int, width: int):
    """Yields (BGR uint8 frame, ground-truth rows [(id, x, y, w, h, visibility)]) per frame."""
    look = CAMERA_LOOKS[camera]
    scene = scene_for(seed, camera, height, width)
    walks = sorted(plan_walks(seed, camera, people, frames, height, width), key=lambda w: w.feet_y)
    looks = {w.person: identity(seed, w.person) for w in walks}
    pole_left, pole_right, pole_colour = _pole(seed, camera, height, width)
    for frame in range(frames):
        rng = np.random.default_rng([seed, WALK, camera, 2, frame])
        image = scene.copy()
        owner = np.full((height, width), -1, np.int32)  # who is seen at each pixel
        drawn = {}
        for walk in walks:  # far to near, so that nearer people hide farther ones
            x = walk.x0 + walk.speed * frame
            canvas_h = int(round(walk.height))
            canvas_w = canvas_h // 2
            left, top = int(round(x - canvas_w / 2)), int(round(walk.feet_y - 0.96 * canvas_h))
            if left >= width or left + canvas_w <= 0:
                continue
            drawing = draw_person(looks[walk.person], walk.phase + frame * walk.phase_step, canvas_h, canvas_w)
            if walk.speed < 0:
                drawing = drawing[:, ::-1]
            ys, xs = np.nonzero(drawing[..., 3])
            y0, y1, x0, x1 = max(top, 0), min(top + canvas_h, height), max(left, 0), min(left + canvas_w, width)
            piece = drawing[y0 - top:y1 - top, x0 - left:x1 - left]
            alpha = piece[..., 3:].astype(np.float32) / 255
            image[y0:y1, x0:x1] = image[y0:y1, x0:x1] * (1 - alpha) + piece[..., :3] * alpha
            owner[y0:y1, x0:x1][piece[..., 3] > 127] = walk.person
            drawn[walk.person] = (left + xs.min(), top + ys.min(), left + xs.max() + 1, top + ys.max() + 1,
                                  int(np.count_nonzero(drawing[..., 3] > 127)))
        image[:, pole_left:pole_right] = pole_colour
        owner[:, pole_left:pole_right] = -1
        seen = np.bincount(owner[owner > 0].ravel(), minlength=people + 1)
        rows = []
        for person, (bx0, by0, bx1, by1, area) in sorted(drawn.items()):
            bx0, by0, bx1, by1 = max(bx0, 0), max(by0, 0), min(bx1, width), min(by1, height)
            if bx1 > bx0 and by1 > by0 and seen[person]:
                rows.append((person, bx0, by0, bx1 - bx0, by1 - by0, seen[person] / area))
        yield camera_look(image, look, (1.0, 1.0, 1.0), 0.0, height / 256, rng), rows


def mot_lines(frame_rows) -> list[str]:
    """MOTChallenge ground-truth lines from [(frame from 1, [(id, x, y, w, h, visibility)])]."""
    return [f"{frame},{person},{x},{y},{w},{h},1,1,{visibility:.3f}"
            for frame, rows in frame_rows for person, x, y, w, h, visibility in rows]


def write_camera(video_path: str, gt_path: str, seed: int, camera: int, people: int, frames: int,
                 height: int, width: int, fps: float = 10.0):
    """Renders one camera's video (Motion JPEG, which OpenCV writes without codecs of the
    system's) and its ground truth."""
    writer = cv2.VideoWriter(video_path, cv2.VideoWriter_fourcc(*"MJPG"), fps, (width, height))
    if not writer.isOpened():
        raise RuntimeError(f"OpenCV cannot write {video_path}")
    frame_rows = []
    try:
        for frame, (image, rows) in enumerate(render_camera(seed, camera, people, frames, height, width), 1):
            writer.write(image)
            frame_rows.append((frame, rows))
    finally:
        writer.release()
    with open(gt_path, "w") as handle:
        handle.writelines(line + "\n" for line in mot_lines(frame_rows))


def camera_names(cameras: int) -> list[str]:
    return [f"cam{camera + 1}" for camera in range(cameras)]


def write_videos(config) -> list[str]:
    """Every camera of a SyntheticVideoConfig into config.out (at once); returns the camera names."""
    names = camera_names(config.cameras)
    with atomic_directory(config.out) as tmp:
        for camera, name in enumerate(names):
            write_camera(os.path.join(tmp, f"{name}.avi"), os.path.join(tmp, f"{name}.gt.txt"), config.seed, camera,
                         config.people, config.frames, config.height, config.width)
    return names
