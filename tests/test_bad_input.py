"""Every entry point, given each kind of bad input: exactly one line on stderr naming the flag or
file, a non-zero exit, and nothing left behind where its output would have gone."""

import json
import os
import shutil

import pytest

import real_layouts as layouts
from conftest import only_error_line, run_module, tiny_train_flags
from dal_tf.config import PrepareConfig
from dal_tf.datasets.preparation import prepare

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def prepared_prid(tmp_path_factory):
    """A small PRID 2011 prepared twice: as is, and with a training frame deleted afterwards; and
    with splits whose test half is empty."""
    root = tmp_path_factory.mktemp("bad_input")
    src = layouts.make_prid(str(root / "src"), {n: (30, 30) for n in range(1, 7)})
    prepare(PrepareConfig("prid", src, str(root / "prid")), log=lambda _: None)
    moved_src = layouts.make_prid(str(root / "moved_src"), {n: (30, 30) for n in range(1, 7)})
    prepare(PrepareConfig("prid", moved_src, str(root / "moved")), log=lambda _: None)
    os.remove(os.path.join(moved_src, "prid_2011", "multi_shot", "cam_a", "person_0001", "0003.png"))
    for camera in ("cam1", "cam2"):
        shutil.copytree(os.path.join(src, "prid_2011", "multi_shot", "cam_a"), root / "folders" / camera)
    shutil.copytree(root / "folders" / "cam1", root / "one_camera" / "cam1")
    people = [f"person_{n:04d}" for n in range(1, 7)]
    (root / "empty_test.json").write_text(json.dumps([{"train": people, "test": []}]))
    prepare(PrepareConfig("prid", src, str(root / "empty_test"), splits=str(root / "empty_test.json")),
            log=lambda _: None)
    return root


@pytest.fixture(scope="module")
def a_run(tiny_synthetic_root, tmp_path_factory):
    run_dir = str(tmp_path_factory.mktemp("run") / "run")
    trained = run_module("dal_tf.train", tiny_train_flags(tiny_synthetic_root, run_dir, max_steps=0))
    assert trained.returncode == 0, trained.stderr[-2000:]
    return run_dir


def assert_one_line_error(module, args, expected, must_not_exist):
    line = only_error_line(run_module(module, args), module)
    assert expected in line, line
    for path in must_not_exist:
        assert not os.path.exists(path), path


def train_cases(root, tiny):
    out = str(root / "out")

    def flags(**changes):
        return tiny_train_flags(tiny, out, **changes)

    return [
        (flags(dataset="nope"), "--dataset='nope' is unknown"),
        (flags(backbone="vgg"), "flag --backbone=vgg: value should be one of <mobilenet|resnet50>"),
        (flags(weights="/no/such/file.h5"), "--weights=/no/such/file.h5: no such checkpoint or weights file"),
        (flags(margin=-0.1), "--margin=-0.1 must be >= 0"),
        (flags(association="nearest"), "flag --association=nearest: value should be one of <released|"),
        (flags(association_visits=0), "--association_visits=0 must be >= 1"),
        (flags(association_ratio=1.5), "--association_ratio=1.5 must be in (0, 1]"),
        (flags(batch_size=100000), "--batch_size=100000 is more than the"),
        (flags(eval_batch_size=0), "--eval_batch_size=0 must be >= 1"),
        (flags(weights="imagenet", alpha=0.3), "--alpha=0.3: the release's ImageNet checkpoint is MobileNet v1 1.0"),
        (flags(max_steps="many"), "flag --max_steps=many"),
        (tiny_train_flags(str(root / "moved"), out, dataset="prid"), "of its frames are no longer in"),
        (tiny_train_flags(str(root / "empty_test"), out, dataset="prid"), "--split=1 of prid has no test people"),
        (flags(min_frames=2), "--min_frames applies to --dataset=folders only"),
        (tiny_train_flags(str(root / "one_camera"), out, dataset="folders"), "holds 1 camera folder(s) ['cam1']"),
        (tiny_train_flags(str(root / "folders"), out, dataset="folders", test_fraction=0.5), "need identities.csv"),
    ], [out]


def test_train(prepared_prid, tiny_synthetic_root):
    cases, outputs = train_cases(prepared_prid, tiny_synthetic_root)
    for args, expected in cases:
        assert_one_line_error("dal_tf.train", args, expected, outputs)


def test_evaluate(a_run, tmp_path):
    out = str(tmp_path / "r.json")
    for args, expected in [
        ([f"--train_dir={a_run}", f"--checkpoint={a_run}/checkpoints/ckpt-99"], "ckpt-99: no such checkpoint"),
        ([f"--train_dir={a_run}", "--eval_batch_size=0"], "--eval_batch_size=0 must be >= 1"),
        ([f"--train_dir={a_run}", "--pooling=median"], "flag --pooling=median: value should be one of <max|mean>"),
        ([f"--train_dir={a_run}", f"--saved_model={a_run}"], "give exactly one of --train_dir and --saved_model"),
        ([f"--train_dir={a_run}", "--splits=one"], "--splits=one is not a list of distinct splits"),
        ([f"--train_dir={tmp_path / 'none'}"], "has no checkpoint"),
        ([f"--train_dir={a_run}", "--rerank", "--rerank_k2=30"], "--rerank_k2=30 must be in [1, --rerank_k1 + 1 = 21]"),
        ([f"--train_dir={a_run}", "--rerank", "--rerank_k1=40"], "--rerank_k1=40 needs more than 40 query and gallery"),
    ]:
        assert_one_line_error("dal_tf.evaluate", [*args, f"--results_json={out}"], expected, [out])


def test_export(a_run, tmp_path):
    out = str(tmp_path / "export")
    assert_one_line_error("dal_tf.export", [f"--train_dir={tmp_path}", f"--out={out}"], "has no checkpoint", [out])
    assert_one_line_error("dal_tf.export", [f"--train_dir={a_run}"], "--out must have a value", [out])


def test_match(tiny_synthetic_root, tmp_path):
    csv, cams = str(tmp_path / "m.csv"), os.path.join(tiny_synthetic_root, "prid_2011", "multi_shot")
    sheet = str(tmp_path / "s.png")
    common = [f"--saved_model={tmp_path}", f"--csv={csv}", f"--sheet={sheet}"]
    pair = [f"--query={cams}/cam_a", f"--gallery={cams}/cam_b"]
    for args, expected in [
        ([*pair, "--batch_size=0"], "--batch_size=0 must be >= 1"),
        ([*pair, "--top_k=0"], "--top_k=0 must be >= 1"),
        ([*pair, "--rerank_lambda=2"], "--rerank_lambda=2.0 must be in [0, 1]"),
        ([f"--query={tmp_path / 'nowhere'}", f"--gallery={cams}/cam_b"], "--query="),
        ([*pair], "is not a dal_tf export"),
        ([*pair, f"--data_dir={cams}"], "give --query and --gallery, or --data_dir"),
        ([f"--data_dir={cams}/cam_a"], "person_0001 is an empty camera"),
    ]:
        assert_one_line_error("dal_tf.match", [*common, *args], expected, [csv, sheet])


def test_tracklets(tiny_synthetic_root, tmp_path):
    out = str(tmp_path / "out")
    frames = os.path.join(tiny_synthetic_root, "prid_2011", "multi_shot", "cam_a", "person_0001")
    (tmp_path / "bad.txt").write_text("1,1,0,0,10,20\n2,1,0,0,10\n")
    (tmp_path / "fake.avi").write_text("not a video")
    for args, expected in [
        ([f"--video=a={tmp_path / 'none.avi'}"], f"--video=a={tmp_path / 'none.avi'}: no such video file"),
        ([f"--video=a={tmp_path / 'fake.avi'}"], "OpenCV cannot read"),
        ([f"--video=a={frames}", f"--tracks=a={tmp_path / 'bad.txt'}"], "bad.txt:2: expected at least 6 values"),
        ([f"--video=a={frames}", f"--video=b={frames}", f"--tracks=a={tmp_path / 'bad.txt'}"],
         "give --tracks for every camera, or for none"),
        ([f"--video=a={frames}", "--region=a=0,0,500,10"], "does not fit its 32x64 frames"),
        ([f"--video=a={frames}", "--region=a=0,0"], "--region=a=0,0: expected X,Y,W,H"),
        ([f"--video={frames}"], "expected CAMERA=VALUE"),
        ([f"--video=a={frames}", "--frame_stride=0"], "--min_length and --frame_stride must be >= 1"),
    ]:
        assert_one_line_error("data_prep.tracklets", [*args, f"--out={out}"], expected, [out])


def test_synthetic_videos(tmp_path):
    out = str(tmp_path / "out")
    assert_one_line_error("data_prep.synthetic_videos", [f"--out={out}", "--cameras=4"], "--cameras=4 must be 2 or 3",
                          [out])


def test_prepare(tmp_path):
    out = str(tmp_path / "out")
    for args, expected in [
        ([f"--src={tmp_path}"], "has no prid_2011/multi_shot"),
        ([f"--src={tmp_path}", "--format=zip"], "flag --format=zip: value should be one of <files|tfrecord>"),
        (["--src="], "--src and --out are required"),
        ([f"--src={tmp_path}", "--dataset=folders"], "holds 0 camera folder(s)"),
        ([f"--src={tmp_path}", "--dataset=folders", "--splits=x.json"], "--splits does not apply to folders"),
    ]:
        assert_one_line_error("data_prep.prepare", ["--dataset=prid", f"--out={out}", *args], expected, [out])


def test_reproduce(tmp_path):
    runs = str(tmp_path / "runs")
    common = ["--table=1", "--dataset=prid", "--allow_other_splits", "--dry_run", f"--runs_dir={runs}"]
    for args, expected in [
        (["--splits=1,two"], "--splits=1,two: expected whole numbers >= 1"),
        (["--seeds=-1"], "--seeds=-1: expected whole numbers >= 0"),
        (["--backbones=vgg"], "vgg is not mobilenet or resnet50"),
    ]:
        assert_one_line_error("experiments.reproduce", [*common, *args], expected, [runs])
