"""The files of dal_tf.identities: tracks.csv read back per tracklet, and people.csv and the
per-box files written from the people found.

- people.csv: camera,tracklet,person,first,last,distance (first and last frame from tracks.csv,
  -1 without it; distance to the person's centre).
- mot/<camera>.txt, MOTChallenge: frame,id,x,y,w,h,conf,x,y,z with id the global person, conf 1
  and -1 for the world coordinates; one line per crop tracks.csv lists.
- aicity.txt, the AI City Challenge's multi-camera format: camera_id obj_id frame_id xmin ymin
  width height xworld yworld, space-separated, -1 for the world coordinates.
"""

from __future__ import annotations

import csv
import dataclasses
import io
import os
import re

import numpy as np

from dal_tf.tracking.extraction import TRACKS_COLUMNS, TRACKS_CSV
from dal_tf.utils.errors import UserInputError

PEOPLE_COLUMNS = ["camera", "tracklet", "person", "first", "last", "distance"]


@dataclasses.dataclass(frozen=True)
class TrackletBoxes:
    """Where one tracklet's crops came from, in frame order."""

    frames: np.ndarray  # [n] frame numbers, from 1
    boxes: np.ndarray  # [n, 4] x, y, w, h in the video's pixels
    video: str


def read_tracks_csv(data_dir: str) -> dict[str, TrackletBoxes] | None:
    """'<camera>/<tracklet>' -> its boxes, from data_dir's tracks.csv (None where there is none);
    a row whose crop is not in data_dir is refused."""
    path = os.path.join(data_dir, TRACKS_CSV)
    if not os.path.isfile(path):
        return None
    rows: dict[str, list] = {}
    try:
        with open(path, newline="") as handle:
            reader = csv.DictReader(handle)
            missing = set(TRACKS_COLUMNS) - set(reader.fieldnames or [])
            if missing:
                raise UserInputError(f"{path}: expected the columns {','.join(TRACKS_COLUMNS)}; "
                                     f"{', '.join(sorted(missing))} missing")
            for line, row in enumerate(reader, 2):
                crop = os.path.normpath(row["crop"])
                if not os.path.isfile(os.path.join(data_dir, crop)):
                    raise UserInputError(f"{path}:{line}: crop {row['crop']} is not in --data_dir={data_dir}")
                try:
                    values = [int(row["frame"])] + [float(row[c]) for c in ("x", "y", "w", "h")]
                except ValueError:
                    raise UserInputError(f"{path}:{line}: frame, x, y, w and h must be numbers") from None
                rows.setdefault("/".join(crop.split(os.sep)[-3:-1]), []).append((values, row["video"]))
    except (OSError, UnicodeDecodeError) as error:
        raise UserInputError(f"{path}: cannot read it ({error})") from error
    result = {}
    for name, entries in rows.items():
        values = np.array([v for v, _ in entries], np.float64)
        order = np.argsort(values[:, 0], kind="stable")
        result[name] = TrackletBoxes(values[order, 0].astype(np.int64), values[order, 1:], entries[0][1])
    return result


def spans(names: list[str], tracks: dict[str, TrackletBoxes] | None) -> tuple[np.ndarray, np.ndarray]:
    """(first, last) frame of each named tracklet; -1 where tracks.csv does not list it."""
    first, last = np.full(len(names), -1, np.int64), np.full(len(names), -1, np.int64)
    for i, name in enumerate(names):
        if tracks and name in tracks:
            first[i], last[i] = tracks[name].frames[0], tracks[name].frames[-1]
    return first, last


def people_csv(names: list[str], person: np.ndarray, first: np.ndarray, last: np.ndarray,
               distance: np.ndarray) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(PEOPLE_COLUMNS)
    for i in np.lexsort((np.arange(len(names)), person)):
        camera, tracklet = names[i].split("/")
        writer.writerow([camera, tracklet, int(person[i]), int(first[i]), int(last[i]), f"{distance[i]:.6f}"])
    return out.getvalue()


def camera_ids(camera_names: list[str]) -> dict[str, int]:
    """AI City camera ids: the number that ends each name where they are all distinct (c041 -> 41),
    else the 1-based position."""
    numbers = [re.search(r"(\d+)$", name) for name in camera_names]
    if all(numbers) and len({int(n.group(1)) for n in numbers}) == len(camera_names):
        return {name: int(n.group(1)) for name, n in zip(camera_names, numbers)}
    return {name: i for i, name in enumerate(camera_names, 1)}


def box_rows(names: list[str], person: np.ndarray, tracks: dict[str, TrackletBoxes]):
    """(camera, person, frame, x, y, w, h) of every listed crop, by camera, frame, person."""
    rows = []
    for name, p in zip(names, person.tolist()):
        if name in tracks:
            entry = tracks[name]
            rows += [(name.split("/")[0], p, f, *box) for f, box in zip(entry.frames.tolist(), entry.boxes.tolist())]
    return sorted(rows, key=lambda r: (r[0], r[2], r[1]))


def number(value: float) -> str:
    return f"{value:g}"


def mot_texts(rows) -> dict[str, str]:
    """camera -> its MOTChallenge text."""
    texts: dict[str, list[str]] = {}
    for camera, p, frame, x, y, w, h in rows:
        texts.setdefault(camera, []).append(f"{frame},{p},{number(x)},{number(y)},{number(w)},{number(h)},1,-1,-1,-1")
    return {camera: "\n".join(lines) + "\n" for camera, lines in texts.items()}


def aicity_text(rows, ids: dict[str, int]) -> str:
    return "".join(f"{ids[camera]} {p} {frame} {number(x)} {number(y)} {number(w)} {number(h)} -1 -1\n"
                   for camera, p, frame, x, y, w, h in rows)
