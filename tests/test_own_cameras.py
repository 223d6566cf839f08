"""docs/own_cameras.md's path end to end, at test sizes: synthetic two-camera videos ->
data_prep.tracklets (built-in detector and tracker, scored against the ground truth) -> folders
training with the ground-truth identities -> evaluate -> export -> match --data_dir --sheet; and
the same tracklets without identities, where nothing is scored."""

import csv
import json
import os
import shutil

import cv2
import numpy as np
import pytest
from conftest import only_error_line, run_module, tiny_train_flags

from dal_tf.config import SyntheticVideoConfig
from dal_tf.datasets.folders_layout import person_id
from dal_tf.datasets.synthetic.videos import write_videos
from dal_tf.evaluation import contact_sheet
from dal_tf.evaluation.scoring import NOTHING_TO_SCORE

pytestmark = pytest.mark.slow
pytest.importorskip("motmetrics")


@pytest.fixture(scope="module")
def tracklets(tmp_path_factory):
    root = tmp_path_factory.mktemp("own_cameras")
    write_videos(SyntheticVideoConfig(out=str(root / "videos"), people=5, frames=80))
    cameras = ("cam1", "cam2")
    result = run_module("data_prep.tracklets", [
        *(f"--video={c}={root}/videos/{c}.avi" for c in cameras),
        *(f"--ground_truth={c}={root}/videos/{c}.gt.txt" for c in cameras), f"--out={root}/tracklets"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert "| overall | " in result.stdout and result.stdout.strip().splitlines()[-1].startswith("wrote ")
    return root


def folders_flags(data_dir, train_dir, **overrides):
    return tiny_train_flags(data_dir, train_dir, **{"dataset": "folders", "max_steps": 2, **overrides})


def test_identified_tracklets_train_evaluate_export_and_match(tracklets):
    data, run, export = tracklets / "tracklets", str(tracklets / "run"), str(tracklets / "export")
    trained = run_module("dal_tf.train", folders_flags(data, run, test_fraction=0.5))
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert "true_match_share=" in trained.stdout and "association: " in trained.stdout
    results = json.load(open(os.path.join(run, "results.json")))
    assert results["protocol"] == "mars" and results["scores"]["num_query"] > 0
    with open(data / "identities.csv") as handle:
        people = {person_id(row["person"]) for row in csv.DictReader(handle)}
    trained_on = set(json.load(open(os.path.join(run, "run_info.json")))["training_people"]["person_ids"])
    assert trained_on and trained_on < people  # the held-out people are not among them

    evaluated = run_module("dal_tf.evaluate", [f"--train_dir={run}", f"--results_json={tracklets}/eval.json"])
    assert evaluated.returncode == 0, evaluated.stderr[-2000:]
    (split,) = json.load(open(tracklets / "eval.json"))["splits"]
    assert split["scores"] == pytest.approx(results["scores"])

    assert run_module("dal_tf.export", [f"--train_dir={run}", f"--out={export}"]).returncode == 0
    sheet, table = str(tracklets / "sheet.png"), str(tracklets / "matches.csv")
    matched = run_module("dal_tf.match", [f"--saved_model={export}", f"--data_dir={data}", "--top_k=3",
                                          "--sheet_queries=4", f"--sheet={sheet}", f"--csv={table}"])
    assert matched.returncode == 0, matched.stderr[-2000:]
    with open(table) as handle:
        rows = list(csv.DictReader(handle))
    assert rows and all(r["query"].split("/")[0] != r["gallery"].split("/")[0] for r in rows)  # other cameras only
    image = cv2.imread(sheet)
    height, width = contact_sheet.cell_size()
    assert image.shape == (4 * height, 4 * width + contact_sheet.GAP, 3)
    # identities are known, so every match has a green or red border, none grey
    corners = [tuple(image[r * height, c * width + contact_sheet.GAP]) for r in range(4) for c in (1, 2, 3)]
    assert set(corners) <= {contact_sheet.TRUE, contact_sheet.FALSE}


def test_without_identities_training_reports_associations_and_nothing_to_score(tracklets):
    data, run = tracklets / "unlabelled", str(tracklets / "unlabelled_run")
    shutil.copytree(tracklets / "tracklets", data)
    os.remove(data / "identities.csv")
    trained = run_module("dal_tf.train", folders_flags(data, run, max_steps=1))
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert NOTHING_TO_SCORE in trained.stdout and "true_match_share" not in trained.stdout
    assert "merged_share=" in trained.stdout and "training tracklets" in trained.stdout
    results = json.load(open(os.path.join(run, "results.json")))
    assert results["scores"] is None and np.isclose(results["associations"]["tracklets"],
                                                    len(os.listdir(data / "cam1")) + len(os.listdir(data / "cam2")))
    evaluated = run_module("dal_tf.evaluate", [f"--train_dir={run}"])
    assert NOTHING_TO_SCORE in only_error_line(evaluated, "dal_tf.evaluate")
