"""How far an ONNX or LiteRT export's features are from its SavedModel's: the largest difference,
absolute and over the largest feature, on random frames and on the synthetic data set's crops
(rendered into the cache by command 1), at batch 1 and 37.

    python experiments/export_agreement.py --saved_model=exports/demo exports/demo_onnx exports/demo_tflite
"""

from __future__ import annotations

import argparse
import glob
import os

import numpy as np
import tensorflow as tf

from dal_tf.config import default_cache_dir
from dal_tf.datasets import input_pipeline
from dal_tf.evaluation import features


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--saved_model", required=True)
    parser.add_argument("exports", nargs="+")
    args = parser.parse_args()
    reference, metadata = features.saved_model_embedder(args.saved_model)
    height, width = metadata["image_height"], metadata["image_width"]
    paths = sorted(glob.glob(os.path.join(default_cache_dir(), "synthetic", "prid_2011", "multi_shot", "*", "*",
                                          "*.png")))[::40][:37]
    sources = dict(random=np.random.default_rng(0).integers(0, 256, (37, height, width, 3)).astype(np.uint8))
    if paths:
        sources["crops"] = next(iter(input_pipeline.uint8_frames_dataset(paths, 37, height, width))).numpy()
    print("| export | frames | batch | largest difference | over the largest feature |")
    print("|---|---|---:|---:|---:|")
    for path in args.exports:
        embed = features.saved_model_embedder(path, "export")[0].embed
        for source, frames in sources.items():
            for batch in (1, 37):
                want = np.asarray(reference.embed(tf.constant(frames[:batch])))
                got = np.asarray(embed(tf.constant(frames[:batch])))
                difference = np.abs(got - want).max()
                print(f"| {path} | {source} | {batch} | {difference:.1e} | {difference / np.abs(want).max():.1e} |")


if __name__ == "__main__":
    main()
