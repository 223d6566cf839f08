"""k-reciprocal re-ranking (dal_tf.evaluation.reranking) at MARS size: time and peak memory, and the speed-up
over the straightforward implementation (references/reranking_loop.py) on a problem it can finish.

    python benchmarks/bench_reranking.py [--dim 1024] [--small 400] [--seed 0]

MARS size: 1,980 queries and 12,180 gallery tracklets, the queries being gallery rows (so 14,160
rows are ranked together), features of the MobileNet's 1,024 dimensions clustered by person as
in bench_metrics.py. The straightforward implementation's dense N x N matrices and Python loops
cannot run at that size; both are timed on the first --small gallery rows, a quarter of them
queries, and checked to agree.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench_anchor_scaling import reset_peak_resident, resident_gib  # noqa: E402
from bench_metrics import mars_like_problem  # noqa: E402

from dal_tf.evaluation import metrics, reranking  # noqa: E402
from references.reranking_loop import reference_rerank  # noqa: E402
from machine import describe  # noqa: E402  (benchmarks/ is the script's own folder)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dim", type=int, default=1024)
    parser.add_argument("--small", type=int, default=400, help="rows of the problem both implementations run")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(describe(), flush=True)  # ratios differ between processors

    features, query_rows, g_ids, g_cams = mars_like_problem(np.random.default_rng(args.seed), args.dim)
    features = features.astype(np.float32)  # as the networks give them
    query = features[query_rows]
    print(f"MARS size: {len(query_rows)} queries, {len(features)} gallery tracklets (queries among them), "
          f"D={args.dim}; k1={reranking.PAPER.rerank_k1}, k2={reranking.PAPER.rerank_k2}, "
          f"lambda={reranking.PAPER.rerank_lambda}")

    start = time.perf_counter()
    plain = metrics.euclidean_distances(query, features)
    plain_seconds = time.perf_counter() - start
    before_gib = resident_gib("VmRSS")
    reset_peak_resident()
    start = time.perf_counter()
    reranked = reranking.k_reciprocal_distances(query, features)
    seconds = time.perf_counter() - start
    peak_gib = resident_gib("VmHWM")
    rows = len(query) + len(features)
    print(f"euclidean_distances: {plain_seconds:.2f} s; k_reciprocal_distances: {seconds:.1f} s, peak resident "
          f"{peak_gib:.2f} GiB ({peak_gib - before_gib:+.2f} GiB over the {before_gib:.2f} GiB before it; the "
          f"[Q, G] result is {reranked.nbytes / 2**30:.2f} GiB)")
    print(f"  one dense {rows} x {rows} float64 matrix, of which the authors' code keeps several: "
          f"{rows**2 * 8 / 2**30:.2f} GiB")
    for name, distances in (("plain", plain), ("re-ranked", reranked)):
        result = metrics.evaluate_rank(distances, g_ids[query_rows], g_ids, g_cams[query_rows], g_cams, "mars")
        print(f"  {name:9s} rank-1 {100 * result.cmc[0]:.1f}  mAP {100 * result.mAP:.1f}")

    gallery = features[:args.small]
    small_query = gallery[: args.small // 4]
    start = time.perf_counter()
    expected = reference_rerank(small_query, gallery)
    reference_seconds = time.perf_counter() - start
    start = time.perf_counter()
    got = reranking.k_reciprocal_distances(small_query, gallery)
    vectorised_seconds = time.perf_counter() - start
    difference = float(np.abs(got - expected).max())
    print(f"{len(small_query)} queries x {len(gallery)} gallery: straightforward {reference_seconds:.1f} s, "
          f"vectorised {vectorised_seconds:.3f} s: {reference_seconds / vectorised_seconds:.0f}x; "
          f"max |difference| {difference:.1e} -> {'OK' if difference < 1e-9 else 'MISMATCH'}")
    if difference >= 1e-9:
        sys.exit(1)


if __name__ == "__main__":
    main()
