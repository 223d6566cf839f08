"""The threshold study's table (docs/identities.md) from the score tables that
experiments/threshold_study.sh copied into experiments/results/threshold/INPUT_seedSEED.csv:
per input, pairwise F1 as mean ± sample standard deviation over the seeds there, and each seed's.

    python experiments/threshold_table.py [--results experiments/results/threshold]

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


def cell_of(rows: list[dict], embedding: str, kind: str) -> str:
    """That row's pairwise F1 and people found, or 'abstains'."""
    for row in rows:
        source = row["people from"]
        if row["embedding"] != embedding or ("best" in source) != (kind == "best") or "no time" in source:
            continue
        if source.endswith(ABSTAINS):
            return ABSTAINS
        return f"{float(row['pairwise F1']):.3f} ({row['people found']})"
    return ""


def summary(cells: list[str]) -> str:
    """Mean ± sd of the F1s, with how many abstained."""
    values = [float(c.split()[0]) for c in cells if c and c != ABSTAINS]
    abstained = sum(c == ABSTAINS for c in cells)
    parts = []
    if values:
        spread = f" ± {statistics.stdev(values):.3f}" if len(values) > 1 else ""
        parts.append(f"{statistics.mean(values):.3f}{spread}")
    if abstained:
        parts.append(f"abstains ({abstained} of {len(cells)})" if values else "abstains")
    return ", ".join(parts)


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
        cells = {column: [cell_of(rows, *column) for rows in seeds.values()] for column in COLUMNS}
        true_people = next((r["true people"] for rows in seeds.values() for r in rows if r.get("true people")), "")
        gaps = [f"{float(best.split()[0]) - float(estimated.split()[0]):.3f}"
                for estimated, best in zip(cells["trained", "estimated"], cells["trained", "best"])
                if estimated and estimated != ABSTAINS and best]
        lines.append(f"| {name} | {', '.join(map(str, seeds))} | {true_people} | "
                     + " | ".join(summary(cells[c]) for c in COLUMNS) + f" | {summary(gaps)} |")
    lines += ["", "Per seed, pairwise F1 (people found):", ""]
    for name, seeds in runs.items():
        for seed, rows in seeds.items():
            lines.append(f"- {name}, seed {seed}: " + "; ".join(f"{e}, {k}: {cell_of(rows, e, k)}" for e, k in COLUMNS))
    return "\n".join(lines) + "\n"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--results", default=os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                                          "results", "threshold"))
    args = parser.parse_args()
    text = table(args.results)
    atomic_write_text(os.path.join(args.results, "table.md"), text)
    print(text, end="")


if __name__ == "__main__":
    main()
