"""Indexes a PRID 2011 multi-shot tree: root/prid_2011/multi_shot/cam_a|cam_b/person_XXXX/NNNN.png.

In PRID, person_0001..person_0200 are the same people in both cameras; higher numbers are people
seen by only one camera, so cam_a's person_0300 and cam_b's person_0300 are different people.
"""

from __future__ import annotations

import os
import re

from dal_tf.datasets.base import natural_sorted
from dal_tf.utils.errors import UserInputError

CAMERAS = ("cam_a", "cam_b")
_PERSON_DIR = re.compile(r"person_(\d+)")


def multi_shot_dir(root: str) -> str:
    return os.path.join(root, "prid_2011", "multi_shot")


def scan_prid_layout(root: str) -> dict[str, dict[int, list[str]]]:
    """Returns {"cam_a": {person number: absolute frame paths, naturally sorted}, "cam_b": {...}}."""
    base = os.path.abspath(multi_shot_dir(root))
    layout = {}
    for camera in CAMERAS:
        camera_dir = os.path.join(base, camera)
        if not os.path.isdir(camera_dir):
            raise UserInputError(
                f"{camera_dir} is not a directory; expected PRID 2011's layout "
                f"<data_dir>/prid_2011/multi_shot/{camera}/person_0001/0001.png"
            )
        people = {}
        for name in os.listdir(camera_dir):
            match = _PERSON_DIR.fullmatch(name)
            person_dir = os.path.join(camera_dir, name)
            if not match or not os.path.isdir(person_dir):
                continue
            frames = natural_sorted([f for f in os.listdir(person_dir) if f.lower().endswith(".png")])
            if not frames:
                raise UserInputError(f"{person_dir} has no frames; expected PNG files named like 0001.png")
            people[int(match.group(1))] = [os.path.join(person_dir, f) for f in frames]
        if not people:
            raise UserInputError(f"{camera_dir} has no person_XXXX folders; expected e.g. {camera_dir}/person_0001/")
        layout[camera] = dict(sorted(people.items()))
    return layout
