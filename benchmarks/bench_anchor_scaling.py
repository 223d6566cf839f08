"""The association step alone (ranking, L_I / L_C, intra update, cyclic ranking, cross update)
against the number of tracklets: time per step and peak memory, D=1024, batch 64, 6 cameras.
The peak is the process's resident high-water mark during the timed steps (reset after setup).
--parts=P steps 1 + P sets of tables, as dal_tf.train --parts does.

    python benchmarks/bench_anchor_scaling.py [--sizes 1000,10000,100000,1000000] [--steps 5] [--parts 0]

Each size runs in a fresh process so that its peak resident memory is its own.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from machine import describe  # noqa: E402  (benchmarks/ is the script's own folder)

DIM = 1024
BATCH = 64
CAMERAS = 6
MEMORY_LIMIT_GIB = 24


def measure(num_tracklets: int, steps: int, parts: int) -> dict:
    import numpy as np
    import tensorflow as tf

    from dal_tf.association import ranking
    from dal_tf.association.tables import AnchorTables
    from dal_tf.config import AssociationConfig

    per_camera = [num_tracklets // CAMERAS + (c < num_tracklets % CAMERAS) for c in range(CAMERAS)]
    sets = [AnchorTables(per_camera, DIM) for _ in range(1 + parts)]
    rng = np.random.default_rng(0)
    # The zero tables filled block by block, as training fills them: a table-sized temporary would
    # stay in the process's allocator and hide the steps' own memory.
    for seed, table in enumerate(t for anchors in sets for t in (anchors.intra, anchors.cross)):
        for start in range(0, num_tracklets, ranking.TABLE_BLOCK_ROWS):
            rows = tf.range(start, min(start + ranking.TABLE_BLOCK_ROWS, num_tracklets))
            table.scatter_update(tf.IndexedSlices(tf.random.stateless_normal([len(rows), DIM], [seed, start]), rows))
    config = AssociationConfig()

    @tf.function
    def step(features, cameras, indices):  # DALModel's use of the tables, without the network
        rows = sets[0].rows(cameras, indices)
        losses = []
        for anchors, f in zip(sets, tf.unstack(features)):
            losses.append(anchors.losses(f, rows, cameras, config, True).loss)
            anchors.update(f, rows, config, association_started=True)
        return tf.add_n(losses) / len(sets)

    def batch():
        cameras = rng.integers(0, CAMERAS, BATCH).astype(np.int32)
        indices = np.array([rng.integers(0, per_camera[c]) for c in cameras], np.int32)
        features = rng.normal(size=(1 + parts, BATCH, DIM)).astype(np.float32)
        return tf.constant(features), tf.constant(cameras), tf.constant(indices)

    step(*batch()).numpy()  # trace and warm up
    setup_gib = resident_gib("VmHWM")
    reset_peak_resident()  # from here on the peak is the training steps' own
    before_steps_gib = resident_gib("VmRSS")
    times = []
    for _ in range(steps):
        data = batch()
        began = time.perf_counter()
        step(*data).numpy()
        times.append(time.perf_counter() - began)
    steps_peak_gib = resident_gib("VmHWM")
    saved, read_one_at_a_time, read_together = checkpoint_peaks(sets)
    return dict(tracklets=num_tracklets, seconds_per_step=float(np.median(times)), peak_gib=steps_peak_gib,
                before_steps_gib=before_steps_gib, tables_gib=(1 + parts) * 2 * num_tracklets * DIM * 4 / 2**30,
                setup_peak_gib=setup_gib, save_peak_gib=saved, read_one_at_a_time_peak_gib=read_one_at_a_time,
                read_together_peak_gib=read_together)


def checkpoint_peaks(sets) -> tuple[float, float, float]:
    """Peak resident memory while the tables are written to a checkpoint, while they are read back
    one at a time as a resumed run reads them (checkpoints.restore_anchor_tables), and while they are
    read back together (last: its copies stay in the process's allocator)."""
    import tensorflow as tf

    from dal_tf.runs import checkpoints

    named = checkpoints.named_tables(sets)
    checkpoint = tf.train.Checkpoint(**named)
    directory = tempfile.mkdtemp(prefix="dal_tf_bench_anchors_")
    try:
        reset_peak_resident()
        path = checkpoint.save(os.path.join(directory, "anchors"))  # as training saves
        peaks = [resident_gib("VmHWM")]
        reset_peak_resident()
        for name, anchors in named.items():
            checkpoints.restore_anchor_tables(anchors, path, name)
        peaks.append(resident_gib("VmHWM"))
        reset_peak_resident()
        checkpoint.restore(path).assert_consumed()
        peaks.append(resident_gib("VmHWM"))
        return tuple(peaks)
    finally:
        shutil.rmtree(directory)


def reset_peak_resident():
    with open("/proc/self/clear_refs", "w") as handle:  # Linux: "5" resets VmHWM
        handle.write("5")


def resident_gib(field: str) -> float:
    """VmHWM (peak) or VmRSS (now) of this process."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 2**20  # kB
    raise RuntimeError(f"no {field} in /proc/self/status")


def exponent(small: dict, large: dict) -> float:
    """k in time ~ N^k between two sizes."""
    return math.log(large["seconds_per_step"] / small["seconds_per_step"]) / math.log(large["tracklets"] / small["tracklets"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="1000,10000,100000,1000000")
    parser.add_argument("--steps", type=int, default=5)
    parser.add_argument("--parts", type=int, default=0)
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.one:
        print(describe() + (f"; --parts={args.parts}: {1 + args.parts} sets of tables" if args.parts else ""), flush=True)
    if args.one:
        print(json.dumps(measure(args.one, args.steps, args.parts)))
        return
    rows = []
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, f"--one={size}", f"--steps={args.steps}", f"--parts={args.parts}"],
                             capture_output=True, text=True, env=env)
        if out.returncode != 0:  # killed for memory: no traceback, maybe no output at all
            reason = (out.stderr.strip().splitlines() or [f"exit {out.returncode}"])[-1]
            print(f"{size} tracklets: failed ({reason})")
            continue
        rows.append(json.loads(out.stdout.strip().splitlines()[-1]))
        r = rows[-1]
        print(f"{r['tracklets']:>9,} tracklets: {1000 * r['seconds_per_step']:9.1f} ms/step, peak during the steps "
              f"{r['peak_gib']:6.2f} GiB = {r['before_steps_gib']:.2f} resident before them + "
              f"{r['peak_gib'] - r['before_steps_gib']:.2f} (anchor tables {r['tables_gib']:.2f} GiB; setting up "
              f"peaked at {r['setup_peak_gib']:.2f} GiB)\n{'':>21}checkpoint: writing peaks at {r['save_peak_gib']:.2f} GiB, "
              f"reading back one table at a time (as a resumed run) at {r['read_one_at_a_time_peak_gib']:.2f} GiB, "
              f"all together at {r['read_together_peak_gib']:.2f} GiB", flush=True)
    for small, large in zip(rows, rows[1:]):
        print(f"{small['tracklets']:,} -> {large['tracklets']:,} tracklets (x{large['tracklets'] / small['tracklets']:.0f}):"
              f" time x{large['seconds_per_step'] / small['seconds_per_step']:.1f}, time ~ N^{exponent(small, large):.2f}")
    if len(rows) >= 2:
        # Judged over the whole range: a single tenfold step of a few-millisecond step is noisy.
        overall = exponent(rows[0], rows[-1])
        print(f"{rows[0]['tracklets']:,} -> {rows[-1]['tracklets']:,} tracklets: time ~ N^{overall:.2f} "
              f"({'no worse than' if overall <= 1.05 else 'WORSE than'} linear)")
    if len(rows) >= 2:
        for peak, what in (("peak_gib", "training steps"), ("read_one_at_a_time_peak_gib", "resuming from a checkpoint")):
            a, b = rows[-2], rows[-1]
            per_tracklet = (b[peak] - a[peak]) / (b["tracklets"] - a["tracklets"])
            fits = int((MEMORY_LIMIT_GIB - a[peak]) / per_tracklet + a["tracklets"])
            print(f"{what}: peak memory grows {per_tracklet * 2**30 / 1024:.1f} KiB per tracklet, so about {fits:,} "
                  f"tracklets fit in {MEMORY_LIMIT_GIB} GiB")


if __name__ == "__main__":
    main()
