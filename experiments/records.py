"""A study kept as CSV in the repository: one line per finished run, its association curves beside.

A long study runs in pieces across sessions and machines; its run directories stay on the machine
that ran them, so everything a table or figure needs is written here as each run finishes, and
the tables and figures are regenerated from these files alone.
"""

from __future__ import annotations

import csv
import io
import os

import numpy as np

from dal_tf.utils.atomic_io import atomic_write_text
from experiments.collect import CURVES, METRICS, sample_std

SCORES = (*METRICS, *CURVES)  # the curves' last values: merged and true-merge shares at the end
FIELDS = ("row", "seed", "flags", "steps", *SCORES, "wall_s", "resumed", "weights", "machine", "commit",
          "finished_utc")
CURVE_FIELDS = ("row", "seed", "step", *CURVES)


def curves_path(path: str) -> str:
    """The curves file beside a study's CSV: recipes.csv -> recipes_curves.csv."""
    return f"{os.path.splitext(path)[0]}_curves.csv"


def read_records(path: str) -> list[dict]:
    """The study's finished runs in the order they were written; scores as floats (None if empty)."""
    if not os.path.exists(path):
        return []
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    for row in rows:
        row["seed"] = int(row["seed"])
        row["steps"] = int(row["steps"])
        for key in (*SCORES, "wall_s"):
            row[key] = float(row[key]) if row[key] else None
    return rows


def read_curves(path: str) -> dict[tuple[str, int], dict[str, tuple[np.ndarray, np.ndarray]]]:
    """{(row, seed): {tag: (steps, values)}}, as collect.read_curves gives for a run directory."""
    if not os.path.exists(path):
        return {}
    points: dict[tuple[str, int], dict[str, dict[int, float]]] = {}
    with open(path, newline="") as handle:
        for line in csv.DictReader(handle):
            run = points.setdefault((line["row"], int(line["seed"])), {tag: {} for tag in CURVES})
            for tag in CURVES:
                if line[tag]:
                    run[tag][int(line["step"])] = float(line[tag])
    return {key: {tag: (np.array(sorted(p)), np.array([p[s] for s in sorted(p)])) for tag, p in run.items() if p}
            for key, run in points.items()}


def _write_csv(path: str, fields: tuple[str, ...], rows: list[dict]):
    out = io.StringIO()
    writer = csv.DictWriter(out, fields, lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: _text(row.get(k)) for k in fields})
    atomic_write_text(path, out.getvalue())


def _text(value) -> str:
    if value is None:
        return ""
    return f"{value:.4f}" if isinstance(value, float) else str(value)


def put_record(path: str, record: dict, curves: dict[str, tuple[np.ndarray, np.ndarray]]):
    """Writes a finished run's line and curves, replacing the (row, seed)'s earlier ones (a run
    repeated with other flags). The curves go first: a line in the main file means its curves are there."""
    key = (record["row"], record["seed"])
    kept = [r for r in _curve_lines(curves_path(path)) if (r["row"], int(r["seed"])) != key]
    steps = sorted({int(step) for logged, _ in curves.values() for step in logged})
    lines = [dict(row=key[0], seed=key[1], step=step,
                  **{tag: _value_at(curves.get(tag), step) for tag in CURVES}) for step in steps]
    _write_csv(curves_path(path), CURVE_FIELDS, kept + lines)
    _write_csv(path, FIELDS, [r for r in read_records(path) if (r["row"], r["seed"]) != key] + [record])


def _curve_lines(path: str) -> list[dict]:
    if not os.path.exists(path):
        return []
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def _value_at(curve, step: int):
    if curve is None:
        return None
    matches = np.flatnonzero(curve[0] == step)
    return float(curve[1][matches[0]]) if matches.size else None


def summarize(records: list[dict]) -> dict[str, dict]:
    """{row: {"runs": n, "seeds": [...], "mean": {score: ...}, "std": {score: ...}}} in the order rows
    first appear; a score no run of the row has is None (e.g. true merges without identities)."""
    rows: dict[str, list[dict]] = {}
    for record in records:
        rows.setdefault(record["row"], []).append(record)
    summary = {}
    for row, runs in rows.items():
        mean, std = {}, {}
        for score in SCORES:
            values = np.array([r[score] for r in runs if r[score] is not None], np.float64)
            mean[score] = float(values.mean()) if values.size else None
            std[score] = float(sample_std(values)) if values.size else None
        summary[row] = dict(runs=len(runs), seeds=sorted(r["seed"] for r in runs), mean=mean, std=std)
    return summary


def _cell(mean, std, scale: float = 1.0, unit: str = "") -> str:
    if mean is None:
        return ""
    return f"{scale * mean:.1f}" + (f" ± {scale * std:.1f}" if std else "") + unit


def markdown(records: list[dict], title: str) -> str:
    """The study's table (mean ± sample std over each row's seeds) and its full CMC."""
    summary = summarize(records)
    flags = {r["row"]: r["flags"] for r in records}
    common = set.intersection(*(set(f.split()) for f in flags.values())) if flags else set()
    minutes = {row: np.mean([r["wall_s"] for r in records if r["row"] == row and r["wall_s"] is not None] or [np.nan])
               for row in summary}
    lines = [f"# {title}", "", "| | flags beyond those of every row | seeds | steps | R-1 | mAP | merged at the end "
             "| true merges at the end | minutes a run |", "|---|---|---|---:|---:|---:|---:|---:|---:|"]
    for row, entry in summary.items():
        steps = sorted({r["steps"] for r in records if r["row"] == row})
        extra = " ".join(f"`{f}`" for f in flags[row].split() if f not in common)
        mean, std = entry["mean"], entry["std"]
        lines.append(f"| {row} | {extra} | {','.join(map(str, entry['seeds']))} | {'/'.join(map(str, steps))} | "
                     f"{_cell(mean['rank1'], std['rank1'])} | {_cell(mean['mAP'], std['mAP'])} | "
                     + " | ".join(_cell(mean[t], std[t], 100, " %") for t in CURVES)
                     + f" | {'' if np.isnan(minutes[row]) else f'{minutes[row] / 60:.1f}'} |")
    lines += ["", "## CMC", "", "| | seeds | " + " | ".join(m.replace("rank", "R-") for m in METRICS) + " |",
              "|---|---:|" + "---:|" * len(METRICS)]
    for row, entry in summary.items():
        lines.append(f"| {row} | {entry['runs']} | "
                     + " | ".join(_cell(entry["mean"][m], entry["std"][m]) for m in METRICS) + " |")
    machines = sorted({r["machine"] for r in records})
    shared = [f for f in dict.fromkeys(records[0]["flags"].split()) if f in common] if records else []
    lines += ["", f"Every row's flags: `{' '.join(shared)}`." if shared else "",
              "Measured on: " + "; ".join(machines) + "." if machines else ""]
    return "\n".join(lines).rstrip() + "\n"


def write_report(path: str, title: str) -> str:
    """<stem>.md and <stem>_figure4.png beside the study's CSV, from the CSV files alone; returns the
    table. The figure has a line of plots for each run length."""
    from experiments.collect import figure4

    records = read_records(path)
    stem = os.path.splitext(path)[0]
    text = markdown(records, title)
    atomic_write_text(f"{stem}.md", text)
    curves = read_curves(curves_path(path))
    panels: dict[str, dict[str, list[dict]]] = {}
    for record in records:
        run = curves.get((record["row"], record["seed"]))
        if run:
            panels.setdefault(f"{record['steps']} steps", {}).setdefault(record["row"], []).append(run)
    if panels:
        figure4(dict(sorted(panels.items(), key=lambda p: int(p[0].split()[0]))), f"{stem}_figure4.png",
                f"{title}: Figure 4's curves")
    return text
