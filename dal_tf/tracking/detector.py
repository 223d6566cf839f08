"""The built-in person detector: moving foreground of a static camera.

OpenCV's MOG2 background model (in OpenCV 5's main module, unlike the HOG people detector) marks
pixels that differ from the learnt background (without its shadow label, which also takes dark
clothes on dark ground for shadows); small specks are opened away, a tall closing joins the parts
of a body, and each connected blob of at least a person's minimum size is a detection. It needs no weights and runs at hundreds of frames
a second on one core; it assumes a fixed camera, merges people who overlap in the image, and
loses people who stand still for longer than the model's memory.
"""

from __future__ import annotations

import cv2
import numpy as np

FOREGROUND = 255
HISTORY = 300  # frames the background model remembers
WARM_UP_FRAMES = 60  # frames, spread over the whole video, shown to the model before detecting


def blobs(mask: np.ndarray, min_height: int, min_width: int) -> np.ndarray:
    """[n, 4] boxes (x, y, w, h) of the foreground blobs of a uint8 mask (255 = foreground) at
    least min_height x min_width, after opening specks away and closing gaps within a body."""
    foreground = np.where(mask == FOREGROUND, 255, 0).astype(np.uint8)
    foreground = cv2.morphologyEx(foreground, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    # Odd sizes: an even kernel's closing shifts the blob by a pixel.
    close = cv2.getStructuringElement(cv2.MORPH_RECT, (max(3, min_width // 4) | 1, max(3, min_height // 4) | 1))
    foreground = cv2.morphologyEx(foreground, cv2.MORPH_CLOSE, close)
    _, _, stats, _ = cv2.connectedComponentsWithStats(foreground, connectivity=8)
    boxes = stats[1:, :4]
    return boxes[(boxes[:, 3] >= min_height) & (boxes[:, 2] >= min_width)].astype(np.int64)


class ForegroundDetector:
    def __init__(self, min_height: int, min_width: int):
        self.min_height, self.min_width = min_height, min_width
        self.model = cv2.createBackgroundSubtractorMOG2(history=HISTORY, varThreshold=8, detectShadows=False)

    def learn(self, frame: np.ndarray):
        """Shows the model a frame without detecting: people move, so over frames spread across
        the video each pixel's most frequent look is the background, and the first frames are not
        haunted by the people standing where they started."""
        self.model.apply(frame)

    def detect(self, frame: np.ndarray) -> np.ndarray:
        return blobs(self.model.apply(frame), self.min_height, self.min_width)
