"""A camera's frames: a video file that OpenCV reads, or a folder of images in natural order; with
--region, the same rectangle of every frame (two halves of one video as two cameras)."""

from __future__ import annotations

import dataclasses
import os
from typing import Iterator

import cv2
import numpy as np

from dal_tf.config.command_line import native_stderr_silenced
from dal_tf.datasets.folders_layout import frame_files
from dal_tf.utils.errors import UserInputError


@dataclasses.dataclass(frozen=True)
class Region:
    x: int
    y: int
    width: int
    height: int


def parse_region(text: str, flag: str) -> Region:
    try:
        x, y, width, height = (int(v) for v in text.split(","))
    except ValueError:
        raise UserInputError(f"{flag}: expected X,Y,W,H in whole pixels, got {text!r}") from None
    if x < 0 or y < 0 or width < 1 or height < 1:
        raise UserInputError(f"{flag}: X and Y must be >= 0 and W, H >= 1, got {text!r}")
    return Region(x, y, width, height)


class CameraFrames:
    """The frames of one camera, numbered from 1 as in MOTChallenge files. `flag` names the source
    in errors; the source is checked when made (it exists and its first frame decodes)."""

    def __init__(self, path: str, flag: str, region: Region | None = None):
        self.path, self.flag, self.region = path, flag, region
        if os.path.isdir(path):
            self.images = [os.path.join(path, f) for f in frame_files(path)[0]]
            if not self.images:
                raise UserInputError(f"{flag}: the folder {path} holds no frames")
            self.count = len(self.images)
        elif os.path.isfile(path):
            self.images = None
            capture = self._capture()
            self.count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
            capture.release()
        else:
            raise UserInputError(f"{flag}: no such video file or folder of frames: {path}")
        first = next(self._full_frames(), None)
        if first is None:
            raise UserInputError(f"{flag}: {path} holds no frame that OpenCV can decode")
        self.full_height, self.full_width = first[1].shape[:2]
        if region and (region.x + region.width > self.full_width or region.y + region.height > self.full_height):
            raise UserInputError(f"{flag}: the region {region.x},{region.y},{region.width},{region.height} does "
                                 f"not fit its {self.full_width}x{self.full_height} frames")

    @property
    def size(self) -> tuple[int, int]:
        """(height, width) of the frames as this camera sees them."""
        if self.region:
            return self.region.height, self.region.width
        return self.full_height, self.full_width

    @property
    def offset(self) -> tuple[int, int]:
        """(x, y) of this camera's image in the source frames."""
        return (self.region.x, self.region.y) if self.region else (0, 0)

    def _capture(self) -> cv2.VideoCapture:
        with native_stderr_silenced():  # FFmpeg's complaints about a bad file: the error below says it
            capture = cv2.VideoCapture(self.path)
        if not capture.isOpened():
            raise UserInputError(f"{self.flag}: OpenCV cannot read {self.path} as a video")
        return capture

    def _full_frames(self, step: int = 1) -> Iterator[tuple[int, np.ndarray]]:
        """Every step-th frame from the first; a video's other frames are grabbed, not decoded."""
        if self.images is not None:
            for number, path in list(enumerate(self.images, 1))[::step]:
                image = cv2.imread(path, cv2.IMREAD_COLOR)
                if image is None:
                    raise UserInputError(f"{self.flag}: cannot decode the frame {path}")
                yield number, image
            return
        capture = self._capture()
        try:
            number = 0
            while True:
                number += 1
                if (number - 1) % step:
                    if not capture.grab():
                        return
                    continue
                ok, image = capture.read()
                if not ok:
                    return
                yield number, image
        finally:
            capture.release()

    def frames(self, step: int = 1) -> Iterator[tuple[int, np.ndarray]]:
        """(frame number from 1, BGR image of this camera's region) of every step-th frame."""
        for number, image in self._full_frames(step):
            if self.region:
                r = self.region
                image = image[r.y:r.y + r.height, r.x:r.x + r.width]
            yield number, image
