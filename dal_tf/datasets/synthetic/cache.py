"""Writing a synthetic data set to disk in PRID 2011's layout, once per spec: the rendered tree is
reused while its marker file says it came from the same spec and renderer."""

from __future__ import annotations

import dataclasses
import json
import os

import cv2
import numpy as np

from dal_tf.datasets.prid_layout import CAMERAS
from dal_tf.datasets.synthetic.people import identity
from dal_tf.datasets.synthetic.scenes import SUPERSAMPLE, random_motion, render_frame, scene_for
from dal_tf.datasets.synthetic.spec import CAM_B_ONLY_ID_OFFSET, FRAME, TRACKLET, SyntheticSpec
from dal_tf.utils.atomic_io import atomic_directory
from dal_tf.utils.errors import UserInputError
from dal_tf.utils.progress import Progress

RENDER_VERSION = 1  # bump whenever the images change, so cached trees are regenerated
MARKER = "synthetic.json"


def people(spec: SyntheticSpec, camera_index: int) -> list[tuple[int, int]]:
    """(person number in the camera's folder, identity id) for every person the camera sees."""
    only = spec.num_cam_a_only if camera_index == 0 else spec.num_cam_b_only
    offset = 0 if camera_index == 0 else CAM_B_ONLY_ID_OFFSET
    shared = [(n, n) for n in range(1, spec.num_shared + 1)]
    return shared + [(n, offset + n) for n in range(spec.num_shared + 1, spec.num_shared + only + 1)]


def _marker(spec: SyntheticSpec) -> dict:
    return {"render_version": RENDER_VERSION, "spec": dataclasses.asdict(spec)}


def _read_marker(tree: str) -> dict | None:
    path = os.path.join(tree, MARKER)
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except (OSError, json.JSONDecodeError) as error:
        raise UserInputError(f"{path} is unreadable ({error}); delete {tree} to regenerate it") from error


def stored_spec(root: str) -> SyntheticSpec | None:
    tree = os.path.join(root, "prid_2011")
    marker = _read_marker(tree)
    if marker is None:
        return None
    try:
        return SyntheticSpec(**marker["spec"])
    except (KeyError, TypeError, ValueError) as error:
        raise UserInputError(f"{os.path.join(tree, MARKER)} holds no valid spec ({error}); delete {tree}") from error


def _write_tracklets(staging: str, spec: SyntheticSpec, log):
    canvas_width = spec.width * SUPERSAMPLE
    progress = Progress(sum(len(people(spec, camera)) for camera in range(len(CAMERAS))), "tracklet", log)
    done = 0
    for camera_index, camera_dir in enumerate(CAMERAS):
        scene = scene_for(spec.seed, camera_index, spec.height * SUPERSAMPLE, 8 * canvas_width)
        for number, person_id in people(spec, camera_index):
            person = identity(spec.seed, person_id)
            motion = random_motion(np.random.default_rng([spec.seed, TRACKLET, person_id, camera_index]),
                             spec, scene.shape[1], canvas_width)
            person_dir = os.path.join(staging, "multi_shot", camera_dir, f"person_{number:04d}")
            os.makedirs(person_dir)
            for frame in range(motion.num_frames):
                rng = np.random.default_rng([spec.seed, FRAME, person_id, camera_index, frame])
                image = render_frame(spec, person, camera_index, scene, motion, frame, rng)
                cv2.imwrite(os.path.join(person_dir, f"{frame + 1:04d}.png"), image)
            done += 1
            progress.update(done)


def generate(root: str, spec: SyntheticSpec, log=print) -> str:
    """Renders `spec` into root/prid_2011 (PRID 2011's layout) and returns root.

    Reuses an existing tree generated from the same spec. The tree and its synthetic.json appear
    at once (atomic_io.atomic_directory), so an interrupted run never leaves a half-written data set
    behind, and a tree from another spec is replaced without a moment of having none.
    """
    root = os.path.abspath(root)
    tree = os.path.join(root, "prid_2011")
    marker = _read_marker(tree)
    if marker == _marker(spec):
        return root
    if marker is None and os.path.exists(tree):
        raise UserInputError(f"{tree} exists but has no {MARKER}, so it is not a synthetic data set; "
                             "expected an empty or synthetic --data_dir")
    with atomic_directory(tree) as staging:
        log(f"rendering the synthetic data set into {tree} (once)")
        _write_tracklets(staging, spec, log)
        with open(os.path.join(staging, MARKER), "w") as f:
            json.dump(_marker(spec), f, indent=2)
    return root


