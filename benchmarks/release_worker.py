"""The release's training step, timed on request: run by bench_release_step.py in a process of its
own (the release runner switches TensorFlow to TF1 behaviour for the whole process).

    python benchmarks/release_worker.py --backbone mobilenet|resnet50

It builds the release's training graph with ../shared's runner (release_steps.build_graph: the
release's own train_dal, association and network code) at 224x112, batch 64, PRID 2011's 89 + 89
tracklets, prints "ready", then for each line "N" on stdin runs N steps and prints their times
as a JSON list ("N DIR": under the TF profiler, writing its trace to DIR). The runner is written for MobileNet; for resnet_v1_50 two of its read-outs, which
the timed step does not run, are stood in for (its MobileNet feature tensor, the Saver of
MobileNet's variables), so that the release's own resnet_v1_50 is built and timed.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time

import numpy as np

RUNNER_DIR = os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "..", "shared", "reference",
                          "dal_release_runner")
RUNNER = os.path.join(RUNNER_DIR, "release_steps.py")
MOBILENET_FEATURES = "tower_0/MobilenetV1/Logits/AvgPool_1a/AvgPool:0"
RESNET_FEATURES = "tower_0/resnet_v1_50/pool5:0"


def unavailable() -> str:
    """Why the release's runner cannot run here, or '' (tests/release_oracle.py and
    bench_release_step.py both ask)."""
    if not os.path.isfile(RUNNER):
        return f"no release runner at {os.path.abspath(RUNNER_DIR)} (../shared)"
    site = os.environ.get("DAL_RELEASE_SITE", "")
    if not (site and os.path.isdir(os.path.join(site, "tf_slim"))):
        return ("DAL_RELEASE_SITE names no folder with tf-slim (python -m pip install --no-deps --target DIR "
                "-r requirements-release.txt)")
    return ""


def build(backbone: str):
    sys.path.insert(0, os.path.abspath(RUNNER_DIR))
    import release_shim
    import release_steps

    tf = release_shim.install()
    tf.logging.set_verbosity(tf.logging.ERROR)
    args = release_steps.parse_args(["--out", tempfile.mkdtemp(), "--time", "1"])
    flags = release_steps.release_flags(args, args.counts)
    if backbone == "resnet50":
        flags.model_name, flags.feature_dim = "resnet_v1_50", 2048
        _stand_in_for_mobilenet_read_outs(tf)
    g = release_steps.build_graph(tf, args, args.counts)
    rng = np.random.default_rng(args.seed)
    feeds = []
    for _ in range(2):  # as the runner's timing mode: random frames and tracklets, association on
        cams = rng.integers(0, len(g["counts"]), flags.batch_size)
        labels = np.array([rng.integers(0, g["counts"][c]) for c in cams])
        feeds.append({g["images"]: rng.uniform(-1, 1, (flags.batch_size, g["height"], g["width"], 3)).astype(np.float32),
                      g["labels"]: labels + 1, g["cams"]: cams + 1, g["start_sign"]: True})
    session = tf.Session(graph=g["graph"], config=tf.ConfigProto(allow_soft_placement=True))
    session.run(g["init"])
    return session, [g["train_op"], g["anchors_op"], g["loss"]], feeds


def _stand_in_for_mobilenet_read_outs(tf):
    get_tensor = tf.Graph.get_tensor_by_name
    saver = tf.train.Saver

    def tensor(graph, name):
        return get_tensor(graph, RESNET_FEATURES if name == MOBILENET_FEATURES else name)

    tf.Graph.get_tensor_by_name = tensor
    tf.train.Saver = lambda var_list=None, **kwargs: saver(var_list, **kwargs) if var_list else None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--backbone", choices=("mobilenet", "resnet50"), default="mobilenet")
    args = parser.parse_args()
    session, fetches, feeds = build(args.backbone)
    print("ready", flush=True)
    done = 0
    for line in sys.stdin:
        count, *profile = line.split()
        if profile:
            from tensorflow import profiler
            profiler.experimental.start(profile[0])
        times = []
        for _ in range(int(count)):
            began = time.perf_counter()
            session.run(fetches, feed_dict=feeds[done % 2])
            times.append(time.perf_counter() - began)
            done += 1
        if profile:
            profiler.experimental.stop()
        print(json.dumps(times), flush=True)


if __name__ == "__main__":
    main()
