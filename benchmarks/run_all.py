"""Every benchmark, one after the other, with the ratios each prints.

    python benchmarks/run_all.py

About 10 minutes on a 2-core CPU, most of it the steps at 224x112 (against a plain step and
against the release's), the million-tracklet anchor table and MARS-sized re-ranking.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))


def run(script: str, *args: str) -> str:
    print(f"\n$ python benchmarks/{script} {' '.join(args)}", flush=True)
    result = subprocess.run([sys.executable, os.path.join(HERE, script), *args], capture_output=True, text=True,
                            env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3"))
    shown = [line for line in result.stdout.splitlines() if not line.startswith(("{", "["))]
    print("\n".join(shown), flush=True)
    if result.returncode != 0:
        print(result.stderr[-2000:])
        sys.exit(f"benchmarks/{script} failed")
    return result.stdout


def main():
    run("bench_metrics.py")
    run("bench_reranking.py")
    overhead = run("bench_dal_overhead.py")
    step_seconds = json.loads(overhead.strip().splitlines()[-1])["dal_step_seconds"]
    run("bench_input_pipeline.py", f"--step_seconds={step_seconds}")
    run("bench_anchor_scaling.py")
    run("bench_release_step.py")
    run("bench_identities_scale.py", "--sizes", "10000,100000", "--exact_limit", "10000")  # the million: alone
    run("bench_export_speed.py", "--rounds", "3", "--seconds", "1")


if __name__ == "__main__":
    main()
