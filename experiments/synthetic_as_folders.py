"""The built-in synthetic data set's test split laid out as a folders data set with its identities:
OUT/cam_a/person_NNNN -> the rendered tracklet (symbolic links) and OUT/identities.csv. Its people
are never trained on by a --dataset=synthetic run of the same --split, so its export can be scored
on them (docs/identities.md).

    python experiments/synthetic_as_folders.py --out=synthetic_folders [--split=1]
"""

from __future__ import annotations

import argparse
import os

from dal_tf.config import DataConfig
from dal_tf.datasets.synthetic import load_synthetic
from dal_tf.utils.atomic_io import atomic_directory, atomic_write_text

CAMERAS = ("cam_a", "cam_b")


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--out", required=True)
    parser.add_argument("--split", type=int, default=1)
    args = parser.parse_args()
    dataset = load_synthetic(DataConfig(dataset="synthetic", split=args.split), log=lambda _: None)
    lines = ["camera,tracklet,person"]
    with atomic_directory(args.out) as tmp:
        for tracklet in dataset.query.tracklets + dataset.gallery.tracklets:
            folder = os.path.dirname(tracklet.frames[0])
            camera, name = CAMERAS[tracklet.camera], os.path.basename(folder)
            os.makedirs(os.path.join(tmp, camera), exist_ok=True)
            os.symlink(folder, os.path.join(tmp, camera, name))
            lines.append(f"{camera},{name},{tracklet.person_id}")
        atomic_write_text(os.path.join(tmp, "identities.csv"), "\n".join(lines) + "\n")
    print(f"wrote {os.path.abspath(args.out)}: {len(lines) - 1} tracklets")


if __name__ == "__main__":
    main()
