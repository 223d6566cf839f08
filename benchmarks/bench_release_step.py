"""dal_tf's training step against the authors' own (the release's TF1 graph under TensorFlow 2.21),
side by side: 224x112, batch 64, PRID 2011's 89 + 89 tracklets, association on, both from random
weights on random frames.

    python benchmarks/bench_release_step.py [--rounds 5] [--steps 3] [--backbones mobilenet,resnet50]
                                            [--profile DIR]

The release runs in a worker process (benchmarks/release_worker.py, which builds its graph with
../shared's runner), dal_tf here, one at a time: each round times --steps release steps, then
--steps dal_tf steps, so that a slower stretch of the machine hits both alike. The ratio is
dal_tf's median over the release's, per round; the target is at most 0.9. It needs ../shared and
the runner's packages (requirements-release.txt, DAL_RELEASE_SITE), and skips in one line without.
With --profile, one more round of --steps steps each runs under the TF profiler (traces under DIR)
and the op types' shares of the op time are printed side by side.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from types import SimpleNamespace

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np  # noqa: E402
from bench_dal_overhead import BATCH, HEIGHT, WIDTH, batch  # noqa: E402  (the same step size and batches)
from machine import describe  # noqa: E402
from op_profile import op_shares, top_table  # noqa: E402
from release_worker import unavailable  # noqa: E402

TRACKLETS = [89, 89]
PRID_SPLIT1_FRAMES = 19455
TARGET = 0.9


class Release:
    """The worker process: steps on request."""

    def __init__(self, backbone: str):
        self.process = subprocess.Popen([sys.executable, os.path.join(HERE, "release_worker.py"), "--backbone", backbone],
                                        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
                                        stderr=subprocess.DEVNULL)
        for line in self.process.stdout:
            if line.strip() == "ready":
                return
        raise RuntimeError(f"the release's {backbone} graph did not build (run benchmarks/release_worker.py "
                           f"--backbone {backbone} to see why)")

    def steps(self, n: int, profile: str = "") -> list[float]:
        self.process.stdin.write(f"{n} {profile}\n")
        self.process.stdin.flush()
        return json.loads(self.process.stdout.readline())

    def close(self):
        self.process.stdin.close()
        self.process.wait()


class DalTf:
    """dal_tf's step as a run trains it: the network, PRID's optimiser and schedule, the anchors,
    association on from the first step."""

    def __init__(self, backbone: str):
        import tensorflow as tf

        from dal_tf.association.model import DALModel
        from dal_tf.config import TrainConfig
        from dal_tf.networks import backbones
        from dal_tf.training import distribution, schedules

        config = TrainConfig()
        model = DALModel(backbones.build_backbone(backbone, "none", HEIGHT, WIDTH), TRACKLETS, config.association,
                         warmup_steps=0)
        prid = SimpleNamespace(train=SimpleNamespace(num_frames=PRID_SPLIT1_FRAMES), optimizer="rmsprop")
        model.compile(optimizer=schedules.build_optimizer(config, prid, 20000))
        model.optimizer.build(model.trained_variables())
        self.step = distribution.step_function(model, tf.distribute.get_strategy(), config.jit_compile)
        rng = np.random.default_rng(0)
        self.batches = [batch(rng, TRACKLETS) for _ in range(2)]
        self.done = 0

    def steps(self, n: int, profile: str = "") -> list[float]:
        if profile:
            import tensorflow as tf

            tf.profiler.experimental.start(profile)
        times = []
        for _ in range(n):
            began = time.perf_counter()
            self.step(self.batches[self.done % 2])["loss"].numpy()
            times.append(time.perf_counter() - began)
            self.done += 1
        if profile:
            tf.profiler.experimental.stop()
        return times


def compare(backbone: str, rounds: int, steps: int, profile: str = "") -> dict:
    release, ours = Release(backbone), DalTf(backbone)
    try:
        release.steps(2), ours.steps(2)  # graph building, tracing, first allocations
        times = {"release": [], "dal_tf": []}
        for _ in range(rounds):
            times["release"].append(release.steps(steps))
            times["dal_tf"].append(ours.steps(steps))
        if profile:
            for name, runner in (("release", release), ("dal_tf", ours)):
                runner.steps(steps, os.path.join(profile, backbone, name))
    finally:
        release.close()
    ratios = [np.median(d) / np.median(r) for d, r in zip(times["dal_tf"], times["release"])]
    return dict(backbone=backbone, release_s=float(np.median(times["release"])),
                dal_tf_s=float(np.median(times["dal_tf"])), ratio=float(np.median(ratios)),
                ratio_min=float(min(ratios)), ratio_max=float(max(ratios)), rounds=rounds, steps=steps)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--steps", type=int, default=3)
    parser.add_argument("--backbones", default="mobilenet,resnet50")
    parser.add_argument("--profile", default="", help="a folder for profiler traces; prints the op types' shares")
    args = parser.parse_args()
    reason = unavailable()
    if reason:
        print(f"bench_release_step: skipped: {reason}")
        return
    print(f"{describe()}; a training step at {HEIGHT}x{WIDTH}, batch {BATCH}, {args.rounds} interleaved rounds of "
          f"{args.steps} steps each, median:")
    results = []
    for backbone in args.backbones.split(","):
        r = compare(backbone, args.rounds, args.steps, args.profile)
        verdict = "meets" if r["ratio"] <= TARGET else "misses"
        print(f"  {backbone}: release {r['release_s']:.3f} s, dal_tf {r['dal_tf_s']:.3f} s; ratio {r['ratio']:.3f} "
              f"(rounds {r['ratio_min']:.3f}-{r['ratio_max']:.3f}); {verdict} the {TARGET} target", flush=True)
        if args.profile:
            print(top_table({name: op_shares(os.path.join(args.profile, backbone, name))
                             for name in ("release", "dal_tf")}), flush=True)
        results.append(r)
    print(json.dumps(results))


if __name__ == "__main__":
    main()
