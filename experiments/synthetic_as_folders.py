"""A synthetic data set laid out as a folders data set with its identities: OUT/cam_a/person_NNNN
-> the rendered tracklet (symbolic links) and OUT/identities.csv.

- By default, the built-in data set's test split: its people are never trained on by a
  --dataset=synthetic run of the same --split, so its export can be scored on them.
- With --seed, a new PRID-like data set rendered from that seed (other people, clothes and
  scenes) into --render_dir: --people seen by both cameras and --single_camera more in one, every
  tracklet laid out, to train on with --dataset=folders and find who is who in (docs/identities.md).

    python experiments/synthetic_as_folders.py --out=synthetic_folders [--split=1]
    python experiments/synthetic_as_folders.py --out=prid_like --seed=5 --people=120 --render_dir=prid_like_render
"""

from __future__ import annotations

import argparse
import os

from dal_tf.config import DataConfig
from dal_tf.datasets.prid_layout import multi_shot_dir
from dal_tf.datasets.synthetic import load_synthetic
from dal_tf.datasets.synthetic.cache import generate, people
from dal_tf.datasets.synthetic.spec import SyntheticSpec
from dal_tf.utils.atomic_io import atomic_directory, atomic_write_text

CAMERAS = ("cam_a", "cam_b")


def test_split(split: int) -> list[tuple[str, str, int]]:
    """(camera, tracklet folder, person id) of the built-in data set's test split."""
    dataset = load_synthetic(DataConfig(dataset="synthetic", split=split), log=lambda _: None)
    return [(CAMERAS[t.camera], os.path.dirname(t.frames[0]), t.person_id)
            for t in dataset.query.tracklets + dataset.gallery.tracklets]


def rendered(seed: int, shared: int, single_camera: int, render_dir: str) -> list[tuple[str, str, int]]:
    """(camera, tracklet folder, person id) of every tracklet of a newly rendered data set."""
    spec = SyntheticSpec(num_shared_train=shared - shared // 2, num_shared_test=shared // 2,
                         num_cam_a_only=single_camera // 2, num_cam_b_only=single_camera - single_camera // 2,
                         seed=seed)
    root = multi_shot_dir(generate(render_dir, spec))
    return [(camera, os.path.join(root, camera, f"person_{number:04d}"), person_id)
            for index, camera in enumerate(CAMERAS) for number, person_id in people(spec, index)]


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--split", type=int, default=1, help="the built-in data set's split")
    parser.add_argument("--seed", type=int, help="render a new data set from this seed instead")
    parser.add_argument("--people", type=int, default=120, help="--seed: people seen by both cameras")
    parser.add_argument("--single_camera", type=int, default=0, help="--seed: people seen by one camera")
    parser.add_argument("--render_dir", default="", help="--seed: where its frames are rendered (kept)")
    args = parser.parse_args()
    if args.seed is None:
        tracklets = test_split(args.split)
    elif not args.render_dir or args.people < 2 or args.single_camera < 0:
        parser.error("--seed needs --render_dir, --people >= 2 and --single_camera >= 0")
    else:
        tracklets = rendered(args.seed, args.people, args.single_camera, args.render_dir)
    lines = ["camera,tracklet,person"]
    with atomic_directory(args.out) as tmp:
        for camera, folder, person in tracklets:
            name = os.path.basename(folder)
            os.makedirs(os.path.join(tmp, camera), exist_ok=True)
            os.symlink(os.path.abspath(folder), os.path.join(tmp, camera, name))
            lines.append(f"{camera},{name},{person}")
        atomic_write_text(os.path.join(tmp, "identities.csv"), "\n".join(lines) + "\n")
    print(f"wrote {os.path.abspath(args.out)}: {len(lines) - 1} tracklets")


if __name__ == "__main__":
    main()
