"""Frames per second from PNG files through the tf.data training pipeline (decode, resize to
224x112, scale to [-1, 1], parallel map, batches of 64) against a single-threaded OpenCV loop
doing the same work, on the same files; what --augment (flip, pad-and-crop, erasing) adds per
frame, timed in the same rounds; and how that compares with what a DAL train step consumes
(frames per second of bench_dal_overhead.py's step, given with --step_seconds).

    python benchmarks/bench_input_pipeline.py [--frames 2048] [--rounds 5] [--step_seconds S]

Targets: at least 1.8x the OpenCV loop on 2 cores, and at least 3x the train step's consumption.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from dal_tf.datasets import input_pipeline  # noqa: E402
from dal_tf.datasets.base import Tracklet, TrackletSet  # noqa: E402
from machine import describe  # noqa: E402  (benchmarks/ is the script's own folder)

HEIGHT, WIDTH, BATCH = 224, 112, 64


def write_frames(root: str, count: int) -> list[str]:
    """PRID-like 128x64 PNG frames with smooth content (so they compress like real crops)."""
    rng = np.random.default_rng(0)
    paths = []
    base = cv2.resize(rng.integers(0, 256, size=(16, 8, 3), dtype=np.uint8), (64, 128))
    for i in range(count):
        frame = np.clip(base.astype(np.int16) + rng.integers(-12, 12, size=base.shape), 0, 255).astype(np.uint8)
        paths.append(os.path.join(root, f"{i:05d}.png"))
        cv2.imwrite(paths[-1], frame)
    return paths


def opencv_loop(paths: list[str]) -> float:
    began = time.perf_counter()
    for path in paths:
        image = cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)
        image = cv2.resize(image, (WIDTH, HEIGHT), interpolation=cv2.INTER_LINEAR).astype(np.float32)
        _ = image / 127.5 - 1.0
    return len(paths) / (time.perf_counter() - began)


def tf_pipeline(paths: list[str], augment: bool = False) -> float:
    """The training pipeline over one epoch, timed on a fresh iterator after its threads have started
    (a fresh one each time: an idle iterator would fill its prefetch buffer while OpenCV is timed)."""
    tracklets = TrackletSet((Tracklet(tuple(paths), 0, 0),), num_cameras=1)
    batches = iter(input_pipeline.training_dataset(tracklets, BATCH, HEIGHT, WIDTH, seed=0, augment=augment))
    for _ in range(4):
        next(batches)
    timed = len(paths) // BATCH
    began = time.perf_counter()
    for _ in range(timed):
        next(batches)
    return timed * BATCH / (time.perf_counter() - began)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=2048)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--step_seconds", type=float, default=0.0,
                        help="a DAL train step's time (bench_dal_overhead.py) to compare with")
    args = parser.parse_args()
    print(describe(), flush=True)  # ratios differ between processors
    root = tempfile.mkdtemp(prefix="dal_tf_bench_frames_")
    try:
        paths = write_frames(root, args.frames)
        cv2.setNumThreads(1)  # the loop is single-threaded, OpenCV's own resize included
        opencv_loop(paths[:128])  # warm the page cache and OpenCV
        # Interleaved rounds, so that a slower stretch of the machine hits both alike; medians.
        rounds = [(opencv_loop(paths), tf_pipeline(paths), tf_pipeline(paths, augment=True))
                  for _ in range(args.rounds)]
    finally:
        shutil.rmtree(root)
    loop_fps, pipeline_fps, augmented_fps = (float(np.median(side)) for side in zip(*rounds))
    added = [1e6 / aug - 1e6 / plain for _, plain, aug in rounds]  # microseconds per frame, each round's own
    ratio = pipeline_fps / loop_fps
    print(f"{args.frames} PNG frames (128x64) -> {HEIGHT}x{WIDTH}, {len(os.sched_getaffinity(0))} CPU cores, median of "
          f"{args.rounds} rounds (ratios {', '.join(f'{tf_fps / cv_fps:.2f}' for cv_fps, tf_fps, _ in rounds)}):")
    print(f"  single-threaded OpenCV loop: {loop_fps:8.0f} frames/s")
    print(f"  tf.data pipeline:            {pipeline_fps:8.0f} frames/s, ratio {ratio:.2f} "
          f"({'meets' if ratio >= 1.8 else 'misses'} the 1.8x target)")
    print(f"  with --augment:              {augmented_fps:8.0f} frames/s, {np.median(added):.0f} us more per frame "
          f"(rounds: {', '.join(f'{a:.0f}' for a in added)})")
    if args.step_seconds:
        consumed = BATCH / args.step_seconds
        print(f"  a DAL train step consumes    {consumed:8.0f} frames/s: pipeline supplies {pipeline_fps / consumed:.1f}x "
              f"({'meets' if pipeline_fps >= 3 * consumed else 'misses'} the 3x target)")


if __name__ == "__main__":
    main()
