"""dal_tf.identities, calibrate, score_identities and match --max_distance end to end at test
sizes: synthetic three-camera videos -> tracklets from the ground-truth tracks -> a two-step run ->
export; and each kind of bad input, which leaves no output."""

import csv
import json
import os
import re
import shutil

import cv2
import numpy as np
import pytest
from conftest import only_error_line, run_module, tiny_train_flags

from dal_tf.config import SyntheticVideoConfig
from dal_tf.datasets.synthetic.videos import write_videos
from dal_tf.people.files import PEOPLE_COLUMNS

pytestmark = pytest.mark.slow
pytest.importorskip("motmetrics")
CAMERAS = ("cam1", "cam2", "cam3")


@pytest.fixture(scope="module")
def footage(tmp_path_factory):
    root = tmp_path_factory.mktemp("identities")
    write_videos(SyntheticVideoConfig(out=str(root / "videos"), cameras=3, people=4, frames=60))
    cut = run_module("data_prep.tracklets", [
        *(f"--video={c}={root}/videos/{c}.avi" for c in CAMERAS), *(f"--tracks={c}={root}/videos/{c}.gt.txt" for c in CAMERAS),
        *(f"--ground_truth={c}={root}/videos/{c}.gt.txt" for c in CAMERAS), f"--out={root}/tracklets"])
    assert cut.returncode == 0, cut.stderr[-2000:]
    run = str(root / "run")
    # a fast BatchNorm decay: the moving statistics adapt in two steps (with the initial ones, the
    # random network maps every crop to one feature)
    trained = run_module("dal_tf.train", tiny_train_flags(root / "tracklets", run, dataset="folders", max_steps=2,
                                                          batchnorm_decay=0.1))
    assert trained.returncode == 0, trained.stderr[-2000:]
    assert run_module("dal_tf.export", [f"--train_dir={run}", f"--out={root}/export"]).returncode == 0
    return root


def identities(root, out, *flags):
    return run_module("dal_tf.identities", [f"--saved_model={root}/export", f"--data_dir={root}/tracklets",
                                            f"--out={out}", *flags])


def read_csv(path):
    with open(path, newline="") as handle:
        return list(csv.DictReader(handle))


def overlapping_pairs(root):
    """(camera/tracklet, camera/tracklet) of one camera whose frames overlap, from tracks.csv."""
    spans = {}
    for row in read_csv(root / "tracklets" / "tracks.csv"):
        key = "/".join(row["crop"].split("/")[:2])
        lo, hi = spans.get(key, (10 ** 9, -1))
        spans[key] = (min(lo, int(row["frame"])), max(hi, int(row["frame"])))
    keys = sorted(spans)
    return [(a, b) for i, a in enumerate(keys) for b in keys[i + 1:]
            if a.split("/")[0] == b.split("/")[0] and spans[a][0] <= spans[b][1] and spans[b][0] <= spans[a][1]]


def test_people_files_cover_every_tracklet_and_box(footage):
    out = footage / "people"
    result = identities(footage, out, f"--videos={CAMERAS[0]}", "--threshold=1")
    assert result.returncode == 0, result.stderr[-2000:]
    people = read_csv(out / "people.csv")
    assert list(people[0]) == PEOPLE_COLUMNS
    tracks = read_csv(footage / "tracklets" / "tracks.csv")
    assert len(people) == len({(r["camera"], r["track"]) for r in tracks})
    person_of = {f"{r['camera']}/{r['tracklet']}": int(r["person"]) for r in people}
    for camera in CAMERAS:  # one MOT line per crop, its id the tracklet's person
        lines = (out / "mot" / f"{camera}.txt").read_text().splitlines()
        crops = [r for r in tracks if r["camera"] == camera]
        assert sorted(int(line.split(",")[1]) for line in lines) == sorted(
            person_of[f"{camera}/{int(r['track']):04d}"] for r in crops)
    assert len((out / "aicity.txt").read_text().splitlines()) == len(tracks)
    summary = json.load(open(out / "summary.json"))
    assert summary["people"] == max(person_of.values()) and summary["threshold"]["source"] == "--threshold"
    sheet = cv2.imread(str(out / "people.png"))
    from dal_tf.evaluation.contact_sheet import cell_size

    assert sheet.shape[0] == summary["people"] * cell_size()[0]
    video, drawn = cv2.VideoCapture(f"{footage}/videos/{CAMERAS[0]}.avi"), cv2.VideoCapture(str(out / "videos" / "cam1.mp4"))
    assert int(drawn.get(cv2.CAP_PROP_FRAME_COUNT)) == int(video.get(cv2.CAP_PROP_FRAME_COUNT))


def test_an_unreliable_estimate_abstains_with_one_line_and_no_output(footage):
    # four people and two training steps: too few mutually nearest pairs to place a cut. The
    # refusal comes after the frames were embedded, so their progress lines are above it.
    result = identities(footage, footage / "abstained")
    assert result.returncode != 0 and not (footage / "abstained").exists()
    last = result.stderr.strip().splitlines()[-1]
    assert re.match(r"dal_tf.identities: error: the threshold cannot be estimated: [0-4] mutually nearest "
                    r"cross-camera pairs, fewer than 5; give --threshold=T", last), result.stderr[-2000:]
    assert "Traceback" not in result.stderr


def test_threshold_extremes_and_time_constraints(footage):
    assert identities(footage, footage / "zero", "--threshold=0").returncode == 0
    people = read_csv(footage / "zero" / "people.csv")
    assert len({r["person"] for r in people}) == len(people)  # nothing is below 0
    # every distance is below 10: without constraints one person, with them no overlap shares one
    assert identities(footage, footage / "all", "--threshold=10", "--notime_constraints").returncode == 0
    assert {r["person"] for r in read_csv(footage / "all" / "people.csv")} == {"1"}
    assert identities(footage, footage / "apart", "--threshold=10").returncode == 0
    person_of = {f"{r['camera']}/{r['tracklet']}": r["person"] for r in read_csv(footage / "apart" / "people.csv")}
    pairs = overlapping_pairs(footage)
    assert pairs and all(person_of[a] != person_of[b] for a, b in pairs)
    # --max_per_camera=1: at most one tracklet of each camera per person, and the summary says so
    assert identities(footage, footage / "once", "--threshold=10", "--max_per_camera=1").returncode == 0
    seen = [(r["person"], r["camera"]) for r in read_csv(footage / "once" / "people.csv")]
    assert len(seen) == len(set(seen)) and len({p for p, _ in seen}) < len(seen)
    assert json.load(open(footage / "once" / "summary.json"))["graph"]["max_per_camera"] == 1


def nearest_distances(export, footage, *flags):
    """Each query's nearest gallery distance, from dal_tf.match's CSV."""
    table = footage / "nearest.csv"
    result = run_module("dal_tf.match", [f"--saved_model={export}", f"--data_dir={footage}/tracklets", "--top_k=1",
                                         f"--csv={table}", *flags])
    assert result.returncode == 0, result.stderr[-2000:]
    return {r["query"]: float(r["distance"]) for r in read_csv(table)}


def test_calibrate_then_match_and_identities_use_its_threshold(footage):
    export = footage / "calibrated"
    shutil.copytree(footage / "export", export)
    plot = footage / "calibration.png"
    result = run_module("dal_tf.calibrate", [f"--saved_model={export}", f"--data_dir={footage}/tracklets",
                                             f"--plot={plot}"])
    assert result.returncode == 0, result.stderr[-2000:]
    metadata = json.load(open(export / "dal_tf_export.json"))
    stored, people = metadata["threshold"], metadata["people_threshold"]
    assert (f"threshold {stored['value']:.4f} and people threshold {people['value']:.4f} written into the export"
            in result.stdout and plot.exists())
    matched = run_module("dal_tf.match", [f"--saved_model={export}", f"--data_dir={footage}/tracklets", "--top_k=50",
                                          f"--csv={footage}/calibrated.csv"])
    assert "--max_distance: the export's calibrated threshold" in matched.stderr
    distances = [float(r["distance"]) for r in read_csv(footage / "calibrated.csv") if r["distance"]]
    assert distances and max(distances) <= stored["value"] + 5e-7  # the CSV's 6 decimals
    nearest = nearest_distances(export, footage, "--max_distance=none")
    values = np.unique(list(nearest.values()))
    assert len(values) > 1
    limit = float(values[len(values) // 2 - 1] + values[len(values) // 2]) / 2  # between two printed distances
    limited = run_module("dal_tf.match", [f"--saved_model={export}", f"--data_dir={footage}/tracklets", "--top_k=1",
                                          f"--max_distance={limit}", f"--csv={footage}/limited.csv"])
    unmatched = {line[len("query "):-len(": no match")] for line in limited.stdout.splitlines()
                 if line.endswith(": no match")}
    assert unmatched == {q for q, d in nearest.items() if d > limit}
    assert {r["query"] for r in read_csv(footage / "limited.csv") if r["gallery"] == ""} == unmatched
    result = run_module("dal_tf.identities", [f"--saved_model={export}", f"--data_dir={footage}/tracklets",
                                              f"--out={footage}/with_calibration"])
    assert result.returncode == 0, result.stderr[-2000:]
    # identities takes the people threshold, not match's
    assert json.load(open(footage / "with_calibration" / "summary.json"))["threshold"] == dict(
        value=people["value"], source="calibrated", positives=0, negatives=0, negative_pairs="")


def test_score_identities_rows(footage):
    result = run_module("dal_tf.score_identities", [
        f"--saved_model={footage}/export", f"--untrained={footage}/export", f"--train_dir={footage}/run",
        f"--data_dir={footage}/tracklets", *(f"--ground_truth={c}={footage}/videos/{c}.gt.txt" for c in CAMERAS),
        f"--csv={footage}/scores.csv"])
    assert result.returncode == 0, result.stderr[-2000:]
    rows = read_csv(footage / "scores.csv")
    # the estimate abstains on this footage (above), and the rows say so, unscored
    assert [r["people from"] for r in rows] == ["estimated threshold: abstains",
                                                "estimated threshold, no time constraints: abstains",
                                                "best threshold"] * 2 + ["the run's merges (merges.csv)"]
    assert all(r["pairwise F1"] == "" for r in rows if r["people from"].endswith("abstains"))
    merges = read_csv(footage / "run" / "merges.csv")
    parent = {}

    def root_of(x):
        while parent.setdefault(x, x) != x:
            x = parent[x]
        return x

    for r in merges:
        parent[root_of(r["tracklet"])] = root_of(r["partner"])
    names = {f"{r['camera']}/{int(r['track']):04d}" for r in read_csv(footage / "tracklets" / "tracks.csv")}
    assert int(rows[-1]["people found"]) == len({root_of(n) for n in names})
    assert all(0 <= float(r["IDF1"]) <= 1 for r in rows if r["IDF1"])


def test_bad_input_one_line_and_no_output(footage, tmp_path):
    def refused(args, expected, module="dal_tf.identities"):
        out = tmp_path / "out"
        result = run_module(module, [*args, f"--out={out}"] if module == "dal_tf.identities" else args)
        assert expected in only_error_line(result, module)
        assert not out.exists()

    data, export = footage / "tracklets", footage / "export"
    base = [f"--saved_model={export}", f"--data_dir={data}"]
    refused([f"--saved_model={data}", f"--data_dir={data}"], "is not a dal_tf export")
    one = tmp_path / "one"
    shutil.copytree(data / "cam1", one / "cam1")
    refused([f"--saved_model={export}", f"--data_dir={one}"], "holds 1 camera folder(s)")
    broken = tmp_path / "broken"
    shutil.copytree(data, broken)
    shutil.rmtree(broken / "cam2" / sorted(os.listdir(broken / "cam2"))[0])
    refused([f"--saved_model={export}", f"--data_dir={broken}"], "is not in --data_dir")
    refused([*base, "--threshold=near"], "--threshold='near' must be a distance")
    refused([*base, "--videos=cam9"], "--videos=cam9: no camera 'cam9'")
    refused([*base, f"--videos=cam1={tmp_path}/missing.avi"], "is not there")
    refused([*base, "--max_distance=x"], "--max_distance='x' must be a distance", module="dal_tf.match")


def test_features_of_every_box_in_deepsorts_layout(footage):
    out = footage / "features"
    result = run_module("data_prep.features", [
        f"--export={footage}/export", f"--video=cam1={footage}/videos/cam1.avi", f"--tracks=cam1={footage}/videos/cam1.gt.txt",
        f"--out={out}"])
    assert result.returncode == 0, result.stderr[-2000:]
    lines = [[float(v) for v in line.split(",")] for line in open(footage / "videos" / "cam1.gt.txt") if line.strip()]
    rows = np.load(out / "cam1.npy")
    assert rows.shape[0] == len(lines) and rows.dtype == np.float32
    np.testing.assert_allclose(rows[:, :6], [line[:6] for line in lines])
    np.testing.assert_allclose(np.linalg.norm(rows[:, 10:], axis=1), 1.0, rtol=1e-5)  # l2-normalised features
    np.testing.assert_array_equal(np.load(out / "cam1.features.npy"), rows[:, 10:])
    assert len((out / "cam1.txt").read_text().splitlines()) == len(lines)
