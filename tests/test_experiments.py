"""The reproduction harness: planned runs, skipping finished ones, tables and Figure 4 from fake runs."""

import csv
import io
import json
import os

import numpy as np
import pytest
import tensorflow as tf

from dal_tf.utils.errors import UserInputError
from experiments import collect, paper_values, tables
from experiments.reproduce import HARNESS_FLAGS, is_finished


def test_tables_plan_every_split_seed_and_variant():
    table2 = tables.runs(tables.Request(table="2", dataset="prid", data_dir="/d", seeds=(0, 1)))
    assert len(table2) == 3 * 10 * 2 and len({r.name for r in table2}) == len(table2)
    assert {r.row for r in table2} == {"L_I only", "L_C only", "L_I + L_C (DAL)"}
    first = table2[0]
    assert "--loss_terms=intra" in first.flags and "--split=1" in first.flags and "--data_dir=/d" in first.flags
    table1 = tables.runs(tables.Request(table="1", dataset="mars", backbones=("mobilenet", "resnet50"),
                                        mobilenet_weights="m.ckpt", resnet50_weights="r.ckpt"))
    assert [r.row for r in table1] == ["DAL (mobilenet)", "DAL (resnet50)"]  # MARS has one split
    assert [[f for f in r.flags if f.startswith("--weights")] for r in table1] == [["--weights=m.ckpt"],
                                                                                    ["--weights=r.ckpt"]]
    table3 = tables.runs(tables.Request(table="3", dataset="ilids", splits=(2,)))
    assert [("--objective=supervised" in r.flags, r.dal) for r in table3] == [(True, False), (False, True)]
    proxy = tables.runs(tables.Request(table="proxy", dataset="synthetic", seeds=(0, 1, 2), mobilenet_weights="w.h5"))
    assert len(proxy) == 2 * len(tables.PROXY_VARIANTS) * 3
    assert sum("--weights=w.h5" in r.flags for r in proxy) == sum("--weights=none" in r.flags for r in proxy)
    with pytest.raises(UserInputError, match="vgg is not mobilenet or resnet50"):
        tables.runs(tables.Request(table="1", dataset="prid", backbones=("vgg",)))


def test_rows_with_the_same_flags_share_their_runs():
    """Table 1's MobileNet row, Table 2's L_I + L_C row and Table 3's DAL row: the same 10 runs."""
    def dal_runs(table, row):
        request = tables.Request(table=table, dataset="prid", data_dir="/d")
        return [(r.name, r.flags) for r in tables.runs(request) if r.row == row]

    table1 = dal_runs("1", "DAL (mobilenet)")
    assert len(table1) == 10
    assert table1 == dal_runs("2", "L_I + L_C (DAL)") == dal_runs("3", "DAL (mobilenet)")
    others = {name for t in "123" for name, _ in dal_runs(t, "L_I only") + dal_runs(t, "ID-supervised (mobilenet)")}
    assert others and not others & {name for name, _ in table1}


def test_every_paper_row_is_there_with_its_source():
    table1 = {d: paper_values.paper_rows("1", d) for d in ("prid", "ilids", "mars")}
    assert len(table1["prid"]) == len(table1["ilids"]) == 8 and len(table1["mars"]) == 4  # others print "-"
    assert table1["ilids"]["DAL (MobileNet)"]["rank1"] == 52.8 and table1["mars"]["DAL (ResNet50)"]["mAP"] == 21.4
    assert table1["prid"]["Stepwise"]["mAP"] is None and table1["mars"]["Stepwise"]["rank10"] is None
    assert paper_values.paper_rows("2", "mars")["L_I only"] == dict(
        source="Chen, Zhu, Gong, BMVC 2018 (arXiv:1808.07301), Table 2", rank1=41.6, rank5=59.0, rank10=66.2,
        rank20=73.2, mAP=16.8)
    assert paper_values.paper_rows("3", "prid")["ID-Supervised"]["rank5"] == 98.1
    assert paper_values.paper_rows("proxy", "synthetic") == {} and paper_values.paper_figure4("synthetic") is None
    assert paper_values.paper_figure4("ilids")["true_match_share"] == "about 75%"


def fake_run(runs_dir, run, scores, curve=None):
    train_dir = os.path.join(runs_dir, run.name)
    os.makedirs(train_dir, exist_ok=True)
    with open(os.path.join(train_dir, "results.json"), "w") as handle:
        json.dump({"scores": scores}, handle)
    with open(os.path.join(train_dir, HARNESS_FLAGS), "w") as handle:
        json.dump(list(run.flags), handle)
    if curve is not None:  # as train_loop writes them; step 20 twice, as after a resume
        writer = tf.summary.create_file_writer(os.path.join(train_dir, "logs"))
        with writer.as_default():
            for step, merged, true in curve:
                tf.summary.scalar("merged_share", merged, step=step)
                tf.summary.scalar("true_match_share", true, step=step)
        writer.flush()
    return train_dir


def scores(rank1):
    return dict(rank1=rank1, rank5=rank1 + 10, rank10=rank1 + 20, rank20=rank1 + 30, mAP=rank1 / 2)


def test_tables_average_finished_runs_and_show_the_paper(tmp_path):
    planned = tables.runs(tables.Request(table="2", dataset="ilids", splits=(1, 2, 3)))
    by_row = {}
    for run in planned:
        by_row.setdefault(run.row, []).append(run)
    values = {"L_I only": [10.0, 20.0, 30.0], "L_C only": [5.0, 7.0], "L_I + L_C (DAL)": [40.0, 44.0, 48.0]}
    for row, runs in by_row.items():
        for run, rank1 in zip(runs, values[row]):
            fake_run(str(tmp_path), run, scores(rank1))
    paper = {"DAL": dict(source="a test", rank1=52.8, mAP=None)}
    summary = collect.summarize(planned, str(tmp_path))
    assert summary["L_I only"]["mean"]["rank1"] == pytest.approx(20.0)
    assert summary["L_I only"]["std"]["rank1"] == pytest.approx(np.std([10, 20, 30], ddof=1))
    assert (summary["L_C only"]["runs"], summary["L_C only"]["of"]) == (2, 3)
    assert summary["L_I + L_C (DAL)"]["mean"]["mAP"] == pytest.approx(22.0)

    text = collect.markdown_table(summary, paper)
    assert "| ours: L_I only | 3/3 | 20.0 ± 10.0 | 30.0 ± 10.0 |" in text
    assert "| paper: DAL | | 52.8 | n/a |" in text and "Paper values from: a test." in text
    rows = list(csv.DictReader(io.StringIO(collect.csv_table(summary, paper))))
    assert [r["source"] for r in rows] == ["ours", "ours", "ours", "paper"]
    assert float(rows[1]["rank1_mean"]) == pytest.approx(6.0) and rows[3]["mAP_mean"] == ""


def test_finished_runs_are_skipped_only_with_the_same_flags(tmp_path):
    run = tables.runs(tables.Request(table="1", dataset="prid", splits=(1,)))[0]
    train_dir = os.path.join(tmp_path, run.name)
    assert not is_finished(train_dir, list(run.flags))
    fake_run(str(tmp_path), run, scores(50.0))
    assert is_finished(train_dir, list(run.flags))
    assert not is_finished(train_dir, [*run.flags, "--max_steps=10"])
    os.remove(os.path.join(train_dir, "results.json"))  # interrupted before the end
    assert not is_finished(train_dir, list(run.flags))


def test_figure4_curves_keep_the_last_value_of_a_step_and_plot(tmp_path):
    run = tables.runs(tables.Request(table="1", dataset="prid", splits=(1,)))[0]
    train_dir = fake_run(str(tmp_path), run, scores(50.0),
                         curve=[(10, 0.1, 0.5), (20, 0.2, 0.4), (20, 0.3, 0.6), (30, 0.5, 0.7)])
    curves = collect.read_curves(train_dir)
    np.testing.assert_array_equal(curves["merged_share"][0], [10, 20, 30])
    np.testing.assert_allclose(curves["merged_share"][1], [0.1, 0.3, 0.5], atol=1e-6)
    np.testing.assert_allclose(curves["true_match_share"][1], [0.5, 0.6, 0.7], atol=1e-6)
    path = tmp_path / "fig.png"
    collect.figure4({"a panel": {"DAL": [curves]}, "another": {"DAL": [curves]}}, str(path), "test")
    assert path.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_figure4_end_points_beside_the_papers(tmp_path):
    planned = tables.runs(tables.Request(table="1", dataset="prid", splits=(1, 2)))
    dirs = [fake_run(str(tmp_path), run, scores(50.0), curve=[(10, 0.1, 0.5), (20, merged, true)])
            for run, (merged, true) in zip(planned, [(0.9, 0.8), (0.95, 0.9)])]
    ends = collect.figure4_end_points({"DAL (mobilenet)": [collect.read_curves(d) for d in dirs]})["DAL (mobilenet)"]
    assert ends["runs"] == 2
    np.testing.assert_allclose(ends["merged_share"], (0.925, np.std([0.9, 0.95], ddof=1)), atol=1e-6)
    text = collect.figure4_table({"DAL (mobilenet)": ends}, paper_values.paper_figure4("prid"))
    assert "| ours: DAL (mobilenet) | 2 | 92.5 ± 3.5 % | 85.0 ± 7.1 % |" in text
    assert "| paper: DAL | | over 90% | about 90% |" in text


def test_association_study_plans_every_rule_and_tables_it_with_rerank(tmp_path, monkeypatch):
    from dal_tf.config import ASSOCIATION_RULES

    request = tables.Request(table="association", dataset="synthetic", seeds=(0, 1), mobilenet_weights="w")
    studied = [r for r in ASSOCIATION_RULES if r not in tables.TWO_CAMERA_DUPLICATES]  # two cameras: per_camera = released
    planned = tables.runs(request)
    assert len(planned) == 2 * 2 * (1 + len(studied))
    assert {r.row for r in planned} == {f"{v}, {i}" for v in ["untrained", *studied] for i in ("ImageNet", "random init")}
    # The table's numbers below are worked out for six rows (so 12 runs a seed), whatever the rules.
    monkeypatch.setattr(tables, "ASSOCIATION_VARIANTS", tables.ASSOCIATION_VARIANTS[:6])
    planned = tables.runs(request)
    assert [r.row for r in planned[:2]] == ["untrained, ImageNet", "released, ImageNet"]  # seed 0 of every row first
    released = planned[1]
    assert released.flags[:len(tables.release_flags())] == tables.release_flags()  # command 1's setting, the release's recipe
    assert "--max_steps=800" in released.flags and "--association=released" in released.flags
    for run, rank1 in zip(planned, range(len(planned))):
        train_dir = fake_run(str(tmp_path), run, scores(rank1), curve=[(10, 0.5, 0.5), (20, 0.2 + rank1 / 100, 0.8)]
                             if run.dal else None)
        if run.row != "persistent, random init":  # one row without its --rerank results yet
            with open(os.path.join(train_dir, collect.RERANKED), "w") as handle:
                json.dump({"splits": [{"scores": scores(rank1 + 100)}]}, handle)
    collect.write_association(planned, str(tmp_path), str(tmp_path), "association", "Test")
    text = (tmp_path / "association.md").read_text()
    # released, ImageNet: rank-1 1 and 1 + 12 over the two seeds; merged 21% and 33%.
    assert "| released, ImageNet | 2/2 | 7.0 ± 8.5 | 3.5 ± 4.2 | 107.0 ± 8.5 | 53.5 ± 4.2 | 27.0 ± 8.5 % | 80.0 % |" in text
    assert "| untrained, ImageNet | 2/2 | 6.0 ± 8.5 | 3.0 ± 4.2 | 106.0 ± 8.5 | 53.0 ± 4.2 |  |  |" in text
    assert "| persistent, random init | 2/2 |" in text and "| n/a | n/a |" in text
    rows = list(csv.DictReader(io.StringIO((tmp_path / "association.csv").read_text())))
    assert rows[1]["row"] == "released, ImageNet" and float(rows[1]["rerank_rank1_mean"]) == pytest.approx(107.0)
    assert float(rows[1]["merged_share_mean"]) == pytest.approx(0.27, abs=1e-6)
    assert (tmp_path / "association_figure4.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_threshold_table_averages_seeds_counts_abstentions_and_gaps(tmp_path):
    from experiments import threshold_table

    header = ("embedding,people from,threshold,pairwise precision,pairwise recall,pairwise F1,BCubed F1,"
              "people found,true people\n")
    seeds = {
        0: "trained,estimated threshold,0.7,,,0.2996,,80,60\ntrained,best threshold,0.72,,,0.4004,,70,60\n",
        1: "trained,estimated threshold: abstains,,,,,,,\ntrained,best threshold,0.8,,,0.200,,90,60\n",
        2: "trained,estimated threshold,0.6,,,0.4996,,75,60\ntrained,best threshold,0.6,,,0.5004,,75,60\n",
    }
    for seed, rows in seeds.items():
        (tmp_path / f"toy_seed{seed}.csv").write_text(header + rows)
    text = threshold_table.table(str(tmp_path))
    row = next(line for line in text.splitlines() if line.startswith("| toy |"))
    # estimated: mean of 0.2996 and 0.4996, sd 0.141; best: 0.4004, 0.2, 0.5004: mean 0.367, sd 0.153;
    # gaps 0.1008 and 0.0008: mean 0.0508 (from the cells as shown, 0.100 and 0.000, it would be 0.050)
    assert row == "| toy | 0, 1, 2 | 60 |  |  | 0.400 ± 0.141, abstains (1 of 3) | 0.367 ± 0.153 | 0.051 ± 0.071 |"
    assert "- toy, seed 1: untrained, estimated: ; untrained, best: ; trained, estimated: abstains; " \
           "trained, best: 0.200 (90)" in text
