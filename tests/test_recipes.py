"""The recipe study: its stages planned from the CSV, the CSV and its curves, and the harness run in pieces."""

import csv
import os

import numpy as np
import pytest
import tensorflow as tf

from experiments import recipes, records

BASE = ("--dataset=synthetic", "--max_steps=800")


def record(run, rank1, mAP=None, merged=0.5, true=0.25, wall=60.0):
    return dict(row=run.row, seed=run.seed, flags=" ".join(run.flags), steps=800, rank1=rank1, rank5=rank1 + 1,
                rank10=rank1 + 2, rank20=rank1 + 3, mAP=rank1 / 2 if mAP is None else mAP, merged_share=merged,
                true_match_share=true, wall_s=wall, resumed=False, weights="w.h5", machine="a CPU", commit="abc",
                finished_utc="2026-12-07T00:00:00Z")


def finish(planned, rank1_of, done):
    """Records for every planned run not yet done, rank-1 by row (seed s adds s)."""
    have = {(r["row"], r["seed"], r["flags"]) for r in done}
    return done + [record(run, rank1_of[run.row] + run.seed) for run in planned
                   if (run.row, run.seed, " ".join(run.flags)) not in have]


def test_stages_follow_the_measured_means():
    seeds = (0, 1, 2)
    planned, waiting = recipes.plan([], seeds, "w.h5", base=BASE)
    assert [(r.row, r.seed) for r in planned[:6]] == [("released", 0), ("parts", 0), ("augment", 0), ("contrast", 0),
                                                      ("clusters", 0), ("released", 1)]  # seed by seed
    assert len(planned) == 15 and "combination" in waiting
    assert planned[1].flags == (*BASE, "--parts=4") and planned[1].train_flags[-2:] == ("--weights=w.h5", "--seed=0")

    # Parts and augment beat the release's mean rank-1 (50 + 1); contrast ties it, so it is not a winner.
    singles = dict(released=50, parts=70, augment=60, contrast=50, clusters=10)
    done = finish(planned[:-1], singles, [])
    assert recipes.plan(done, seeds, "w.h5", base=BASE)[0] == planned  # one seed missing: the stage waits
    done = finish(planned, singles, done)
    planned, waiting = recipes.plan(done, seeds, "w.h5", base=BASE)
    combination = [r for r in planned if r.row == "parts + augment"]
    assert [r.seed for r in combination] == [0, 1, 2] and "PreciseBN" in waiting
    assert combination[0].flags == (*BASE, "--parts=4", "--augment")

    done = finish(planned, {**singles, "parts + augment": 65}, done)  # below parts alone: parts is the best
    planned, waiting = recipes.plan(done, seeds, "w.h5", base=BASE)
    precise = {r.row: r.flags for r in planned if "precise" in r.row}
    assert precise == {"released, precise BN": (*BASE, *recipes.PRECISE_BN),
                       "parts, precise BN": (*BASE, "--parts=4", *recipes.PRECISE_BN)}

    done = finish(planned, {**singles, "parts + augment": 65, "released, precise BN": 80, "parts, precise BN": 30},
                  done)
    planned, waiting = recipes.plan(done, seeds, "w.h5", base=BASE)
    longer = {r.row: r.flags for r in planned if "3x" in r.row}
    assert waiting == "" and longer == {
        "released, precise BN, 3x steps": (*BASE, *recipes.PRECISE_BN, "--max_steps=2400"),
        "parts, 3x steps": (*BASE, "--parts=4", "--max_steps=2400")}
    assert len(planned) == 3 * (5 + 1 + 2 + 2)


def test_no_combination_unless_two_ideas_win_and_changed_flags_run_again():
    planned, _ = recipes.plan([], (0,), "w.h5", base=BASE)
    done = finish(planned, dict(released=50, parts=70, augment=40, contrast=30, clusters=10), [])
    planned, waiting = recipes.plan(done, (0,), "w.h5", base=BASE)
    assert [r.row for r in planned] == ["released", "parts", "augment", "contrast", "clusters",
                                        "released, precise BN", "parts, precise BN"]
    # Command 1's flags changed: every run is missing again, in its own directory.
    moved, _ = recipes.plan(done, (0,), "w.h5", base=(*BASE, "--augment"))
    assert len(moved) == 5 and moved[0].name != planned[0].name and moved[0].name.startswith("recipes/released/seed0-")


def test_command_1_adopts_the_best_row_only_where_its_spread_clears_the_releases():
    planned, _ = recipes.plan([], (0, 1, 2), "w.h5", base=BASE)
    of = {(r.row, r.seed): r for r in planned}
    rank1 = {"released": (50, 52, 54), "parts": (60, 61, 62), "augment": (50, 70, 90), "contrast": (40, 40, 40),
             "clusters": (56, 56, 56)}  # released: 52 ± 2; augment's mean is best, but its spread reaches 50
    done = [record(of[row, seed], value) for row, values in rank1.items() for seed, value in enumerate(values)]
    assert recipes.adopted(done, BASE) == ("--parts=4",)  # clusters clears 54 too, with a lower mean
    assert recipes.adopted([r for r in done if r["row"] != "parts" or r["seed"] < 2], BASE) == ("--association=clusters",)
    slower = [dict(r, steps=2400) if r["row"] in ("parts", "clusters") else r for r in done]
    assert recipes.adopted(slower, BASE) == ()  # only command 1's steps count
    with pytest.raises(ValueError, match="other base flags"):
        recipes.adopted(done, ("--dataset=synthetic", "--max_steps=800", "--augment"))


def test_command_1_is_the_release_recipe_plus_what_the_committed_study_adopts():
    from experiments import tables

    study = os.path.join(os.path.dirname(recipes.__file__), "results", "recipes.csv")
    release = tables.release_flags()
    assert tables.flagfile("synthetic_demo") == (*release, *recipes.adopted(records.read_records(study), release))


def test_csv_replaces_a_rerun_and_keeps_curves_and_summaries(tmp_path):
    path = str(tmp_path / "study.csv")
    planned, _ = recipes.plan([], (0, 1), "w.h5", base=BASE)
    curve = {"merged_share": (np.array([50, 100]), np.array([0.25, 0.5])),
             "true_match_share": (np.array([100]), np.array([0.75]))}
    for run, rank1 in zip(planned, (40.0, 70.0, 60.0, 55.0, 30.0, 50.0, 70.0)):
        records.put_record(path, record(run, rank1, merged=rank1 / 100), curve)
    records.put_record(path, record(planned[0], 46.0), curve)  # released, seed 0, again
    kept = records.read_records(path)
    assert [(r["row"], r["seed"]) for r in kept][-2:] == [("parts", 1), ("released", 0)] and len(kept) == 7
    summary = records.summarize(kept)
    assert summary["released"]["seeds"] == [0, 1]
    assert summary["released"]["mean"]["rank1"] == pytest.approx(48.0)
    assert summary["released"]["std"]["rank1"] == pytest.approx(np.std([46.0, 50.0], ddof=1))
    assert summary["parts"]["std"]["mAP"] == pytest.approx(0.0)  # seeds 0 and 1 both 70 / 2
    curves = records.read_curves(records.curves_path(path))
    np.testing.assert_array_equal(curves[("released", 0)]["true_match_share"][0], [100])
    np.testing.assert_allclose(curves[("parts", 1)]["merged_share"][1], [0.25, 0.5])
    with open(records.curves_path(path)) as handle:
        assert sum(line["row"] == "released" and line["seed"] == "0" for line in csv.DictReader(handle)) == 2

    text = records.write_report(path, "Test")
    assert "| released |  | 0,1 | 800 | 48.0 ± 2.8 | 24.0 ± 1.4 | 50.0 % | 25.0 % | 1.0 |" in text
    assert "| parts | `--parts=4` | 0,1 | 800 | 70.0 | 35.0 | 70.0 % | 25.0 % | 1.0 |" in text
    assert "Every row's flags: `--dataset=synthetic --max_steps=800`." in text
    assert (tmp_path / "study_figure4.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert (tmp_path / "study.md").read_text() == text


def test_the_harness_runs_in_pieces_and_a_rerun_does_only_what_is_missing(tmp_path, monkeypatch):
    import json

    from absl import flags

    from dal_tf.utils.errors import UserInputError
    from experiments import reproduce

    launched, kill_at = [], [3]

    def fake_launch(train_dir, run_flags):
        if len(launched) + 1 == kill_at[0]:
            raise UserInputError("killed")  # the session ends during this run
        launched.append(os.path.relpath(train_dir, tmp_path / "runs").split("/")[1])
        os.makedirs(train_dir, exist_ok=True)
        with open(os.path.join(train_dir, "results.json"), "w") as handle:
            json.dump({"step": 800, "scores": dict(rank1=50.0, rank5=60.0, rank10=70.0, rank20=80.0, mAP=55.0)},
                      handle)
        if len(launched) == 1:  # the first run logs its association curves, as train_loop does
            writer = tf.summary.create_file_writer(os.path.join(train_dir, "logs"))
            with writer.as_default():
                for step, merged, true in ((400, 0.25, 0.5), (800, 0.75, 0.625)):
                    tf.summary.scalar("merged_share", merged, step=step)
                    tf.summary.scalar("true_match_share", true, step=step)
            writer.flush()

    monkeypatch.setattr(reproduce, "launch", fake_launch)
    flags.FLAGS.unparse_flags()
    flags.FLAGS(["reproduce", "--table=recipes", "--seeds=0", f"--out={tmp_path}/out", f"--runs_dir={tmp_path}/runs",
                 "--mobilenet_weights=w.h5"])
    try:
        with pytest.raises(UserInputError, match="killed"):
            reproduce.reproduce()
        kept = records.read_records(f"{tmp_path}/out/recipes.csv")
        assert [r["row"] for r in kept] == ["released", "parts"]
        assert kept[0]["rank1"] == 50.0 and kept[0]["weights"] == "w.h5"
        assert (kept[0]["merged_share"], kept[0]["true_match_share"], kept[1]["merged_share"]) == (0.75, 0.625, None)
        curves = records.read_curves(f"{tmp_path}/out/recipes_curves.csv")
        assert list(curves) == [("released", 0)]
        np.testing.assert_array_equal(curves["released", 0]["merged_share"][0], [400, 800])
        np.testing.assert_allclose(curves["released", 0]["true_match_share"][1], [0.5, 0.625])
        assert "| parts | `--parts=4` | 0 | 800 | 50.0 | 55.0 |" in (tmp_path / "out" / "recipes.md").read_text()
        launched.clear()
        kill_at[0] = 0
        reproduce.reproduce()
    finally:
        flags.FLAGS.unparse_flags()
    # The rest only; every idea ties the release, so no combination and one PreciseBN row; the
    # 3x rows are the first two of the tie, in the study's order.
    assert launched == ["augment", "contrast", "clusters", "released_precise_BN", "released_3x_steps", "parts_3x_steps"]
    assert [r["row"] for r in records.read_records(f"{tmp_path}/out/recipes.csv")][2:] == [
        "augment", "contrast", "clusters", "released, precise BN", "released, 3x steps", "parts, 3x steps"]
