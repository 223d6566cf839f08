"""From finished runs to tables (Markdown, CSV) and the Figure 4 curves (PNG)."""

from __future__ import annotations

import csv
import glob
import io
import json
import os

import numpy as np

from dal_tf.utils.atomic_io import atomic_file, atomic_write_text
from experiments.tables import Run

METRICS = ("rank1", "rank5", "rank10", "rank20", "mAP")
CURVES = ("merged_share", "true_match_share")


RERANKED = "results_rerank.json"  # dal_tf.evaluate --rerank of a finished run (the association study)


def run_scores(train_dir: str) -> dict | None:
    """The scores of a finished run (its results.json), or None."""
    try:
        with open(os.path.join(train_dir, "results.json")) as handle:
            return json.load(handle)["scores"]
    except (OSError, ValueError, KeyError):
        return None


def reranked_scores(train_dir: str) -> dict | None:
    """The run's scores with --rerank (what dal_tf.evaluate wrote to RERANKED), or None."""
    try:
        with open(os.path.join(train_dir, RERANKED)) as handle:
            return json.load(handle)["splits"][0]["scores"]
    except (OSError, ValueError, KeyError, IndexError):
        return None


def summarize(runs: list[Run], runs_dir: str, read=run_scores) -> dict[str, dict]:
    """{row: {"runs": n finished, "of": n planned, "mean": {...}, "std": {...}}}, rows in order;
    read(train_dir) gives a run's scores (default: its results.json)."""
    rows: dict[str, dict] = {}
    for run in runs:
        entry = rows.setdefault(run.row, {"scores": [], "of": 0})
        entry["of"] += 1
        scores = read(os.path.join(runs_dir, run.name))
        if scores is not None:
            entry["scores"].append(scores)
    summary = {}
    for row, entry in rows.items():
        values = {m: np.array([s[m] for s in entry["scores"]], np.float64) for m in METRICS}
        summary[row] = dict(
            runs=len(entry["scores"]), of=entry["of"],
            mean={m: float(v.mean()) if v.size else None for m, v in values.items()},
            std={m: float(sample_std(v)) if v.size else None for m, v in values.items()},
        )
    return summary


def sample_std(values) -> np.ndarray:
    """Standard deviation over the runs (the first axis) with ddof 1; 0 for a single run."""
    values = np.asarray(values, np.float64)
    return values.std(axis=0, ddof=1) if len(values) > 1 else np.zeros(values.shape[1:])


def _cell(value, spread=None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.1f}" + (f" ± {spread:.1f}" if spread else "")


def _share_cell(mean_and_std: tuple[float, float]) -> str:
    return _cell(100 * mean_and_std[0], 100 * mean_and_std[1]) + " %"


def markdown_table(summary: dict[str, dict], paper: dict[str, dict] | None = None) -> str:
    """Ours as mean ± sample std over runs (splits, seeds); the paper's rows below, labelled."""
    header = "| | runs | " + " | ".join(m.replace("rank", "R-") for m in METRICS) + " |"
    lines = [header, "|---|---:|" + "---:|" * len(METRICS)]
    for row, entry in summary.items():
        cells = [_cell(entry["mean"][m], entry["std"][m]) for m in METRICS]
        lines.append(f"| ours: {row} | {entry['runs']}/{entry['of']} | " + " | ".join(cells) + " |")
    for row, values in (paper or {}).items():
        lines.append(f"| paper: {row} | | " + " | ".join(_cell(values.get(m)) for m in METRICS) + " |")
    sources = sorted({values["source"] for values in (paper or {}).values()})
    notes = [f"Paper values from: {source}." for source in sources]
    return "\n".join(lines + ([""] + notes if notes else [])) + "\n"


def csv_table(summary: dict[str, dict], paper: dict[str, dict] | None = None) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["source", "row", "runs", *[f"{m}_mean" for m in METRICS], *[f"{m}_std" for m in METRICS]])
    for row, entry in summary.items():
        writer.writerow(["ours", row, entry["runs"], *[_number(entry["mean"][m]) for m in METRICS],
                         *[_number(entry["std"][m]) for m in METRICS]])
    for row, values in (paper or {}).items():
        writer.writerow(["paper", row, "", *[_number(values.get(m)) for m in METRICS], *[""] * len(METRICS)])
    return out.getvalue()


def _number(value) -> str:
    return "" if value is None else f"{value:.4f}"


def read_curves(train_dir: str) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """{tag: (steps, values)} of the association monitor from the run's TensorBoard events; a
    step logged twice (before a kill and after the resume) keeps its last value."""
    import tensorflow as tf

    points: dict[str, dict[int, float]] = {tag: {} for tag in CURVES}
    for path in sorted(glob.glob(os.path.join(train_dir, "logs", "events.out.tfevents.*"))):
        for record in tf.data.TFRecordDataset(path):
            event = tf.compat.v1.Event.FromString(record.numpy())
            for value in event.summary.value:
                if value.tag in points:
                    points[value.tag][int(event.step)] = float(tf.make_ndarray(value.tensor))
    return {tag: (np.array(sorted(p)), np.array([p[s] for s in sorted(p)])) for tag, p in points.items() if p}


def figure4(panels: dict[str, dict[str, list[dict]]], path: str, title: str):
    """Share of merged cross anchors and share of true merges against steps: per row the mean over
    its runs, the spread (mean ± sample std, as in the tables) shaded. panels: {panel title:
    {row: [read_curves of each run, ...]}}, one line of two plots per panel."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, grid = plt.subplots(len(panels), 2, figsize=(10, 3.8 * len(panels)), squeeze=False)
    for axes, (panel, groups) in zip(grid, panels.items()):
        for row, curves in groups.items():
            for axis, tag in zip(axes, CURVES):
                series = [c[tag] for c in curves if tag in c]
                if not series:
                    continue
                steps = series[0][0]
                values = np.stack([np.interp(steps, s, v) for s, v in series])
                mean, std = values.mean(axis=0), sample_std(values)
                axis.plot(steps, mean, label=f"{row} ({len(series)})")
                axis.fill_between(steps, mean - std, mean + std, alpha=0.2)
        for axis, label in zip(axes, ("share of cross anchors merged across cameras", "share of merges that are true")):
            axis.set_xlabel("training step")
            axis.set_ylabel(label)
            axis.set_ylim(0, 1)
            axis.grid(alpha=0.3)
            axis.set_title(panel, fontsize=9)
        axes[0].legend(fontsize=7)
    figure.suptitle(title)
    figure.tight_layout()
    with atomic_file(path) as tmp:
        figure.savefig(tmp, dpi=110, format="png")
    plt.close(figure)


def figure4_end_points(groups: dict[str, list[dict]]) -> dict[str, dict]:
    """{row: {"runs": n, tag: (mean, sample std)}}: each curve's last logged value over the row's
    runs; groups: {row: [read_curves of each run, ...]}."""
    ends = {}
    for row, run_curves in groups.items():
        last = {tag: [curves[tag][1][-1] for curves in run_curves if tag in curves] for tag in CURVES}
        ends[row] = dict(runs=len(run_curves), **{
            tag: (float(np.mean(v)), float(sample_std(v))) if v else None for tag, v in last.items()})
    return ends


def figure4_table(ends: dict[str, dict], paper: dict | None) -> str:
    """Markdown: the Figure 4 end points of ours (mean ± std, in %) and the paper's statement."""
    lines = ["| Figure 4, end of training | runs | merged across cameras | merges that are true |", "|---|---:|---:|---:|"]
    for row, end in ends.items():
        cells = [_share_cell(end[t]) if end[t] else "n/a" for t in CURVES]
        lines.append(f"| ours: {row} | {end['runs']} | " + " | ".join(cells) + " |")
    if paper:
        lines.append("| paper: DAL | | " + " | ".join(paper[t] for t in CURVES) + " |")
        lines += ["", f"Paper values from: {paper['source']}."]
    return "\n".join(lines) + "\n"


def finished_dal_curves(runs: list[Run], runs_dir: str) -> dict[str, list[dict]]:
    """{row: [read_curves of each finished run]} of the rows with association curves (each run's
    event files read once, for the figure and its end points alike)."""
    groups: dict[str, list[dict]] = {run.row: [] for run in runs if run.dal}
    for run in runs:
        train_dir = os.path.join(runs_dir, run.name)
        if run.dal and run_scores(train_dir) is not None:
            groups[run.row].append(read_curves(train_dir))
    return groups


def association_table(plain: dict, reranked: dict, ends: dict) -> str:
    """Markdown: per row, rank-1 and mAP without and with --rerank, and the shares merged and true
    at the end of training (Figure 4's end points), mean ± sample std over the row's runs."""
    lines = ["| | runs | R-1 | mAP | R-1, --rerank | mAP, --rerank | merged at the end | true merges at the end |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for row, entry in plain.items():
        cells = [_cell(summary["mean"][m], summary["std"][m]) for summary in (entry, reranked[row])
                 for m in ("rank1", "mAP")]
        end = ends.get(row)
        cells += [_share_cell(end[t]) if end and end[t] else "" for t in CURVES]
        lines.append(f"| {row} | {entry['runs']}/{entry['of']} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def write_association(runs: list[Run], runs_dir: str, out_dir: str, stem: str, title: str) -> dict:
    """The association study: its table (with --rerank), the full CMC both ways, a CSV of every
    number, and Figure 4 with a line of plots per initialisation and a curve per rule."""
    plain, reranked = summarize(runs, runs_dir), summarize(runs, runs_dir, reranked_scores)
    groups = finished_dal_curves(runs, runs_dir)
    ends = figure4_end_points(groups)
    text = (f"# {title}\n\n" + association_table(plain, reranked, ends) + "\n## CMC\n\n" + markdown_table(plain)
            + "\n## CMC with --rerank\n\n" + markdown_table(reranked))
    panels: dict[str, dict[str, list[dict]]] = {}
    for row, run_curves in groups.items():
        if run_curves:
            rule, init = row.rsplit(", ", 1)  # rows are named "<rule>, <initialisation>"
            panels.setdefault(init, {})[rule] = run_curves
    if panels:
        figure4(panels, os.path.join(out_dir, f"{stem}_figure4.png"), f"{title}: Figure 4's curves")
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["row", "runs", *[f"{m}_{stat}" for m in METRICS for stat in ("mean", "std")],
                     *[f"rerank_{m}_{stat}" for m in METRICS for stat in ("mean", "std")],
                     *[f"{t}_{stat}" for t in CURVES for stat in ("mean", "std")]])
    for row, entry in plain.items():
        end = ends.get(row) or {}
        writer.writerow([row, entry["runs"], *[_number(summary[stat][m]) for summary in (entry, reranked[row])
                                              for m in METRICS for stat in ("mean", "std")],
                         *[_number(end[t][i] if end.get(t) else None) for t in CURVES for i in (0, 1)]])
    atomic_write_text(os.path.join(out_dir, f"{stem}.md"), text)
    atomic_write_text(os.path.join(out_dir, f"{stem}.csv"), out.getvalue())
    return plain


def write_outputs(runs: list[Run], runs_dir: str, out_dir: str, stem: str, title: str, paper: dict,
                  paper_figure4: dict | None = None) -> dict:
    summary = summarize(runs, runs_dir)
    groups = finished_dal_curves(runs, runs_dir)
    text = f"# {title}\n\n" + markdown_table(summary, paper)
    if groups:
        text += "\n" + figure4_table(figure4_end_points(groups), paper_figure4)
    if any(groups.values()):
        figure4({"": {row: run_curves for row, run_curves in groups.items() if run_curves}},
                os.path.join(out_dir, f"{stem}_figure4.png"),
                f"{title}: association (Fig. 4)")
    atomic_write_text(os.path.join(out_dir, f"{stem}.md"), text)
    atomic_write_text(os.path.join(out_dir, f"{stem}.csv"), csv_table(summary, paper))
    return summary
