"""The built-in tracker: detections joined frame to frame by box overlap (SORT's association
without its Kalman filter).

Each track predicts its next box from its last one and a smoothed velocity; predictions and
detections are paired by the Hungarian algorithm (SciPy) on 1 - IoU, pairs below
`min_iou` are refused, unpaired detections start tracks, and a track unpaired for more than
`max_missed` frames ends. A track coasting on its velocity keeps its id through a short
occlusion or while its blob has merged with another person's.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.optimize import linear_sum_assignment


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """[len(a), len(b)] intersection over union of (x, y, w, h) boxes."""
    a, b = np.asarray(a, np.float64).reshape(-1, 4), np.asarray(b, np.float64).reshape(-1, 4)
    x0 = np.maximum(a[:, None, 0], b[None, :, 0])
    y0 = np.maximum(a[:, None, 1], b[None, :, 1])
    x1 = np.minimum(a[:, None, 0] + a[:, None, 2], b[None, :, 0] + b[None, :, 2])
    y1 = np.minimum(a[:, None, 1] + a[:, None, 3], b[None, :, 1] + b[None, :, 3])
    inter = np.clip(x1 - x0, 0, None) * np.clip(y1 - y0, 0, None)
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None, :] - inter
    return np.where(union > 0, inter / np.maximum(union, 1e-12), 0.0)


@dataclasses.dataclass
class _Track:
    id: int
    box: np.ndarray  # (x, y, w, h) of its last detection
    velocity: np.ndarray  # (dx, dy) per frame
    missed: int = 0

    def predicted(self) -> np.ndarray:
        return self.box + np.concatenate([self.velocity * (self.missed + 1), [0.0, 0.0]])


class IouTracker:
    def __init__(self, min_iou: float = 0.2, max_missed: int = 15, smoothing: float = 0.5):
        self.min_iou, self.max_missed, self.smoothing = min_iou, max_missed, smoothing
        self.tracks: list[_Track] = []
        self.next_id = 1

    def update(self, boxes: np.ndarray) -> list[int]:
        """Takes one frame's [n, 4] (x, y, w, h) detections; returns each one's track id."""
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        ids = [0] * len(boxes)
        pairs = []
        if self.tracks and len(boxes):
            overlap = iou(np.stack([t.predicted() for t in self.tracks]), boxes)
            rows, cols = linear_sum_assignment(-overlap)
            pairs = [(r, c) for r, c in zip(rows, cols) if overlap[r, c] >= self.min_iou]
        paired_tracks = {r for r, _ in pairs}
        for r, c in pairs:
            track = self.tracks[r]
            step = (boxes[c, :2] - track.box[:2]) / (track.missed + 1)
            track.velocity = self.smoothing * step + (1 - self.smoothing) * track.velocity
            track.box, track.missed = boxes[c], 0
            ids[c] = track.id
        for r, track in enumerate(self.tracks):
            if r not in paired_tracks:
                track.missed += 1
        self.tracks = [t for t in self.tracks if t.missed <= self.max_missed]
        for c in range(len(boxes)):
            if not ids[c]:
                self.tracks.append(_Track(self.next_id, boxes[c], np.zeros(2)))
                ids[c] = self.next_id
                self.next_id += 1
        return ids
