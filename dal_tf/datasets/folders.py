"""Users' own tracklets: a directory with one folder of frames per tracklet (for dal_tf.match)."""

from __future__ import annotations

import os

from dal_tf.datasets.base import Tracklet, TrackletSet, natural_sorted
from dal_tf.errors import UserInputError

# What tf.io.decode_image reads.
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif")


def folder_tracklets(root: str, flag: str) -> tuple[list[str], TrackletSet]:
    """(tracklet folder names, their tracklets), naturally sorted; flag names the source in errors."""
    if not os.path.isdir(root):
        raise UserInputError(f"{flag}={root} is not a directory")
    names = natural_sorted(entry.name for entry in os.scandir(root) if entry.is_dir())
    if not names:
        raise UserInputError(f"{flag}={root} holds no tracklet folders; expected one folder of frames per tracklet")
    tracklets = []
    for index, name in enumerate(names):
        folder = os.path.join(root, name)
        frames = natural_sorted(f for f in os.listdir(folder) if f.lower().endswith(IMAGE_EXTENSIONS))
        if not frames:
            raise UserInputError(f"{flag}: {folder} holds no frames ({', '.join(IMAGE_EXTENSIONS)})")
        tracklets.append(Tracklet(tuple(os.path.abspath(os.path.join(folder, f)) for f in frames), 0, index))
    return names, TrackletSet(tuple(tracklets), num_cameras=1)
