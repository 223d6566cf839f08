"""A DAL training step against a plain softmax cross-entropy step with the same backbone, batch
and input size (MobileNet v1, 224x112, batch 64), with PRID-sized and MARS-sized anchor tables.

    python benchmarks/bench_dal_overhead.py [--rounds 3] [--steps 5]

The three steps are timed in interleaved rounds (so that a slower stretch of the machine hits
all of them alike) and the medians are compared. Targets: DAL at most 3% slower than the plain
step with PRID's 178 training tracklets, at most 10% with MARS's 8,298.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from dal_tf.association.model import DALModel, SupervisedModel  # noqa: E402
from dal_tf.config import AssociationConfig  # noqa: E402
from dal_tf.networks import backbones  # noqa: E402
from dal_tf.training import distribution, optimizers
from machine import describe  # noqa: E402  (benchmarks/ is the script's own folder)

HEIGHT, WIDTH, BATCH = 224, 112, 64
SIZES = {"PRID (178 tracklets)": [89, 89], "MARS (8,298 tracklets)": [1816, 1957, 1321, 750, 1880, 574]}
TARGETS = {"PRID (178 tracklets)": 0.03, "MARS (8,298 tracklets)": 0.10}


def compiled(model):
    model.compile(optimizer=optimizers.RMSProp(0.01, rho=0.9, momentum=0.9, epsilon=1.0, clipvalue=2.0))
    model.optimizer.build(model.trained_variables())
    return distribution.step_function(model, tf.distribute.get_strategy())


def batch(rng, tracklets_per_camera):
    cameras = rng.integers(0, len(tracklets_per_camera), BATCH).astype(np.int32)
    indices = np.array([rng.integers(0, tracklets_per_camera[c]) for c in cameras], np.int32)
    images = rng.uniform(-1, 1, size=(BATCH, HEIGHT, WIDTH, 3)).astype(np.float32)
    return tf.constant(images), tf.constant(cameras), tf.constant(indices)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--steps", type=int, default=5)
    args = parser.parse_args()
    print(describe(), flush=True)  # ratios differ between processors
    rng = np.random.default_rng(0)
    steps = {}
    plain_people = SIZES["MARS (8,298 tracklets)"]
    steps["plain softmax"] = (compiled(SupervisedModel(
        backbones.build_backbone("mobilenet", "none", HEIGHT, WIDTH), np.arange(sum(plain_people)) % 625, 625,
        tracklets_per_camera=plain_people)), plain_people)
    for name, counts in SIZES.items():
        model = DALModel(backbones.build_backbone("mobilenet", "none", HEIGHT, WIDTH), counts, AssociationConfig(),
                         warmup_steps=0)
        steps[f"DAL, {name}"] = (compiled(model), counts)
    for step, counts in steps.values():  # trace and warm up
        for _ in range(2):
            step(batch(rng, counts))["loss"].numpy()
    times = {name: [] for name in steps}
    for _ in range(args.rounds):
        for name, (step, counts) in steps.items():
            data = [batch(rng, counts) for _ in range(args.steps)]
            for item in data:
                began = time.perf_counter()
                step(item)["loss"].numpy()
                times[name].append(time.perf_counter() - began)
    plain = np.median(times["plain softmax"])
    print(f"MobileNet v1, {HEIGHT}x{WIDTH}, batch {BATCH}, {args.rounds} x {args.steps} steps each, median:")
    print(f"  plain softmax step: {plain:.3f} s")
    for name in SIZES:
        dal = float(np.median(times[f"DAL, {name}"]))
        overhead = dal / plain - 1
        verdict = "meets" if overhead <= TARGETS[name] else "misses"
        print(f"  DAL step, {name}: {dal:.3f} s, ratio {dal / plain:.3f} ({100 * overhead:+.1f}%; "
              f"{verdict} the {100 * TARGETS[name]:.0f}% target)")
    # For run_all.py: what the input pipeline has to keep up with.
    print(json.dumps({"dal_step_seconds": float(np.median(times["DAL, PRID (178 tracklets)"]))}))


if __name__ == "__main__":
    main()
