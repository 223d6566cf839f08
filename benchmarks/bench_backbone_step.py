"""Training-step throughput of the two backbones at the release's 224x112, batch 64, under any
Keras backend, in frames per second.

    python benchmarks/bench_backbone_step.py                     # TensorFlow, dal_tf's backend
    KERAS_BACKEND=jax python benchmarks/bench_backbone_step.py   # where only JAX is installed

A step is the network's forward and backward pass and the release's RMSProp update (clipped), on
random frames already on the device: no input pipeline and no association (which costs -1% to +5%
of a step on CPU, bench_dal_overhead.py). It runs in float32 and in mixed_float16 with loss
scaling (dal_tf's --mixed_precision), each with and without XLA (JAX always compiles with XLA).
dal_tf.networks builds the networks with Keras layers only, so the same definitions run on JAX.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from dal_tf.networks import mobilenet_v1, resnet_v1  # noqa: E402
from machine import describe  # noqa: E402  (benchmarks/ is the script's own folder)

HEIGHT, WIDTH, BATCH = 224, 112, 64
NETWORKS = {"mobilenet": lambda: mobilenet_v1.build(HEIGHT, WIDTH), "resnet50": lambda: resnet_v1.build(HEIGHT, WIDTH)}


def frames_per_second(network: str, policy: str, jit: bool, steps: int, warmup: int) -> float:
    keras.mixed_precision.set_global_policy(policy)
    model = NETWORKS[network]()
    optimizer = keras.optimizers.RMSprop(0.045, rho=0.9, momentum=0.9, epsilon=1.0, clipvalue=2.0)
    if policy == "mixed_float16":
        optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
    model.compile(optimizer=optimizer, loss="mean_squared_error", jit_compile=jit)
    rng = np.random.default_rng(0)
    images = keras.ops.convert_to_tensor(rng.uniform(-1, 1, (BATCH, HEIGHT, WIDTH, 3)).astype("float32"))
    targets = keras.ops.convert_to_tensor(np.zeros((BATCH, model.output_shape[-1]), "float32"))
    for _ in range(warmup):
        model.train_on_batch(images, targets)
    began = time.perf_counter()
    for _ in range(steps):
        model.train_on_batch(images, targets)  # returns the loss as a number: each step has finished
    return steps * BATCH / (time.perf_counter() - began)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50)
    parser.add_argument("--warmup", type=int, default=5)
    parser.add_argument("--networks", default="mobilenet,resnet50")
    args = parser.parse_args()
    print(describe(), flush=True)  # ratios differ between processors
    backend = keras.backend.backend()
    results = []
    for network in args.networks.split(","):
        for policy in ("float32", "mixed_float16"):
            for jit in ((True,) if backend == "jax" else (False, True)):
                fps = frames_per_second(network, policy, jit, args.steps, args.warmup)
                results.append(dict(network=network, precision=policy, xla=jit, frames_per_second=fps,
                                    step_seconds=BATCH / fps))
                print(f"{backend}: {network} {policy}{' XLA' if jit else ''}: {fps:,.0f} frames/s "
                      f"({1000 * BATCH / fps:.1f} ms per step of {BATCH})", flush=True)
    print(json.dumps(dict(backend=backend, height=HEIGHT, width=WIDTH, batch=BATCH, results=results)))


if __name__ == "__main__":
    main()
