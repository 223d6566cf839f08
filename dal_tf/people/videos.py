"""--videos: a camera's video with every box tracks.csv lists drawn in its person's colour and
number (boxes appear on the frames that were cropped: every --frame_stride-th)."""

from __future__ import annotations

import os

import cv2

from dal_tf.people.sheet import person_colour
from dal_tf.utils.errors import UserInputError
from dal_tf.utils.progress import Progress


def draw_video(video: str, rows, out_path: str, log=None):
    """rows: (camera, person, frame, x, y, w, h) of this camera; writes out_path (MPEG-4)."""
    capture = cv2.VideoCapture(video)
    if not capture.isOpened():
        raise UserInputError(f"--videos: cannot open {video}")
    fps = capture.get(cv2.CAP_PROP_FPS) or 25.0
    size = int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)), int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT))
    writer = cv2.VideoWriter(out_path, cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    by_frame: dict[int, list] = {}
    for _, person, frame, x, y, w, h in rows:
        by_frame.setdefault(frame, []).append((person, int(x), int(y), int(w), int(h)))
    progress = Progress(int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) or 1, "frame", log)
    number = 0
    try:
        while True:
            ok, image = capture.read()
            if not ok:
                break
            number += 1
            for person, x, y, w, h in by_frame.get(number, []):
                colour = person_colour(person)
                cv2.rectangle(image, (x, y), (x + w - 1, y + h - 1), colour, 2)
                cv2.putText(image, str(person), (x + 2, max(12, y - 4)), cv2.FONT_HERSHEY_SIMPLEX, 0.5, colour, 2,
                            cv2.LINE_AA)
            writer.write(image)
            progress.update(number)
    finally:
        capture.release()
        writer.release()
    if not number or not os.path.getsize(out_path):
        raise UserInputError(f"--videos: {video} gave no frames")


def video_paths(specs: tuple[str, ...], camera_names: list[str], recorded: dict[str, str]) -> dict[str, str]:
    """--videos (CAMERA or CAMERA=VIDEO) -> camera: video, every one checked."""
    paths = {}
    for spec in specs:
        camera, _, path = spec.partition("=")
        if camera not in camera_names:
            raise UserInputError(f"--videos={spec}: no camera {camera!r} in --data_dir ({', '.join(camera_names)})")
        path = path or recorded.get(camera, "")
        if not path:
            raise UserInputError(f"--videos={spec}: tracks.csv names no video for camera {camera}; give {camera}=VIDEO")
        if not os.path.isfile(path):
            raise UserInputError(f"--videos={spec}: the video {path} is not there")
        paths[camera] = path
    return paths
