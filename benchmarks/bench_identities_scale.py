"""dal_tf.identities' clustering against the number of tracklets, on synthetic features: time and
peak memory of the neighbour graph, the estimated threshold and the clustering, exact (block by
block) and with FAISS's HNSW search, and the pairwise F1 against the people the features were
drawn from.

    python benchmarks/bench_identities_scale.py [--sizes 10000,100000,1000000] [--dim 128]

Each person has 2 to 4 tracklets in different cameras of 6 (features: the person's random unit
vector plus noise, l2-normalised); 10% of the same-camera pairs of neighbouring people overlap in
time. Each size and search runs in a fresh process, so that its peak resident memory is its own.
Exact search is skipped above --exact_limit tracklets (its N x N distances take hours there).
run_all.py runs 10,000 (both searches) and 100,000 (FAISS); the rest takes this alone (docs/identities.md).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.bench_anchor_scaling import reset_peak_resident, resident_gib  # noqa: E402
from benchmarks.machine import describe  # noqa: E402

CAMERAS = 6
NOISE = 0.9  # per dimension, relative to the unit person vectors' 1/sqrt(D)
NEIGHBOURS = 20


def footage(num_tracklets: int, dim: int, seed: int = 0):
    """(features [N, D] float32, cameras [N], truth [N], cannot-links [C, 2])."""
    import numpy as np

    rng = np.random.default_rng(seed)
    sizes = rng.integers(2, 5, num_tracklets // 2)
    sizes = sizes[: np.searchsorted(np.cumsum(sizes), num_tracklets) + 1]
    truth = np.repeat(np.arange(len(sizes)), sizes)[:num_tracklets]
    centres = rng.normal(size=(len(sizes), dim)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    features = centres[truth] + rng.normal(0, NOISE / np.sqrt(dim), (num_tracklets, dim)).astype(np.float32)
    features /= np.linalg.norm(features, axis=1, keepdims=True)
    cameras = np.empty(num_tracklets, np.int64)  # a person's tracklets in distinct cameras
    for person_start in np.flatnonzero(np.r_[True, truth[1:] != truth[:-1]]):
        size = int(np.sum(truth[person_start:person_start + 4] == truth[person_start]))
        cameras[person_start:person_start + size] = rng.choice(CAMERAS, size, replace=False)
    a = rng.integers(0, num_tracklets, num_tracklets // 10)
    b = np.minimum(a + rng.integers(1, 40, len(a)), num_tracklets - 1)
    keep = (cameras[a] == cameras[b]) & (truth[a] != truth[b])
    return features, cameras, truth, np.stack([a[keep], b[keep]], 1)


def measure(num_tracklets: int, dim: int, search: str) -> dict:
    import numpy as np

    from dal_tf.people import grouping, threshold as estimate
    from dal_tf.people.clustering import Distances
    from dal_tf.people.scores import clustering_scores

    features, cameras, truth, cannot = footage(num_tracklets, dim)
    distances = Distances(features)
    reset_peak_resident()
    before = resident_gib("VmRSS")
    began = time.perf_counter()
    threshold = estimate.estimated_threshold(distances, cameras, cannot, search)
    estimated = time.perf_counter()
    person = grouping.cluster(distances, cameras, threshold.value, NEIGHBOURS, cannot, search)
    clustered = time.perf_counter()
    scores = clustering_scores(person, truth)
    return dict(tracklets=num_tracklets, dim=dim, search=search, threshold_s=estimated - began,
                cluster_s=clustered - estimated, total_s=clustered - began, peak_gib=resident_gib("VmHWM"),
                before_gib=before, features_gib=features.nbytes * 2 / 2**30, threshold=threshold.value,
                pairwise_f1=scores["pairwise_f1"], people_found=scores["people_found"],
                true_people=scores["true_people"])


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--sizes", default="10000,100000,1000000")
    parser.add_argument("--dim", type=int, default=128)
    parser.add_argument("--exact_limit", type=int, default=100000)
    parser.add_argument("--one", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.one:
        size, search = args.one.split(":")
        print(json.dumps(measure(int(size), args.dim, search)))
        return
    try:
        import faiss  # noqa: F401

        searches = ("exact", "faiss")
    except ImportError:
        print("faiss-cpu is not installed (pip install '.[scale]'): exact search only")
        searches = ("exact",)
    print(f"{describe()}; {args.dim}-d features, {NEIGHBOURS} neighbours, {CAMERAS} cameras")
    print("| tracklets | search | threshold (s) | clustering (s) | total (s) | peak resident (GiB) | features (GiB) "
          "| pairwise F1 | people found / true |")
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        for search in searches:
            if search == "exact" and size > args.exact_limit:
                print(f"| {size:,} | exact | skipped: above --exact_limit={args.exact_limit} | | | | | | |")
                continue
            out = subprocess.run([sys.executable, __file__, f"--one={size}:{search}", f"--dim={args.dim}"],
                                 capture_output=True, text=True)
            if out.returncode != 0:
                reason = (out.stderr.strip().splitlines() or [f"exit {out.returncode}"])[-1]
                print(f"| {size:,} | {search} | failed: {reason} | | | | | | |")
                continue
            r = json.loads(out.stdout.strip().splitlines()[-1])
            rows.append(r)
            print(f"| {size:,} | {search} | {r['threshold_s']:.1f} | {r['cluster_s']:.1f} | {r['total_s']:.1f} | "
                  f"{r['peak_gib']:.2f} | {r['features_gib']:.2f} | {r['pairwise_f1']:.3f} | "
                  f"{r['people_found']:,} / {r['true_people']:,} |", flush=True)
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
