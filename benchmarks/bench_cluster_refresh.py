"""--association=clusters' refresh against the number of tracklets: the time and peak memory of
one clustering (k-reciprocal Jaccard distances, DBSCAN, each row's partners) of unit features,
D=1024, people seen 4 times each plus 10% strays. Each size runs in a fresh process so that its
peak resident memory is its own.

    python benchmarks/bench_cluster_refresh.py [--sizes 8298,100000]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench_anchor_scaling import reset_peak_resident, resident_gib  # noqa: E402
from machine import describe  # noqa: E402

DIM = 1024


def measure(num_tracklets: int) -> dict:
    import numpy as np

    from dal_tf.association.rules import clusters
    from dal_tf.config import AssociationConfig

    rng = np.random.default_rng(0)
    people = int(0.9 * num_tracklets) // 4
    centres = rng.standard_normal((people, DIM), dtype=np.float32)
    intra = np.concatenate([np.repeat(centres, 4, axis=0), np.zeros((num_tracklets - 4 * people, DIM), np.float32)])
    for start in range(0, num_tracklets, 8192):  # noise block by block: no table-sized temporary
        intra[start:start + 8192] += rng.standard_normal((len(intra[start:start + 8192]), DIM), dtype=np.float32)
    before = resident_gib("VmRSS")
    reset_peak_resident()
    began = time.perf_counter()
    partners = clusters.refreshed_state(intra, AssociationConfig(association="clusters"))["partners"]
    seconds = time.perf_counter() - began
    return dict(tracklets=num_tracklets, seconds=seconds, peak_gib=resident_gib("VmHWM"), before_gib=before,
                table_gib=intra.nbytes / 2**30, with_partners=float(np.mean(partners[:, 0] >= 0)))


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="8298,100000")
    parser.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        print(json.dumps(measure(args.one)))
        return
    print(describe(), flush=True)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    for size in (int(s) for s in args.sizes.split(",")):
        out = subprocess.run([sys.executable, __file__, f"--one={size}"], capture_output=True, text=True, env=env)
        if out.returncode != 0:
            print(f"{size} tracklets: failed ({(out.stderr.strip().splitlines() or [f'exit {out.returncode}'])[-1]})")
            continue
        r = json.loads(out.stdout.strip().splitlines()[-1])
        print(f"{r['tracklets']:>9,} tracklets: {r['seconds']:8.1f} s a clustering, peak {r['peak_gib']:.2f} GiB = "
              f"{r['before_gib']:.2f} resident before it (the intra table {r['table_gib']:.2f} GiB) + "
              f"{r['peak_gib'] - r['before_gib']:.2f}; {100 * r['with_partners']:.0f}% of the rows given partners",
              flush=True)


if __name__ == "__main__":
    main()
