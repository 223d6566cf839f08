"""The threshold study's table (docs/identities.md) from the score tables that
experiments/threshold_study.sh copied into experiments/results/threshold/FLAGS/INPUT_seedSEED.csv
(FLAGS: the training's flag file): per input, pairwise F1 as mean ± sample standard deviation over
the seeds there, and each seed's.

    python experiments/threshold_table.py [--results experiments/results/threshold/synthetic_demo]

Writes RESULTS/table.md and prints it.
"""

from __future__ import annotations

import argparse
import csv
import glob
import os
import re
import statistics

from dal_tf.utils.atomic_io import atomic_write_text

ABSTAINS = "abstains"
COLUMNS = [("untrained", "estimated"), ("untrained", "best"), ("trained", "estimated"), ("trained", "best")]


def scored(rows: list[dict], embedding: str, kind: str):
    """That row's (pairwise F1 at full precision, people found), ABSTAINS, or None if absent."""
    for row in rows:
        source = row["people from"]
        if row["embedding"] != embedding or ("best" in source) != (kind == "best") or "no time" in source:
            continue
        if source.endswith(ABSTAINS):
            return ABSTAINS
        return float(row["pairwise F1"]), row["people found"]
    return None


def cell_of(rows: list[dict], embedding: str, kind: str) -> str:
    """That row's pairwise F1 and people found, or 'abstains'."""
    value = scored(rows, embedding, kind)
    if value is None or value == ABSTAINS:
        return value or ""
    return f"{value[0]:.3f} ({value[1]})"


def summary(values: list) -> str:
    """Mean ± sd of the F1s (values: F1s, ABSTAINS or None), with how many abstained."""
    numbers = [v for v in values if isinstance(v, float)]
    abstained = sum(v == ABSTAINS for v in values)
    parts = []
    if numbers:
        spread = f" ± {statistics.stdev(numbers):.3f}" if len(numbers) > 1 else ""
        parts.append(f"{statistics.mean(numbers):.3f}{spread}")
    if abstained:
        parts.append(f"abstains ({abstained} of {len(values)})" if numbers else "abstains")
    return ", ".join(parts)


def _f1(value):
    return value if value is None or value == ABSTAINS else value[0]


def table(results: str) -> str:
    runs: dict[str, dict[int, list[dict]]] = {}
    for path in sorted(glob.glob(os.path.join(results, "*_seed*.csv"))):
        found = re.fullmatch(r"(.+)_seed(\d+)\.csv", os.path.basename(path))
        with open(path, newline="") as handle:
            runs.setdefault(found.group(1), {})[int(found.group(2))] = list(csv.DictReader(handle))
    header = ["input", "seeds", "true people", *(f"{e}, {k} threshold" for e, k in COLUMNS),
              "trained: best - estimated"]
    lines = ["| " + " | ".join(header) + " |", "|---|---|---:|" + "---:|" * (len(COLUMNS) + 1)]
    for name, seeds in runs.items():
        f1s = {column: [_f1(scored(rows, *column)) for rows in seeds.values()] for column in COLUMNS}
        true_people = next((r["true people"] for rows in seeds.values() for r in rows if r.get("true people")), "")
        gaps = [best - estimated for estimated, best in zip(f1s["trained", "estimated"], f1s["trained", "best"])
                if isinstance(estimated, float) and isinstance(best, float)]
        lines.append(f"| {name} | {', '.join(map(str, seeds))} | {true_people} | "
                     + " | ".join(summary(f1s[c]) for c in COLUMNS) + f" | {summary(gaps)} |")
    lines += ["", "Per seed, pairwise F1 (people found):", ""]
    for name, seeds in runs.items():
        for seed, rows in seeds.items():
            lines.append(f"- {name}, seed {seed}: " + "; ".join(f"{e}, {k}: {cell_of(rows, e, k)}" for e, k in COLUMNS))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                          "results", "threshold", "synthetic_demo"))
    args = parser.parse_args()
    if not glob.glob(os.path.join(args.results, "*_seed*.csv")):
        parser.error(f"--results={args.results} holds no INPUT_seedSEED.csv: run experiments/threshold_study.sh first")
    text = table(args.results)
    atomic_write_text(os.path.join(args.results, "table.md"), text)
    print(text, end="")


if __name__ == "__main__":
    main()
