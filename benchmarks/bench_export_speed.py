"""Frames per second of one embedding as a SavedModel (TensorFlow), ONNX (onnxruntime) and LiteRT
(its interpreter), at what a tracker sends per frame (batch 1 and 16 crops), at the release's
224x112 and at 256x128 (BoxMOT's and torchreid's crop size), interleaved rounds, as ratios to the
SavedModel. MobileNet v1 1.0 with the ImageNet weights of ../shared (random weights without it:
the speed does not depend on them). Also how far each runtime's features are from the
SavedModel's, on random frames at batch 16: the largest difference over the largest feature.

    python benchmarks/bench_export_speed.py [--rounds 5] [--seconds 2]

Needs the export extra (pip install '.[export]'); skips in one line without it.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.machine import describe  # noqa: E402

SIZES = ((224, 112), (256, 128))
BATCHES = (1, 16)
RUNTIMES = ("saved_model", "onnx", "litert")
WEIGHTS = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))), "shared",
                       "weights", "mobilenet_v1_1.0_no_top.weights.h5")


def missing() -> str | None:
    for module in ("tf2onnx", "onnxruntime", "ai_edge_litert"):
        try:
            __import__(module)
        except ImportError:
            return module
    return None


def embedders(height: int, width: int, root: str) -> dict:
    """runtime (and litert_float16) -> embed(uint8 [N, H, W, 3]) of one MobileNet."""
    from dal_tf.config import ModelConfig, TrainConfig
    from dal_tf.deploy import export_formats
    from dal_tf.deploy.saved_model import export_saved_model
    from dal_tf.evaluation import features
    from dal_tf.networks import backbones
    from dal_tf.runs.checkpoints import TrainedNetwork

    weights = WEIGHTS if os.path.isfile(WEIGHTS) else "none"
    model = TrainedNetwork(backbones.build_backbone("mobilenet", weights, height, width, log=lambda _: None), 0.9999)
    config = TrainConfig(model=ModelConfig(weights="none", image_height=height, image_width=width))
    export_saved_model(model, config, f"{root}/saved_model", step=0, training_people={})
    for name, fmt, quantize in (("onnx", "onnx", "none"), ("litert", "litert", "none"),
                                ("litert_float16", "litert", "float16")):
        export_formats.export_runtime(model, config, f"{root}/{name}", fmt=fmt, convention="uint8_nhwc",
                                      quantize=quantize, step=0, training_people={})
    return {name: features.saved_model_embedder(f"{root}/{name}")[0].embed
            for name in RUNTIMES + ("litert_float16",)}


def frames_per_second(embed, images, seconds: float) -> float:
    import numpy as np

    np.asarray(embed(images))  # warm up (and plan LiteRT's buffers for this batch)
    calls, began = 0, time.perf_counter()
    while time.perf_counter() - began < seconds:
        np.asarray(embed(images))
        calls += 1
    return calls * len(images) / (time.perf_counter() - began)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=2.0)
    args = parser.parse_args()
    absent = missing()
    if absent:
        print(f"skipped: {absent} is not installed (pip install '.[export]')")
        return
    import numpy as np
    import tensorflow as tf

    weights = "ImageNet weights" if os.path.isfile(WEIGHTS) else "random weights"
    print(f"{describe()}; MobileNet v1 1.0 ({weights}), uint8 frames, {args.rounds} interleaved rounds of {args.seconds:g} s "
          "each, median frames/s (ratio to the SavedModel: the median of the rounds', their range)")
    print("| size | batch | SavedModel | ONNX Runtime | LiteRT |")
    print("|---|---:|---:|---:|---:|")
    agreement = []
    for height, width in SIZES:
        with tempfile.TemporaryDirectory() as root:
            embed = embedders(height, width, root)
            for batch in BATCHES:
                images = tf.constant(np.random.default_rng(0).integers(0, 256, (batch, height, width, 3), np.uint8))
                rates = {r: [] for r in RUNTIMES}
                for _ in range(args.rounds):
                    for runtime in RUNTIMES:
                        rates[runtime].append(frames_per_second(embed[runtime], images, args.seconds))
                base = np.array(rates["saved_model"])
                cells = [f"{np.median(base):.0f}"]
                for runtime in RUNTIMES[1:]:
                    ratio = np.array(rates[runtime]) / base
                    cells.append(f"{np.median(rates[runtime]):.0f} ({np.median(ratio):.2f}x, "
                                 f"{ratio.min():.2f}-{ratio.max():.2f})")
                print(f"| {height}x{width} | {batch} | " + " | ".join(cells) + " |", flush=True)
            reference = np.asarray(embed["saved_model"](images))
            agreement.append((f"{height}x{width}", [np.abs(np.asarray(embed[name](images)) - reference).max()
                                                    / np.abs(reference).max()
                                                    for name in ("onnx", "litert", "litert_float16")]))
    print("largest difference from the SavedModel's features over the largest feature, batch 16 random frames:")
    for size, values in agreement:
        print(f"  {size}: ONNX Runtime {values[0]:.1e}, LiteRT {values[1]:.1e}, LiteRT float16 {values[2]:.1e}")


if __name__ == "__main__":
    main()
