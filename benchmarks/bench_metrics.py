"""Time the vectorised MARS evaluation against the per-query loop reference on a MARS-sized problem.

    python benchmarks/bench_metrics.py [--loop-queries 200] [--seed 0]

The vectorised code is timed on all queries (best of 3 runs); the loop on a subset of the
queries, extrapolated per query.  Both are checked to agree on that subset.
"""

from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from dal_tf.evaluation.metrics import euclidean_distances, evaluate_rank  # noqa: E402
from references.metrics_loop import reference_evaluate_rank  # noqa: E402
from machine import describe  # noqa: E402  (benchmarks/ is the script's own folder)

NUM_GALLERY = 12180
NUM_QUERY = 1980
NUM_PERSONS = 634  # plus id 0 (distractors) and -1 (junk): 636 ids, as in MARS
NUM_DISTRACTORS = 1000
NUM_JUNK = 600
NUM_CAMS = 6
FEATURE_DIM = 128
VECTORISED_REPEATS = 3


def mars_like_problem(rng, dim=FEATURE_DIM):
    """Gallery labels and features shaped like the MARS test set; queries are gallery rows."""
    person_cams = [rng.choice(NUM_CAMS, size=rng.integers(2, NUM_CAMS + 1), replace=False) for _ in range(NUM_PERSONS)]
    pairs = np.array([(person, cam) for person, cams in enumerate(person_cams, start=1) for cam in cams])
    num_person_tracklets = NUM_GALLERY - NUM_DISTRACTORS - NUM_JUNK
    per_pair = 1 + rng.multinomial(num_person_tracklets - len(pairs), np.full(len(pairs), 1 / len(pairs)))
    g_ids = np.concatenate([np.repeat(pairs[:, 0], per_pair), np.zeros(NUM_DISTRACTORS, int), np.full(NUM_JUNK, -1)])
    g_cams = np.concatenate([np.repeat(pairs[:, 1], per_pair), rng.integers(0, NUM_CAMS, NUM_DISTRACTORS + NUM_JUNK)])
    # One query per (person, camera) pair, like MARS's query set, so every query has a good match.
    pair_start = np.cumsum(per_pair) - per_pair
    chosen_pairs = rng.choice(len(pairs), size=NUM_QUERY, replace=False)
    query_rows = pair_start[chosen_pairs] + rng.integers(0, per_pair[chosen_pairs])
    # Features cluster by person so that rankings are neither perfect nor random.
    centres = rng.normal(size=(NUM_PERSONS + 1, dim))
    features = 2.0 * rng.normal(size=(NUM_GALLERY, dim))
    features[g_ids > 0] += centres[g_ids[g_ids > 0]]
    return features, query_rows, g_ids, g_cams


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop-queries", type=int, default=200, help="queries the loop reference is timed on")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    print(describe(), flush=True)  # ratios differ between processors

    features, query_rows, g_ids, g_cams = mars_like_problem(np.random.default_rng(args.seed))
    q_ids, q_cams = g_ids[query_rows], g_cams[query_rows]
    print(f"gallery {len(g_ids)} tracklets, {len(np.unique(g_ids))} ids (incl. 0 and -1), {NUM_CAMS} cameras; "
          f"{len(query_rows)} queries; features D={FEATURE_DIM}")

    start = time.perf_counter()
    distmat = euclidean_distances(features[query_rows], features)
    print(f"euclidean_distances {distmat.shape}: {time.perf_counter() - start:.2f} s")

    vectorised_runs = []
    for _ in range(VECTORISED_REPEATS):
        start = time.perf_counter()
        result = evaluate_rank(distmat, q_ids, g_ids, q_cams, g_cams, protocol="mars")
        vectorised_runs.append(time.perf_counter() - start)
    vectorised_seconds = min(vectorised_runs)
    print(f"vectorised evaluate_rank(mars), all {len(q_ids)} queries, best of {VECTORISED_REPEATS} "
          f"(first {vectorised_runs[0]:.3f} s): {vectorised_seconds:.3f} s "
          f"({vectorised_seconds / len(q_ids) * 1e3:.3f} ms/query)")
    print(f"  rank-1 {result.cmc[0]:.4f}  rank-5 {result.cmc[4]:.4f}  rank-20 {result.cmc[19]:.4f}  "
          f"mAP {result.mAP:.4f}  mINP {result.mINP:.4f}  queries {result.num_valid_queries}")

    subset = slice(0, args.loop_queries)
    subset_args = (distmat[subset], q_ids[subset], g_ids, q_cams[subset], g_cams)
    start = time.perf_counter()
    expected = reference_evaluate_rank(*subset_args, protocol="mars")
    loop_seconds_per_query = (time.perf_counter() - start) / args.loop_queries
    actual = evaluate_rank(*subset_args, protocol="mars")
    differences = [np.abs(actual.cmc - expected.cmc).max(), abs(actual.mAP - expected.mAP),
                   abs(actual.mINP - expected.mINP)]
    agree = max(differences) <= 1e-9 and actual.num_valid_queries == expected.num_valid_queries
    print(f"loop reference, timed on the first {args.loop_queries} queries: "
          f"{loop_seconds_per_query * 1e3:.3f} ms/query, extrapolated to all {len(q_ids)}: "
          f"{loop_seconds_per_query * len(q_ids):.1f} s")
    print(f"agreement on those {args.loop_queries} queries (max |difference| of CMC, mAP, mINP): "
          f"{max(differences):.1e} -> {'OK' if agree else 'MISMATCH'}")
    print(f"speed-up (per query, loop / vectorised): {loop_seconds_per_query * len(q_ids) / vectorised_seconds:.1f}x")
    if not agree:
        sys.exit(1)


if __name__ == "__main__":
    main()
