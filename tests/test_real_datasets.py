"""PRID 2011, iLIDS-VID and MARS: preparation, splits, loaders and errors, on fake copies with the
real layouts, names and frame counts (tests/real_layouts.py)."""

import json
import os

import numpy as np
import pytest
import real_layouts as layouts
import tensorflow as tf
from conftest import only_error_line, run_module, tiny_train_flags

from dal_tf.config import DataConfig, PrepareConfig
from dal_tf.datasets import input_pipeline, mars, registry
from dal_tf.datasets.preparation import prepare
from dal_tf.datasets.prepared import FRAMES, MANIFEST, TRACKLETS
from dal_tf.utils.errors import UserInputError

needs_release = pytest.mark.skipif(not os.path.isdir(layouts.RELEASE), reason="needs ../shared/reference")
PREPARED_FILES = (MANIFEST, TRACKLETS, FRAMES)


def quiet(_line):
    pass


def prepared_bytes(out):
    return {name: open(os.path.join(out, name), "rb").read() for name in PREPARED_FILES}


def load(dataset, data_dir, split=1):
    return registry.load(DataConfig(dataset=dataset, data_dir=str(data_dir), split=split))


@pytest.fixture(scope="module")
def real_prid(tmp_path_factory):
    return layouts.make_prid(str(tmp_path_factory.mktemp("prid_src")))


@pytest.mark.slow
@needs_release
def test_prid_protocol_people_and_seeded_splits(real_prid, tmp_path):
    manifest = prepare(PrepareConfig("prid", real_prid, str(tmp_path / "a"), seed=3), log=quiet)
    counts = manifest["counts"]
    on_disk = [len(os.listdir(os.path.join(real_prid, "prid_2011", "multi_shot", c))) for c in ("cam_a", "cam_b")]
    assert [counts["people_cam_a"], counts["people_cam_b"]] == on_disk
    # The protocol's people are the release's: those its split lists name.
    released = {person for _, person in layouts.released_tracklets(layouts.PRID_SPLITS)}
    assert len(manifest["splits"]) == 10 and counts["people"] == len(released)
    for split in manifest["splits"]:
        assert set(split["train"]) | set(split["test"]) == released and not set(split["train"]) & set(split["test"])
        assert len(split["train"]) == len(split["test"]) == len(released) // 2
    assert manifest["splits"][0]["test"] != manifest["splits"][1]["test"]
    # Idempotent: the same source and seed give the same bytes.
    first_bytes = prepared_bytes(tmp_path / "a")
    again = prepare(PrepareConfig("prid", real_prid, str(tmp_path / "a"), seed=3), log=quiet)
    assert again == manifest and prepared_bytes(tmp_path / "a") == first_bytes
    other = prepare(PrepareConfig("prid", real_prid, str(tmp_path / "b"), seed=3), log=quiet)
    assert prepared_bytes(tmp_path / "b") == prepared_bytes(tmp_path / "a") and other == manifest
    dataset = load("prid", tmp_path / "a", split=2)
    assert dataset.train.tracklets_per_camera == [89, 89] and len(dataset.query) == len(dataset.gallery) == 89
    assert {t.person_id for t in dataset.query.tracklets} == {t.person_id for t in dataset.gallery.tracklets}


@pytest.mark.slow
@needs_release
def test_prid_released_splits_reproduce_the_release_frame_counts(real_prid, tmp_path):
    prepare(PrepareConfig("prid", real_prid, str(tmp_path / "out"), splits=layouts.PRID_SPLITS), log=quiet)
    for split in range(1, 11):
        dataset = load("prid", tmp_path / "out", split)
        assert dataset.train.num_frames == layouts.frame_count(layouts.PRID_SPLITS, split, "train")
        assert dataset.query.num_frames + dataset.gallery.num_frames == layouts.frame_count(
            layouts.PRID_SPLITS, split, "test")
    first = load("prid", tmp_path / "out", 1)
    assert (first.train.num_frames, first.query.num_frames + first.gallery.num_frames) == (19455, 19011)


@pytest.mark.slow
@needs_release
def test_ilids_official_splits_reproduce_the_release_frame_counts(tmp_path):
    src = layouts.make_ilids(str(tmp_path / "src"))
    manifest = prepare(PrepareConfig("ilids", src, str(tmp_path / "out")), log=quiet)
    assert manifest["counts"]["people"] == 300 and manifest["split_source"].startswith("official")
    for split in range(1, 11):
        dataset = load("ilids", tmp_path / "out", split)
        assert len(dataset.query) == len(dataset.gallery) == 150
        assert dataset.train.num_frames == layouts.frame_count(layouts.ILIDS_SPLITS, split, "train")
        assert dataset.query.num_frames + dataset.gallery.num_frames == layouts.frame_count(
            layouts.ILIDS_SPLITS, split, "test")
    frames = load("ilids", tmp_path / "out").query.tracklets[0].frames
    assert os.path.basename(frames[0]).startswith("cam1_person") and frames == tuple(sorted(frames))


@needs_release
def test_mars_index_from_the_real_info_files_alone(tmp_path):
    train, test, queries = layouts.mars_info()
    layouts.write_mars(str(tmp_path), train, test, queries, write_frames=False)  # no image file at all
    _, entries = mars.finalize(mars.raw_index(str(tmp_path)))
    assert entries["counts"] == dict(
        train_people=625, train_tracklets=8298, train_tracklets_per_camera=[1816, 1957, 1321, 750, 1880, 574],
        train_frames=509914, test_tracklets=12180, queries=1980, test_frames=681089)


def small_prid(root):
    people = {n: (30, 28 + n) for n in range(1, 9)}  # eligible: more than 27 frames in both cameras
    people.update({9: (27, 40), 10: (40, 12), 300: (6, 0), 500: (0, 6)})
    return layouts.make_prid(root, people)


def test_prid_eligibility_and_bad_input(tmp_path):
    src = small_prid(str(tmp_path / "src"))
    manifest = prepare(PrepareConfig("prid", src, str(tmp_path / "out")), log=quiet)
    assert manifest["counts"]["people"] == 8 and manifest["splits"][0]["test"] == sorted(manifest["splits"][0]["test"])
    assert all(len(s["train"]) == len(s["test"]) == 4 for s in manifest["splits"])

    with pytest.raises(UserInputError, match="has no prid_2011/multi_shot; download PRID 2011 from"):
        prepare(PrepareConfig("prid", str(tmp_path), str(tmp_path / "x")), log=quiet)
    with pytest.raises(UserInputError, match="names 1 people not in the data set"):
        bad_splits = tmp_path / "splits.json"
        bad_splits.write_text(json.dumps([{"train": ["person_0001"], "test": ["person_0999"]}]))
        prepare(PrepareConfig("prid", src, str(tmp_path / "x"), splits=str(bad_splits)), log=quiet)
    empty = os.path.join(src, "prid_2011", "multi_shot", "cam_a", "person_0600")
    os.makedirs(empty)
    with pytest.raises(UserInputError, match="person_0600 has no frames"):
        prepare(PrepareConfig("prid", src, str(tmp_path / "x")), log=quiet)
    os.rmdir(empty)
    assert not (tmp_path / "x").exists()

    corrupt = os.path.join(src, "prid_2011", "multi_shot", "cam_b", "person_0003", "0007.png")
    with open(corrupt, "wb") as handle:
        handle.write(b"not a png")
    with pytest.raises(UserInputError, match=r"1 frames are missing or cannot be decoded: .*person_0003/0007\.png"):
        prepare(PrepareConfig("prid", src, str(tmp_path / "x")), log=quiet)
    assert not (tmp_path / "x").exists()
    skipped = prepare(PrepareConfig("prid", src, str(tmp_path / "skip"), skip_corrupt=True), log=quiet)
    assert skipped["skipped_corrupt"] == ["prid_2011/multi_shot/cam_b/person_0003/0007.png"]
    assert skipped["counts"]["frames"] == manifest["counts"]["frames"] - 1


def test_prepared_directories_are_checked(tmp_path):
    src = small_prid(str(tmp_path / "src"))
    prepare(PrepareConfig("prid", src, str(tmp_path / "prid")), log=quiet)
    with pytest.raises(UserInputError, match="holds 'prid', not --dataset=ilids"):
        load("ilids", tmp_path / "prid")
    with pytest.raises(UserInputError, match="needs --data_dir.*data_prep.prepare --dataset=mars"):
        load("mars", "")
    with pytest.raises(UserInputError, match="has no manifest.json; prepare it with python -m data_prep.prepare"):
        load("prid", tmp_path / "src")
    with pytest.raises(UserInputError, match="--split=11: prid has splits 1..10"):
        load("prid", tmp_path / "prid", split=11)
    with open(tmp_path / "prid" / FRAMES, "a") as handle:
        handle.write("extra.png\n")
    with pytest.raises(UserInputError, match="frames.txt does not match the checksum"):
        load("prid", tmp_path / "prid")
    prepare(PrepareConfig("prid", src, str(tmp_path / "prid")), log=quiet)  # rewrites it whole
    manifest = json.load(open(tmp_path / "prid" / MANIFEST))
    manifest["format_version"] = 0
    (tmp_path / "prid" / MANIFEST).write_text(json.dumps(manifest))
    with pytest.raises(UserInputError, match="was prepared in format 0, this dal_tf reads format 1"):
        load("prid", tmp_path / "prid")
    with pytest.raises(UserInputError, match="exists and is not a prepared data set"):
        prepare(PrepareConfig("prid", src, str(tmp_path / "src")), log=quiet)


def run_ok(module, args):
    result = run_module(module, args)
    assert result.returncode == 0, result.stderr[-2000:]
    return result


def end_to_end(tmp_path, dataset, src, evaluate_flags=(), prepare_flags=()):
    """docs/reproducing.md's commands: prepare, train a few steps, evaluate. With --format=tfrecord the
    source is moved away after preparing: training and evaluation must read the shards. Evaluating
    the run's checkpoint gives the scores training computed with the model in memory."""
    out, run_dir = str(tmp_path / "prepared"), str(tmp_path / "run")
    prepared = run_ok("data_prep.prepare", [f"--dataset={dataset}", f"--src={src}", f"--out={out}", *prepare_flags])
    if "--format=tfrecord" in prepare_flags:
        os.rename(src, src + ".moved")
    run_ok("dal_tf.train", tiny_train_flags(out, run_dir, dataset=dataset, max_steps=2))
    evaluated = run_ok("dal_tf.evaluate", [f"--train_dir={run_dir}", f"--results_json={tmp_path / 'r.json'}",
                                           *evaluate_flags])
    results = json.load(open(tmp_path / "r.json"))
    trained = json.load(open(os.path.join(run_dir, "results.json")))
    for name in ("rank1", "rank5", "mAP", "num_query", "num_gallery", "num_valid_queries"):
        assert results["splits"][0]["scores"][name] == pytest.approx(trained["scores"][name], abs=1e-6), name
    return prepared.stdout, results, evaluated.stdout


@pytest.mark.slow
def test_prid_end_to_end(tmp_path):
    printed, results, _ = end_to_end(tmp_path, "prid", small_prid(str(tmp_path / "src")))
    assert "people 8" in printed and "10 splits (seeded random halves (seed 0))" in printed
    (split,) = results["splits"]
    assert (results["dataset"], split["split"], split["step"]) == ("prid", 1, 2)
    assert split["scores"]["num_query"] == split["scores"]["num_gallery"] == 4
    # The same people prepared with other splits: evaluating the model there would test it on
    # people it trained on, so it is refused.
    other = str(tmp_path / "other")
    prepare(PrepareConfig("prid", str(tmp_path / "src"), other, seed=1), log=quiet)
    ours = json.load(open(tmp_path / "prepared" / MANIFEST))["splits"][0]
    theirs = json.load(open(os.path.join(other, MANIFEST)))["splits"][0]
    assert set(ours["train"]) & set(theirs["test"])
    refused = run_module("dal_tf.evaluate", [f"--train_dir={tmp_path / 'run'}", f"--data_dir={other}"])
    assert refused.returncode != 0 and "a model is never evaluated on its training people" in refused.stderr


@pytest.mark.slow
def test_ilids_end_to_end_from_tfrecords_both_probe_directions(tmp_path):
    people = {n: (24 + n, 30 - n) for n in range(1, 7)}
    rows = [[(i + k) % 6 + 1 for i in range(6)] for k in range(10)]  # first 3 test, last 3 train
    src = layouts.make_ilids(str(tmp_path / "src"), people, rows)
    printed, results, shown = end_to_end(tmp_path, "ilids", src, prepare_flags=["--format=tfrecord"])
    assert "people 6" in printed and "official iLIDS-VID splits" in printed and "1 TFRecord shards" in printed
    # The release's iLIDS-VID number: the mean of both probe directions, by default.
    assert results["probe_cam"] == "both" and "probe camera both" in shown
    scores = results["splits"][0]["scores"]
    assert scores["num_query"] == 6 and set(scores["directions"]) == {"1", "2"}
    for name in ("rank1", "mAP"):
        assert scores[name] == pytest.approx((scores["directions"]["1"][name] + scores["directions"]["2"][name]) / 2)
    trained = json.load(open(tmp_path / "run" / "results.json"))
    assert trained["probe_cam"] == "both" and trained["scores"]["rank1"] == pytest.approx(scores["rank1"])


@pytest.mark.slow
@needs_release
def test_mars_end_to_end(tmp_path):
    train, test, queries = layouts.mars_subset(max_frames=3, train_people=2, query_rows=4)
    src = layouts.write_mars(str(tmp_path / "src"), train, test, queries)
    printed, results, _ = end_to_end(tmp_path, "mars", src)
    assert f"train_tracklets {len(train)}" in printed and "queries 4" in printed
    (split,) = results["splits"]
    assert results["protocol"] == "mars" and split["scores"]["num_query"] == 4
    assert split["scores"]["num_gallery"] == len(test)
    # Every query counts (the official code scores a query without a good match as 0); here each
    # has its id in another camera among the gallery rows, read straight from the info table.
    query_rows = test[queries - 1]
    assert all(((test[:, 2] == pid) & (test[:, 3] != cam)).any() for _, _, pid, cam in query_rows)
    assert split["scores"]["num_valid_queries"] == len(query_rows)


def test_tfrecord_shards_serve_the_same_frames_without_the_files(tmp_path, monkeypatch):
    from dal_tf.datasets import tfrecords

    monkeypatch.setattr(tfrecords, "FRAMES_PER_SHARD", 100)  # several shards from a small set
    src = small_prid(str(tmp_path / "src"))
    prepare(PrepareConfig("prid", src, str(tmp_path / "files")), log=quiet)
    manifest = prepare(PrepareConfig("prid", src, str(tmp_path / "records"), format="tfrecord"), log=quiet)
    assert len(manifest["tfrecords"]) == -(-manifest["counts"]["frames"] // 100) > 1
    shards = {name: open(tmp_path / "records" / name, "rb").read() for name in manifest["tfrecords"]}
    prepare(PrepareConfig("prid", src, str(tmp_path / "records"), format="tfrecord"), log=quiet)
    assert shards == {name: open(tmp_path / "records" / name, "rb").read() for name in manifest["tfrecords"]}
    # The index is the same either way; only where the bytes come from differs.
    assert prepared_bytes(tmp_path / "files")[FRAMES] == prepared_bytes(tmp_path / "records")[FRAMES]

    from_files, from_records = load("prid", tmp_path / "files"), load("prid", tmp_path / "records")
    assert from_records.train == from_files.train

    def batches(dataset):
        return list(input_pipeline.training_dataset(dataset.train, 8, 32, 16, seed=1,
                                                    read=dataset.read_frame).take(3))

    expected = batches(from_files)
    os.rename(src, str(tmp_path / "moved"))  # as on a machine that only has the prepared directory
    with pytest.raises(tf.errors.NotFoundError):
        batches(from_files)
    for got, want in zip(batches(from_records), expected):
        for got_part, want_part in zip(got, want):  # images, cameras, indices
            np.testing.assert_array_equal(got_part.numpy(), want_part.numpy())


@pytest.mark.slow
def test_prepare_command_errors_are_one_line(tmp_path):
    result = run_module("data_prep.prepare", ["--dataset=ilids", f"--src={tmp_path}", f"--out={tmp_path / 'out'}"])
    assert "has no i-LIDS-VID/sequences; download" in only_error_line(result, "data_prep.prepare")
    assert not (tmp_path / "out").exists()
