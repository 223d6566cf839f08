"""Tracks in the MOTChallenge text format, one box a line: `frame,id,x,y,w,h,conf,...` with frames
from 1, boxes in pixels (x, y the top-left corner) and anything after conf ignored. ByteTrack,
DeepSORT, BoT-SORT and the ultralytics trackers write it. A conf of 0 marks a ground-truth box to
ignore, so such lines are skipped.

read_tracks: an [n, 6] float array of (frame, id, x, y, w, h) and each row's line number.
read_detections: every line as MOTChallenge's 10 columns (frame, id, x, y, w, h, conf, x, y, z;
missing ones -1), ids and conf as given: detection files (DeepSORT's det.txt) have id -1.
"""

from __future__ import annotations

import numpy as np

from dal_tf.utils.errors import UserInputError

FORMAT = "frame,id,x,y,w,h,conf,..."


def _numbered_values(path: str, flag: str):
    """(line number, the line, its numbers) of every non-empty line; a line that is not numbers,
    or has fewer than 6, or a frame that is not a whole number from 1, or a box without area,
    stops with the file and line."""
    try:
        with open(path) as handle:
            lines = handle.read().splitlines()
    except (OSError, UnicodeDecodeError) as error:
        raise UserInputError(f"{flag}: cannot read {path} ({error})") from error
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        cells = line.split(",")
        try:
            values = [float(cell) for cell in cells]
        except ValueError:
            raise UserInputError(f"{where}: expected numbers {FORMAT}, got {line[:80]!r}") from None
        if len(values) < 6:
            raise UserInputError(f"{where}: expected at least 6 values {FORMAT}, got {len(values)}")
        frame, _, x, y, w, h = values[:6]
        if frame != int(frame) or frame < 1:
            raise UserInputError(f"{where}: the frame must be a whole number from 1, got {cells[0].strip()}")
        if not (w > 0 and h > 0 and np.isfinite([x, y, w, h]).all()):
            raise UserInputError(f"{where}: the box needs a finite position and a width and height > 0")
        yield number, cells, values


def read_tracks(path: str, flag: str) -> tuple[np.ndarray, np.ndarray]:
    rows, numbers, seen = [], [], {}
    for number, cells, values in _numbered_values(path, flag):
        where = f"{path}:{number}"
        frame, track, x, y, w, h = values[:6]
        if len(values) > 6 and values[6] == 0:
            continue
        if track != int(track) or track < 1:
            raise UserInputError(f"{where}: the track id must be a whole number from 1, got {cells[1].strip()} "
                                 "(a file of detections without track ids cannot be cropped into tracks)")
        if (frame, track) in seen:
            raise UserInputError(f"{where}: track {int(track)} has a second box in frame {int(frame)} "
                                 f"(the first is on line {seen[(frame, track)]})")
        seen[(frame, track)] = number
        rows.append((frame, track, x, y, w, h))
        numbers.append(number)
    if not rows:
        raise UserInputError(f"{flag}: {path} holds no tracks ({FORMAT})")
    return np.array(rows, np.float64), np.array(numbers, np.int64)


def read_detections(path: str, flag: str) -> tuple[np.ndarray, np.ndarray]:
    """([n, 10] rows, line numbers) of every box line."""
    rows, numbers = [], []
    for number, _, values in _numbered_values(path, flag):
        rows.append((values + [-1.0] * 10)[:10])
        numbers.append(number)
    if not rows:
        raise UserInputError(f"{flag}: {path} holds no boxes ({FORMAT})")
    return np.array(rows, np.float64), np.array(numbers, np.int64)
