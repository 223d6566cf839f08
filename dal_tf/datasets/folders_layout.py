"""Users' own tracklets on disk: DIR/<camera>/<tracklet>/<frames>, naturally sorted, and the
optional DIR/identities.csv (camera,tracklet,person) that says who is who where it is known.

Nothing here needs identities: without the file every tracklet's person is unknown (id -1).
"""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import os

from dal_tf.datasets.base import Tracklet, TrackletSet, natural_sorted
from dal_tf.datasets.prepared import IndexedTracklet
from dal_tf.utils.errors import UserInputError

# What tf.io.decode_image reads.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")
IDENTITIES = "identities.csv"
IDENTITY_COLUMNS = ["camera", "tracklet", "person"]
LAYOUT = "DIR/<camera>/<tracklet>/<frames>"


@dataclasses.dataclass(frozen=True)
class Layout:
    cameras: list[str]  # camera folder names; a tracklet's camera is its position here
    tracklets: list[IndexedTracklet]  # frames relative to the root, "<camera>/<tracklet>/<frame>"
    ignored_files: int  # files that are neither frames nor folders where tracklets or frames belong


def person_id(person: str) -> int:
    """A person's id from their name alone (48 bits of its sha256), so that it stays the same
    whatever else identities.csv lists: runs record their training people by id."""
    return int.from_bytes(hashlib.sha256(person.encode()).digest()[:6], "big")


def tracklet_name(tracklet) -> str:
    """'<camera>/<tracklet>' of a folders tracklet, from its first frame's path."""
    return "/".join(os.path.normpath(tracklet.frames[0]).split(os.sep)[-3:-1])


def frame_files(folder: str) -> tuple[list[str], int]:
    """(the image files in folder, naturally sorted; how many other entries it holds)."""
    entries = os.listdir(folder)
    frames = natural_sorted(name for name in entries if name.lower().endswith(IMAGE_EXTENSIONS)
                            and os.path.isfile(os.path.join(folder, name)))
    return frames, len(entries) - len(frames)


def _subfolders(folder: str) -> tuple[list[str], int]:
    entries = os.listdir(folder)
    folders = natural_sorted(name for name in entries if os.path.isdir(os.path.join(folder, name)))
    return folders, len(entries) - len(folders)


def scan_layout(root: str, flag: str = "--data_dir") -> Layout:
    """Every camera and tracklet under root; an empty camera, a tracklet without frames or fewer
    than two cameras stop with one line naming the folder."""
    if not os.path.isdir(root):
        raise UserInputError(f"{flag}={root} is not a directory; expected {LAYOUT}")
    cameras, _ = _subfolders(root)  # files beside the cameras (identities.csv, tracks.csv) are not frames
    if len(cameras) < 2:
        raise UserInputError(f"{flag}={root} holds {len(cameras)} camera folder(s) {cameras}; DAL associates "
                             f"tracklets across cameras and needs two or more ({LAYOUT})")
    tracklets, ignored = [], 0
    for camera, camera_name in enumerate(cameras):
        camera_dir = os.path.join(root, camera_name)
        names, stray = _subfolders(camera_dir)
        ignored += stray
        if not names:
            raise UserInputError(f"{camera_dir} is an empty camera: it holds no tracklet folders ({LAYOUT})")
        for name in names:
            frames, other = frame_files(os.path.join(camera_dir, name))
            ignored += other
            if not frames:
                raise UserInputError(f"{os.path.join(camera_dir, name)} holds no frames "
                                     f"({', '.join(IMAGE_EXTENSIONS)})")
            tracklets.append(IndexedTracklet("pool", camera, "", -1,
                                             tuple(f"{camera_name}/{name}/{frame}" for frame in frames)))
    return Layout(cameras, tracklets, ignored)


def read_identities(root: str, layout: Layout) -> dict[str, str]:
    """{'<camera>/<tracklet>': person} from root/identities.csv; {} without the file."""
    path = os.path.join(root, IDENTITIES)
    if not os.path.isfile(path):
        return {}
    known = {tracklet_name(t) for t in layout.tracklets}
    people = {}
    try:
        with open(path, newline="") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError, csv.Error) as error:
        raise UserInputError(f"cannot read {path}: {error}") from error
    if not rows or [cell.strip() for cell in rows[0]] != IDENTITY_COLUMNS:
        raise UserInputError(f"{path}:1: expected the header {','.join(IDENTITY_COLUMNS)}")
    for line, row in enumerate(rows[1:], 2):
        if not any(cell.strip() for cell in row):
            continue
        cells = [cell.strip() for cell in row]
        if len(cells) != 3 or not all(cells):
            raise UserInputError(f"{path}:{line}: expected camera,tracklet,person, got {','.join(row)[:80]!r}")
        name = f"{cells[0]}/{cells[1]}"
        if name not in known:
            raise UserInputError(f"{path}:{line}: there is no tracklet folder {os.path.join(root, name)}")
        if name in people:
            raise UserInputError(f"{path}:{line}: tracklet {name} is listed twice")
        people[name] = cells[2]
    return people


def identified(layout: Layout, people: dict[str, str]) -> list[IndexedTracklet]:
    """The layout's tracklets with their person (name and id) where identities.csv gives one."""
    return [dataclasses.replace(t, person=people[tracklet_name(t)], person_id=person_id(people[tracklet_name(t)]))
            if tracklet_name(t) in people else t for t in layout.tracklets]


def folder_tracklets(root: str, flag: str) -> tuple[list[str], TrackletSet]:
    """One directory of tracklet folders (dal_tf.match --query / --gallery): (folder names, their
    tracklets), naturally sorted; flag names the source in errors."""
    if not os.path.isdir(root):
        raise UserInputError(f"{flag}={root} is not a directory")
    names, _ = _subfolders(root)
    if not names:
        raise UserInputError(f"{flag}={root} holds no tracklet folders; expected one folder of frames per tracklet")
    tracklets = []
    for index, name in enumerate(names):
        folder = os.path.join(root, name)
        frames, _ = frame_files(folder)
        if not frames:
            raise UserInputError(f"{flag}: {folder} holds no frames ({', '.join(IMAGE_EXTENSIONS)})")
        tracklets.append(Tracklet(tuple(os.path.abspath(os.path.join(folder, f)) for f in frames), 0, index))
    return names, TrackletSet(tuple(tracklets), num_cameras=1)
