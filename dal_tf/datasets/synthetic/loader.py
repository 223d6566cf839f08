"""`--dataset=synthetic`: the loader, which renders the tree on first use and splits its people."""

from __future__ import annotations

import os

import numpy as np

from dal_tf.config import DataConfig, default_cache_dir
from dal_tf.datasets.base import ReidDataset, Tracklet, TrackletSet
from dal_tf.datasets.prid_layout import CAMERAS, multi_shot_dir, scan_prid_layout
from dal_tf.datasets.registry import register
from dal_tf.datasets.synthetic.cache import MARKER, generate, people, stored_spec
from dal_tf.datasets.synthetic.spec import SPLIT, SyntheticSpec
from dal_tf.utils.errors import UserInputError


def split_test_people(spec: SyntheticSpec, split: int) -> list[int]:
    """The shared person numbers held out for testing in `split` (a fixed, seeded permutation)."""
    if split < 1:
        raise UserInputError(f"--split={split} must be >= 1")
    order = np.random.default_rng([spec.seed, SPLIT, split]).permutation(np.arange(1, spec.num_shared + 1))
    return sorted(int(n) for n in order[: spec.num_shared_test])


def _tracklet_set(entries: list[tuple[int, int, int, list[str]]]) -> TrackletSet:
    """entries: (camera, person number, person id, frames); indexed per camera by person number."""
    tracklets, next_index = [], [0, 0]
    for camera, _, person_id, frames in sorted(entries, key=lambda e: (e[0], e[1])):
        tracklets.append(Tracklet(tuple(frames), camera, next_index[camera], person_id))
        next_index[camera] += 1
    return TrackletSet(tuple(tracklets), num_cameras=2)


@register("synthetic")
def load_synthetic(config: DataConfig, log=print) -> ReidDataset:
    root = config.data_dir or os.path.join(default_cache_dir(), "synthetic")
    spec = stored_spec(root) or SyntheticSpec()
    generate(root, spec, log)  # a no-op unless the tree is missing or from an older renderer
    layout = scan_prid_layout(root)
    for camera_index, camera_dir in enumerate(CAMERAS):
        expected = [number for number, _ in people(spec, camera_index)]
        if list(layout[camera_dir]) != expected:
            raise UserInputError(f"{multi_shot_dir(root)}/{camera_dir} holds persons other than the "
                                 f"{len(expected)} its {MARKER} describes; delete {root}/prid_2011 to regenerate")

    test_people = set(split_test_people(spec, config.split))
    train, query, gallery = [], [], []
    for camera_index, camera_dir in enumerate(CAMERAS):
        for number, person_id in people(spec, camera_index):
            entry = (camera_index, number, person_id, layout[camera_dir][number])
            if number not in test_people:
                train.append(entry)
            elif camera_index == 0:
                query.append(entry)
            else:
                gallery.append(entry)
    return ReidDataset(name="synthetic", train=_tracklet_set(train), query=_tracklet_set(query),
                       gallery=_tracklet_set(gallery), protocol="single_shot", warmup_epochs=2.0,
                       optimizer="rmsprop", release_steps=800)

