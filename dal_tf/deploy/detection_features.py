"""Every box of a tracks or detections file with its embedding, for trackers that take features
computed elsewhere:

- <camera>.npy: DeepSORT's detections (nwojke/deep_sort's generate_detections.py, which StrongSORT
  reads too): float32 rows of the MOTChallenge line's 10 columns (frame, id, x, y, w, h, conf, x,
  y, z; missing ones -1), then the feature;
- <camera>.txt: those 10 columns as MOTChallenge text, one box a line, and <camera>.features.npy:
  float32 [lines, D], row i the feature of line i.

Rows keep the input's order. A box is clipped to the frame (tracks with --region are in its
coordinates), cropped, resized to the export's input size by the release's legacy bilinear rule
and rounded to uint8, as the export's metadata says; a box wholly outside the frame gets a zero
feature (distance 1 from every unit feature).
"""

from __future__ import annotations

import numpy as np
import tensorflow as tf

from dal_tf.datasets.input_pipeline import legacy_resize
from dal_tf.tracking.extraction import clipped
from dal_tf.utils.errors import UserInputError


def resized_crop(image_bgr: np.ndarray, box, height: int, width: int) -> np.ndarray | None:
    """The box's crop as uint8 RGB at height x width; None where it lies outside the image."""
    x, y, w, h = clipped(box, *image_bgr.shape[:2])
    if not w or not h:
        return None
    crop = image_bgr[y:y + h, x:x + w, ::-1].astype(np.float32)
    return tf.saturate_cast(tf.round(legacy_resize(tf.constant(crop), height, width)), tf.uint8).numpy()


def box_features(frames, rows: np.ndarray, embed, height: int, width: int, crops_per_batch: int,
                 progress=None) -> tuple[np.ndarray, int]:
    """(features [n, D] of rows' boxes in their frames, boxes outside their frame); frames: a
    tracking.frames.CameraFrames; rows: [n, >= 6] MOTChallenge rows; embed: uint8 [N, H, W, 3] ->
    [N, D]."""
    by_frame: dict[int, list[int]] = {}
    for i, frame in enumerate(rows[:, 0].astype(np.int64).tolist()):
        by_frame.setdefault(frame, []).append(i)
    features: np.ndarray | None = None
    pending: list[tuple[int, np.ndarray]] = []
    outside, last = [], 0

    def flush():
        nonlocal features
        if pending:
            out = np.asarray(embed(np.stack([crop for _, crop in pending])), np.float32)
            if features is None:
                features = np.zeros((len(rows), out.shape[1]), np.float32)
            features[[i for i, _ in pending]] = out
            pending.clear()

    for number, image in frames.frames():
        last = number
        for i in by_frame.get(number, []):
            crop = resized_crop(image, rows[i, 2:6], height, width)
            if crop is None:
                outside.append(i)
            else:
                pending.append((i, crop))
            if len(pending) >= crops_per_batch:
                flush()
        if progress:
            progress.update(number)
    flush()
    beyond = np.flatnonzero(rows[:, 0] > last)
    if len(beyond):
        raise UserInputError(f"{frames.flag}: a box names frame {int(rows[beyond[0], 0])}, but the video has "
                             f"{last} frames")
    if features is None:
        raise UserInputError(f"{frames.flag}: every box lies outside the frames")
    return features, len(outside)


def deepsort_rows(rows: np.ndarray, features: np.ndarray) -> np.ndarray:
    """DeepSORT's detection rows: the 10 MOTChallenge columns, then the feature, float32."""
    return np.concatenate([rows[:, :10], features], axis=1).astype(np.float32)


def mot_text(rows: np.ndarray) -> str:
    def cell(value):
        return f"{value:g}"

    return "".join(",".join(cell(v) for v in row[:10]) + "\n" for row in rows.tolist())
