"""Launch every run a table needs, skip finished ones, resume interrupted ones, collect the tables.

    python -m experiments.reproduce --table=proxy --mobilenet_weights=../shared/weights/mobilenet_v1_1.0_no_top.weights.h5
    python -m experiments.reproduce --table=association --seeds=0,1,2 --mobilenet_weights=../shared/weights/...
    python -m experiments.reproduce --table=recipes --seeds=0,1,2 --mobilenet_weights=../shared/weights/...
    python -m experiments.reproduce --table=1 --dataset=prid --data_dir=/data/prepared/prid --backbones=mobilenet,resnet50
    python -m experiments.reproduce --table=2 --dataset=mars --data_dir=/data/prepared/mars --collect_only

Each run is `python -m dal_tf.train` in <runs_dir>/<dataset>/<variant>/split<N>/seed<S>, its output
in train.log there; tables that report the same variant share its runs. A run whose results.json
exists and whose flags are unchanged is skipped; any other is (re)started, and dal_tf.train resumes
it from its last checkpoint. PRID 2011 and iLIDS-VID must be prepared with the release's split
lists (the paper's), unless --allow_other_splits. The association study also evaluates every
finished run with `dal_tf.evaluate --rerank` (into results_rerank.json there).

The recipe study runs in pieces: each finished run becomes a line of <out>/recipes.csv (and its
curves of recipes_curves.csv) at once, the table and figure are regenerated from those files, and a
rerun does only the runs they lack (experiments/recipes.py says which, stage by stage).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from absl import flags

from dal_tf.config import command_line
from dal_tf.utils.errors import UserInputError

flags.DEFINE_enum("table", None, ["1", "2", "3", "proxy", "association", "recipes"],
                  "Paper table to reproduce, or a study on the synthetic set: proxy (Tables 2-3 on a CPU), "
                  "association (every --association rule at command 1's setting, with --rerank), recipes "
                  "(the ideas beyond the release at command 1's setting, kept in <out>/recipes.csv).")
flags.DEFINE_string("dataset", "synthetic", "prid | ilids | mars | synthetic (the proxy and association studies are "
                    "synthetic).")
flags.DEFINE_list("backbones", ["mobilenet"], "Table 1: backbones (mobilenet, resnet50).")
flags.DEFINE_string("data_dir", "", "Prepared data directory (data_prep.prepare).")
flags.DEFINE_list("splits", [], "Splits; default: all of the data set's (10 PRID/iLIDS-VID, 1 MARS).")
flags.DEFINE_list("seeds", ["0"], "Seeds per split (the proxy study: 0,1,2).")
flags.DEFINE_string("mobilenet_weights", "imagenet", "MobileNet's initial weights: imagenet, a TF-slim checkpoint "
                    "or a Keras weights file.")
flags.DEFINE_string("resnet50_weights", "imagenet", "ResNet-50's initial weights: imagenet or a TF-slim checkpoint.")
flags.DEFINE_boolean("allow_other_splits", False, "Run PRID 2011 / iLIDS-VID on splits other than the release's lists.")
flags.DEFINE_multi_string("train_flag", [], "Extra dal_tf.train flag for every run, e.g. --train_flag=--max_steps=100.")
flags.DEFINE_string("runs_dir", "runs/reproduce", "Where the runs live.")
flags.DEFINE_string("out", "experiments/results", "Where the tables and figures go.")
flags.DEFINE_boolean("collect_only", False, "Only collect the finished runs into tables.")
flags.DEFINE_boolean("dry_run", False, "Only list the runs and whether each is finished.")

FLAGS = flags.FLAGS
HARNESS_FLAGS = "harness_flags.json"


def is_finished(train_dir: str, run_flags: list[str]) -> bool:
    from experiments.collect import run_scores

    try:
        with open(os.path.join(train_dir, HARNESS_FLAGS)) as handle:
            same = json.load(handle) == run_flags
    except (OSError, ValueError):
        same = False
    return same and run_scores(train_dir) is not None


def launch(train_dir: str, run_flags: list[str]):
    """Runs dal_tf.train (resuming any checkpoint there); its output goes to train_dir/train.log."""
    from dal_tf.utils.atomic_io import atomic_write_json

    os.makedirs(train_dir, exist_ok=True)
    results = os.path.join(train_dir, "results.json")
    if os.path.exists(results):
        os.remove(results)  # from other flags: only the coming run's may count
    atomic_write_json(os.path.join(train_dir, HARNESS_FLAGS), run_flags)
    with open(os.path.join(train_dir, "train.log"), "a") as log:
        code = subprocess.call([sys.executable, "-m", "dal_tf.train", f"--train_dir={train_dir}", *run_flags],
                               stdout=log, stderr=subprocess.STDOUT, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    if code != 0:
        raise UserInputError(f"run {train_dir} failed (exit {code}); see {train_dir}/train.log")


def evaluate_reranked(train_dir: str):
    """dal_tf.evaluate --rerank of a finished run, unless its result is newer than the run's."""
    from experiments.collect import RERANKED

    out = os.path.join(train_dir, RERANKED)
    if os.path.exists(out) and os.path.getmtime(out) >= os.path.getmtime(os.path.join(train_dir, "results.json")):
        return
    with open(os.path.join(train_dir, "evaluate_rerank.log"), "w") as log:
        code = subprocess.call([sys.executable, "-m", "dal_tf.evaluate", f"--train_dir={train_dir}", "--rerank",
                                f"--results_json={out}"], stdout=log, stderr=subprocess.STDOUT,
                               env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    if code != 0:
        raise UserInputError(f"evaluating {train_dir} with --rerank failed (exit {code}); see "
                             f"{train_dir}/evaluate_rerank.log")


def whole_numbers(flag: str, values: list[str], least: int = 0) -> tuple[int, ...]:
    """A comma-separated list flag's values as integers >= least."""
    try:
        numbers = tuple(int(v) for v in values)
    except ValueError:
        numbers = ()
    if len(numbers) != len(values) or any(n < least for n in numbers):
        raise UserInputError(f"--{flag}={','.join(values)}: expected whole numbers >= {least}, e.g. 1,2,3")
    return numbers


def recipe_record(run, train_dir: str, wall_s: float, resumed: bool) -> tuple[dict, dict]:
    """A finished recipe run's CSV line and its association curves."""
    from benchmarks.machine import describe
    from experiments.collect import CURVES, METRICS, read_curves

    with open(os.path.join(train_dir, "results.json")) as handle:
        results = json.load(handle)
    curves = read_curves(train_dir)
    commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True).stdout.strip()
    record = dict(row=run.row, seed=run.seed, flags=" ".join(run.flags), steps=int(results["step"]),
                  **{m: float(results["scores"][m]) for m in METRICS},
                  **{t: float(curves[t][1][-1]) if t in curves else None for t in CURVES},
                  wall_s=round(wall_s, 1), resumed=resumed, weights=os.path.basename(run.weights),
                  machine=describe(), commit=commit or "unknown",
                  finished_utc=time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()))
    return record, curves


def reproduce_recipes(seeds: tuple[int, ...]):
    """Runs the recipe study's missing runs one at a time, each written to the CSV as it finishes."""
    from experiments import recipes, records

    path = os.path.join(FLAGS.out, "recipes.csv")
    title = "Recipes on the synthetic data set at command 1's setting (ImageNet MobileNet)"
    began = time.time()
    while True:
        finished = records.read_records(path)
        planned, waiting = recipes.plan(finished, seeds, FLAGS.mobilenet_weights, tuple(FLAGS.train_flag))
        missing = recipes.missing(planned, finished)
        print(f"{len(planned) - len(missing)}/{len(planned)} planned runs finished"
              + (f"; {waiting}" if waiting else ""), flush=True)
        for run in missing if FLAGS.dry_run else ():
            print(f"  to run: {run.row}, seed {run.seed}", flush=True)
        if FLAGS.dry_run or FLAGS.collect_only or not missing:
            break
        run = missing[0]
        train_dir = os.path.join(FLAGS.runs_dir, run.name)
        resumed = os.path.exists(os.path.join(train_dir, "checkpoints", "checkpoint"))
        print(f"{run.row}, seed {run.seed}: running in {train_dir} ({time.time() - began:.0f} s so far)", flush=True)
        start = time.time()
        launch(train_dir, list(run.train_flags))
        records.put_record(path, *recipe_record(run, train_dir, time.time() - start, resumed))
        records.write_report(path, title)
    if not FLAGS.dry_run:
        print(records.write_report(path, title))
        print(f"wrote {path} and its table and figure beside it; {time.time() - began:.0f} s")


def reproduce():
    from dal_tf.datasets import splits
    from experiments import collect, paper_values, tables

    if FLAGS.table == "recipes":
        return reproduce_recipes(whole_numbers("seeds", FLAGS.seeds))
    study = FLAGS.table in ("proxy", "association")
    dataset = "synthetic" if study else FLAGS.dataset
    request = tables.Request(table=FLAGS.table, dataset=dataset, backbones=tuple(FLAGS.backbones),
                             data_dir=FLAGS.data_dir, splits=whole_numbers("splits", FLAGS.splits, least=1),
                             seeds=whole_numbers("seeds", FLAGS.seeds), mobilenet_weights=FLAGS.mobilenet_weights,
                             resnet50_weights=FLAGS.resnet50_weights, extra_flags=tuple(FLAGS.train_flag))
    if dataset in splits.RELEASED_SPLITS_SHA256 and not FLAGS.allow_other_splits:
        splits.require_released_splits(dataset, FLAGS.data_dir)
    planned = tables.runs(request)
    began = time.time()
    for number, run in enumerate(planned, 1):
        train_dir = os.path.join(FLAGS.runs_dir, run.name)
        finished = is_finished(train_dir, list(run.flags))
        if FLAGS.dry_run or FLAGS.collect_only or finished:
            print(f"[{number}/{len(planned)}] {run.name}: {'finished' if finished else 'not finished'}", flush=True)
        else:
            print(f"[{number}/{len(planned)}] {run.name}: running ({time.time() - began:.0f} s so far)", flush=True)
            launch(train_dir, list(run.flags))
        if FLAGS.table == "association" and not (FLAGS.dry_run or FLAGS.collect_only):
            evaluate_reranked(train_dir)
    if FLAGS.dry_run:
        return
    stem = FLAGS.table if study else f"table{FLAGS.table}_{dataset}"
    if FLAGS.table == "association":
        collect.write_association(planned, FLAGS.runs_dir, FLAGS.out, stem,
                                  "Association rules on the synthetic data set at command 1's setting")
    else:
        title = "Proxy study on the synthetic data set" if study else f"Table {FLAGS.table} on {dataset}"
        collect.write_outputs(planned, FLAGS.runs_dir, FLAGS.out, stem, title,
                              paper_values.paper_rows(FLAGS.table, dataset), paper_values.paper_figure4(dataset))
    with open(os.path.join(FLAGS.out, f"{stem}.md")) as table:
        print(table.read())
    figure = os.path.exists(os.path.join(FLAGS.out, f"{stem}_figure4.png"))
    print(f"wrote {FLAGS.out}/{stem}.md, .csv{' and _figure4.png' if figure else ''}; {time.time() - began:.0f} s")


if __name__ == "__main__":
    flags.mark_flag_as_required("table")
    command_line.entry_point("experiments.reproduce", reproduce)
