"""Streaming tracklet features, the evaluate and match entry points."""

import csv
import json
import os
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest
import tensorflow as tf
from conftest import MOBILENET_WEIGHTS, run_module, tiny_train_flags

from dal_tf.datasets import input_pipeline
from dal_tf.datasets.base import ReidDataset, Tracklet, TrackletSet
from dal_tf.datasets.synthetic import SyntheticSpec, generate
from dal_tf.evaluation import features, scoring
from dal_tf.evaluation.split_evaluation import parse_splits
from dal_tf.utils.errors import UserInputError

needs_weights = pytest.mark.skipif(not os.path.exists(MOBILENET_WEIGHTS), reason="needs ../shared/weights")


class ProjectionEmbedder:
    """A fixed random projection of the pixels; records the size of every batch it embeds."""

    def __init__(self, height, width, dim=6):
        self.height, self.width = height, width
        self.projection = np.random.default_rng(0).normal(size=(height * width * 3, dim)).astype(np.float32)
        self.batch_sizes = []

    def embed(self, images):
        self.batch_sizes.append(int(images.shape[0]))
        return tf.reshape(tf.cast(images, tf.float32), [images.shape[0], -1]) @ self.projection

    def frame_embedder(self):
        return features.FrameEmbedder(
            self.embed,
            lambda paths, batch, read: input_pipeline.uint8_frames_dataset(paths, batch, self.height, self.width, read),
            step=0)

    def reference(self, tracklets):
        """Every frame at once: l2-normalise, max over the tracklet, l2-normalise."""
        pooled = []
        for t in tracklets:
            frames = np.stack([cv2.cvtColor(cv2.imread(p), cv2.COLOR_BGR2RGB) for p in t.frames]).astype(np.float32)
            unit = features.l2_normalize_rows(frames.reshape(len(frames), -1) @ self.projection)
            pooled.append(unit.max(axis=0))
        return features.l2_normalize_rows(np.stack(pooled))


def write_tracklet(folder, num_frames, seed):
    os.makedirs(folder)
    rng = np.random.default_rng(seed)
    paths = []
    for i in range(num_frames):
        paths.append(os.path.join(folder, f"{i:05d}.png"))
        cv2.imwrite(paths[-1], rng.integers(0, 256, size=(16, 8, 3), dtype=np.uint8))
    return tuple(paths)


def test_a_2000_frame_tracklet_streams_in_fixed_batches(tmp_path):
    lengths = [3, 2000, 7]
    tracklets = TrackletSet(tuple(
        Tracklet(write_tracklet(str(tmp_path / f"t{i}"), n, seed=i), camera=0, index=i)
        for i, n in enumerate(lengths)), num_cameras=1)
    projection = ProjectionEmbedder(16, 8)
    pooled = features.tracklet_features(projection.frame_embedder(), tracklets, batch_size=64)
    # Memory is bounded by the batch: the network never sees more than 64 frames at once.
    assert max(projection.batch_sizes) == 64 and sum(projection.batch_sizes) == sum(lengths)
    np.testing.assert_allclose(pooled, projection.reference(tracklets.tracklets), atol=1e-5)


def test_queries_that_are_gallery_entries_are_embedded_once(tmp_path):
    frames = [write_tracklet(str(tmp_path / f"t{i}"), 2 + i, seed=10 + i) for i in range(4)]
    # Like MARS: every query is also in the gallery, numbered differently there.
    gallery = TrackletSet(tuple(Tracklet(f, camera=i % 2, index=i // 2, person_id=i // 2)
                                for i, f in enumerate(frames)), num_cameras=2)
    query = TrackletSet((Tracklet(frames[3], camera=1, index=0, person_id=1),), num_cameras=2)
    dataset = ReidDataset("toy", train=gallery, query=query, gallery=gallery, protocol="mars")
    projection = ProjectionEmbedder(16, 8)
    query_features, gallery_features = scoring.query_and_gallery_features(
        projection.frame_embedder(), dataset, batch_size=4, pooling="max")
    assert sum(projection.batch_sizes) == sum(len(f) for f in frames)
    np.testing.assert_allclose(gallery_features, projection.reference(gallery.tracklets), atol=1e-5)
    np.testing.assert_array_equal(query_features, gallery_features[[3]])


def test_parse_splits():
    assert parse_splits("1-10") == tuple(range(1, 11))
    assert parse_splits("2,5,7") == (2, 5, 7)
    assert parse_splits("1-2,4") == (1, 2, 4)
    assert parse_splits("") == ()
    for bad in ("0", "3-1", "a", "1,1", "1-2,2"):
        with pytest.raises(UserInputError, match="--splits="):
            parse_splits(bad)


def last_error_line(result: subprocess.CompletedProcess, module: str) -> str:
    assert result.returncode != 0
    line = result.stderr.strip().splitlines()[-1]
    assert line.startswith(f"{module}: error: "), result.stderr[-1500:]
    return line


@pytest.fixture(scope="module")
def imagenet_runs(tmp_path_factory):
    """Untrained ImageNet MobileNet runs (--max_steps=0) on splits 1 and 2 of a set with 12 test
    people, so that scores differ between splits; and an export of the split-1 run."""
    root = tmp_path_factory.mktemp("evaluate")
    data = generate(str(root / "data"), SyntheticSpec(4, 12, 1, 2, min_frames=3, max_frames=5, height=64, width=32))
    results = {}
    for split in (1, 2):
        run_dir = str(root / f"run{split}")
        flags = tiny_train_flags(data, run_dir, weights=MOBILENET_WEIGHTS, alpha=1.0, max_steps=0, split=split)
        trained = run_module("dal_tf.train", flags)
        assert trained.returncode == 0, trained.stderr[-2000:]
        results[split] = json.load(open(os.path.join(run_dir, "results.json")))
    exported = run_module("dal_tf.export", [f"--train_dir={root / 'run1'}", f"--out={root / 'export1'}"])
    assert exported.returncode == 0, exported.stderr[-2000:]
    return root, data, results


@pytest.mark.slow
@needs_weights
def test_evaluate_reproduces_training_evaluation_per_split(imagenet_runs):
    root, _, trained = imagenet_runs
    out = root / "splits.json"
    result = run_module("dal_tf.evaluate", [f"--train_dir={root}/run{{split}}", "--splits=1-2",
                                            f"--results_json={out}"])
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.load(open(out))
    assert (summary["dataset"], summary["protocol"], summary["pooling"]) == ("synthetic", "single_shot", "max")
    assert [(s["split"], s["step"]) for s in summary["splits"]] == [(1, 0), (2, 0)]
    per_split = [trained[s]["scores"] for s in (1, 2)]
    assert per_split[0] != per_split[1]
    for evaluated, expected in zip(summary["splits"], per_split):
        for name in scoring.SCORE_NAMES:
            assert evaluated["scores"][name] == pytest.approx(expected[name], abs=1e-9)
    for name in scoring.SCORE_NAMES:
        values = [scores[name] for scores in per_split]
        assert summary["mean"][name] == pytest.approx(np.mean(values), abs=1e-9)
        assert summary["std"][name] == pytest.approx(np.std(values, ddof=1), abs=1e-9)


@pytest.mark.slow
@needs_weights
def test_evaluate_saved_model_matches_the_run(imagenet_runs):
    root, data, trained = imagenet_runs
    out = root / "saved.json"
    result = run_module("dal_tf.evaluate", [f"--saved_model={root}/export1", f"--data_dir={data}",
                                            f"--results_json={out}"])
    assert result.returncode == 0, result.stderr[-2000:]
    (evaluated,) = json.load(open(out))["splits"]
    assert evaluated["split"] == 1
    for name in scoring.SCORE_NAMES:
        assert evaluated["scores"][name] == pytest.approx(trained[1]["scores"][name], abs=1e-9)


@pytest.mark.slow
@needs_weights
def test_evaluate_never_tests_a_model_on_its_training_people(imagenet_runs):
    from dal_tf.config import DataConfig
    from dal_tf.datasets import registry

    root, data, _ = imagenet_runs
    out = root / "leak.json"
    # Another split of the same data: some of its test people were split 1's training people.
    split1, split2 = (registry.load(DataConfig(data_dir=data, split=s)) for s in (1, 2))
    leaked = {t.person_id for t in split1.train.tracklets} & {t.person_id for t in split2.query.tracklets}
    assert leaked
    other = run_module("dal_tf.evaluate", [f"--train_dir={root}/run1", "--splits=2", f"--results_json={out}"])
    assert (f"was trained on {len(leaked)} of the test people of synthetic split 2"
            in last_error_line(other, "dal_tf.evaluate"))
    exported = run_module("dal_tf.evaluate", [f"--saved_model={root}/export1", f"--data_dir={data}", "--splits=2"])
    assert f"was trained on {len(leaked)} of the test people" in last_error_line(exported, "dal_tf.evaluate")
    # One model's checkpoint with another split's run: refused, because the checkpoint is not the run's.
    mixed = run_module("dal_tf.evaluate", [f"--train_dir={root}/run{{split}}", "--splits=1-2",
                                           f"--checkpoint={root}/run1/checkpoints/ckpt-0", f"--results_json={out}"])
    assert "is not a checkpoint of --train_dir=" in last_error_line(mixed, "dal_tf.evaluate") and "run2" in mixed.stderr
    assert not out.exists()
    own = run_module("dal_tf.evaluate", [f"--train_dir={root}/run{{split}}", "--splits=1-2",
                                         f"--checkpoint={root}/run{{split}}/checkpoints/ckpt-0"])
    assert own.returncode == 0, own.stderr[-2000:]
    both = run_module("dal_tf.evaluate", [f"--train_dir={root}/run1", f"--saved_model={root}/export1"])
    assert "exactly one of --train_dir and --saved_model" in last_error_line(both, "dal_tf.evaluate")


@pytest.fixture(scope="module")
def trained_run(tmp_path_factory):
    """A run trained 3 steps with --pooling=mean: its EMA weights differ from its last weights."""
    root = tmp_path_factory.mktemp("trained")
    data = generate(str(root / "data"), SyntheticSpec(4, 12, 1, 2, min_frames=3, max_frames=5, height=64, width=32))
    run_dir = str(root / "run")
    trained = run_module("dal_tf.train", tiny_train_flags(data, run_dir, max_steps=3, pooling="mean"))
    assert trained.returncode == 0, trained.stderr[-2000:]
    return run_dir, data


@pytest.mark.slow
def test_evaluate_embeds_with_the_ema_weights_of_the_checkpoint(trained_run):
    """The EMA shadows read straight from the checkpoint file, put into a fresh network: the
    features evaluate computes; the last training weights give other features."""
    from dal_tf.config import DataConfig, EvalRequest
    from dal_tf.datasets import registry
    from dal_tf.evaluation.split_evaluation import open_model
    from dal_tf.networks import backbones
    from dal_tf.runs import checkpoints

    run_dir, data = trained_run
    gallery = registry.load(DataConfig(dataset="synthetic", data_dir=data)).gallery
    with open_model(EvalRequest(train_dir=run_dir), run_dir, None) as (embedder, trained):
        evaluated = features.tracklet_features(embedder, gallery, pooling=trained.pooling)
    path = checkpoints.latest_checkpoint(run_dir)
    network, config = checkpoints.restore_for_inference(run_dir)  # last weights and moving statistics
    m = config.model
    fresh = backbones.build_backbone(m.backbone, "none", m.image_height, m.image_width, m.alpha,
                                     batchnorm_decay=m.batchnorm_decay)
    fresh.set_weights(network.backbone.get_weights())
    last = features.tracklet_features(features.model_embedder(fresh, m, 3), gallery, pooling="mean")
    reader = tf.train.load_checkpoint(path)
    for i, variable in enumerate(fresh.trainable_variables):
        variable.assign(reader.get_tensor(f"ema/shadows/{i}/.ATTRIBUTES/VARIABLE_VALUE"))
    ema = features.tracklet_features(features.model_embedder(fresh, m, 3), gallery, pooling="mean")
    np.testing.assert_allclose(evaluated, ema, atol=1e-5)
    assert np.abs(last - ema).max() > 1e-3


@pytest.mark.slow
def test_evaluate_pools_as_the_run_did(trained_run, tmp_path):
    run_dir, _ = trained_run
    out = tmp_path / "r.json"
    # The run evaluated in batches of 16 frames: the same batches give the same float sums.
    result = run_module("dal_tf.evaluate", [f"--train_dir={run_dir}", f"--results_json={out}", "--eval_batch_size=16"])
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.load(open(out))
    trained = json.load(open(os.path.join(run_dir, "results.json")))
    assert summary["pooling"] == trained["pooling"] == "mean"
    for name in scoring.SCORE_NAMES:
        assert summary["splits"][0]["scores"][name] == pytest.approx(trained["scores"][name], abs=1e-9)


@pytest.mark.slow
def test_evaluate_rerank_ranks_by_the_re_ranked_distances(trained_run, tmp_path):
    """--rerank: the scores are those of the run's features ranked by k_reciprocal_distances."""
    from dal_tf.config import DataConfig, EvalRequest
    from dal_tf.datasets import registry
    from dal_tf.evaluation import metrics, reranking
    from dal_tf.evaluation.split_evaluation import open_model

    run_dir, data = trained_run
    out = tmp_path / "r.json"
    # The same batches as below, so the same float sums: this tiny network's features are nearly equal.
    result = run_module("dal_tf.evaluate", [f"--train_dir={run_dir}", f"--results_json={out}", "--rerank",
                                            "--rerank_k1=5", "--rerank_k2=3", "--rerank_lambda=0.2",
                                            "--eval_batch_size=16"])
    assert result.returncode == 0, result.stderr[-2000:]
    assert "k-reciprocal re-ranking (k1 5, k2 3, lambda 0.2)" in result.stdout
    summary = json.load(open(out))
    assert summary["rerank"] == dict(rerank=True, rerank_k1=5, rerank_k2=3, rerank_lambda=0.2)

    dataset = registry.load(DataConfig(dataset="synthetic", data_dir=data))
    with open_model(EvalRequest(train_dir=run_dir), run_dir, None) as (embedder, trained):
        query, gallery = scoring.query_and_gallery_features(embedder, dataset, batch_size=16, pooling=trained.pooling)
    distances = {"plain": metrics.euclidean_distances(query, gallery),
                 "reranked": reranking.k_reciprocal_distances(query, gallery, 5, 3, 0.2)}
    expected = {name: metrics.evaluate_rank(d, dataset.query.person_ids(), dataset.gallery.person_ids(),
                                            dataset.query.cameras(), dataset.gallery.cameras(),
                                            protocol="single_shot") for name, d in distances.items()}
    assert summary["splits"][0]["scores"]["mAP"] == pytest.approx(100 * expected["reranked"].mAP, abs=1e-6)
    assert summary["splits"][0]["scores"]["rank1"] == pytest.approx(100 * expected["reranked"].cmc[0], abs=1e-6)
    assert expected["reranked"].mAP != pytest.approx(expected["plain"].mAP, abs=1e-6)


# The export's own pooled signature, in a process without dal_tf: an independent reference.
EMBED_TRACKLETS = """
import glob, os, sys
import numpy as np
import tensorflow as tf
export, out, *folders = sys.argv[1:]
embed = tf.saved_model.load(export).signatures["embed_tracklet"]
rows = [embed(images=tf.stack([tf.io.decode_png(tf.io.read_file(p), 3) for p in sorted(glob.glob(folder + "/*.png"))]))
        ["embedding"].numpy() for folder in folders]
np.save(out, np.stack(rows))
"""


@pytest.mark.slow
@needs_weights
def test_match_ranks_gallery_tracklets_like_the_export(imagenet_runs, tmp_path):
    root, data, _ = imagenet_runs
    cam_a, cam_b = (os.path.join(data, "prid_2011", "multi_shot", cam) for cam in ("cam_a", "cam_b"))
    for person in ("person_0001", "person_0002", "person_0003"):
        shutil.copytree(os.path.join(cam_a, person), tmp_path / "query" / person)
    for person in sorted(os.listdir(cam_b))[:5]:
        shutil.copytree(os.path.join(cam_b, person), tmp_path / "gallery" / person)
    shutil.copytree(os.path.join(cam_a, "person_0002"), tmp_path / "gallery" / "copy_of_0002")
    gallery_names = sorted(os.listdir(tmp_path / "gallery"))

    result = run_module("dal_tf.match", [f"--saved_model={root}/export1", f"--query={tmp_path / 'query'}",
                                         f"--gallery={tmp_path / 'gallery'}", "--top_k=4",
                                         f"--csv={tmp_path / 'matches.csv'}"])
    assert result.returncode == 0, result.stderr[-2000:]
    rows = list(csv.DictReader(open(tmp_path / "matches.csv")))
    assert len(rows) == 3 * 4

    folders = [str(tmp_path / "query" / q) for q in ("person_0001", "person_0002", "person_0003")]
    folders += [str(tmp_path / "gallery" / g) for g in gallery_names]
    reference = subprocess.run([sys.executable, "-c", EMBED_TRACKLETS, f"{root}/export1", str(tmp_path / "ref.npy"),
                                *folders], capture_output=True, text=True, env=dict(os.environ, TF_CPP_MIN_LOG_LEVEL="2"))
    assert reference.returncode == 0, reference.stderr[-2000:]
    embeddings = np.load(tmp_path / "ref.npy")
    distances = np.linalg.norm(embeddings[:3, None] - embeddings[None, 3:], axis=2)
    for q, query in enumerate(("person_0001", "person_0002", "person_0003")):
        ranked = [r for r in rows if r["query"] == query]
        assert [int(r["rank"]) for r in ranked] == [1, 2, 3, 4]
        expected = np.argsort(distances[q], kind="stable")[:4]
        assert [r["gallery"] for r in ranked] == [gallery_names[g] for g in expected]
        np.testing.assert_allclose([float(r["distance"]) for r in ranked], distances[q, expected], atol=1e-5)
    assert rows[4]["gallery"] == "copy_of_0002" and float(rows[4]["distance"]) < 1e-5
    assert "query person_0002:" in result.stdout and "copy_of_0002" in result.stdout

    # --rerank: the order and distances of k_reciprocal_distances on the same embeddings.
    reranked = run_module("dal_tf.match", [f"--saved_model={root}/export1", f"--query={tmp_path / 'query'}",
                                           f"--gallery={tmp_path / 'gallery'}", "--top_k=4", "--rerank",
                                           "--rerank_k1=3", "--rerank_k2=2", f"--csv={tmp_path / 'reranked.csv'}"])
    assert reranked.returncode == 0, reranked.stderr[-2000:]
    rows = list(csv.DictReader(open(tmp_path / "reranked.csv")))
    from dal_tf.evaluation.reranking import k_reciprocal_distances

    distances = k_reciprocal_distances(embeddings[:3], embeddings[3:], 3, 2)
    for q, query in enumerate(("person_0001", "person_0002", "person_0003")):
        expected = np.argsort(distances[q], kind="stable")[:4]
        ranked = [r for r in rows if r["query"] == query]
        assert [r["gallery"] for r in ranked] == [gallery_names[g] for g in expected]
        np.testing.assert_allclose([float(r["distance"]) for r in ranked], distances[q, expected], atol=1e-5)

    missing = run_module("dal_tf.match", [f"--saved_model={root}/export1", f"--query={tmp_path / 'nowhere'}",
                                          f"--gallery={tmp_path / 'gallery'}"])
    assert "--query=" in last_error_line(missing, "dal_tf.match") and "is not a directory" in missing.stderr
    (tmp_path / "gallery" / "person_0001" / "0002.png").write_text("not an image")
    broken = run_module("dal_tf.match", [f"--saved_model={root}/export1", f"--query={tmp_path / 'query'}",
                                         f"--gallery={tmp_path / 'gallery'}", f"--csv={tmp_path / 'broken.csv'}"])
    assert "cannot read frame" in last_error_line(broken, "dal_tf.match") and "0002.png" in broken.stderr
    assert not (tmp_path / "broken.csv").exists()


def test_probe_cam_swaps_or_averages_the_directions(tmp_path):
    frames = [write_tracklet(str(tmp_path / f"t{i}"), 3, seed=20 + i) for i in range(8)]
    cam = [TrackletSet(tuple(Tracklet(frames[c * 4 + p], camera=c, index=p, person_id=p) for p in range(4)),
                       num_cameras=2) for c in (0, 1)]
    forward = ReidDataset("toy", train=cam[0], query=cam[0], gallery=cam[1])
    backward = ReidDataset("toy", train=cam[0], query=cam[1], gallery=cam[0])
    embedder = ProjectionEmbedder(16, 8).frame_embedder()

    def scores(dataset, probe_cam):
        return scoring.score_test_split(embedder, dataset, batch_size=4, probe_cam=probe_cam)

    one, two, both = (scores(forward, p) for p in ("1", "2", "both"))

    def numbers(result):
        return {name: result[name] for name in scoring.SCORE_NAMES + ("num_query", "num_valid_queries")}

    assert numbers(two) == numbers(scores(backward, "1")) and numbers(one) == numbers(scores(backward, "2"))
    assert one["mAP"] != two["mAP"]  # the toy set is not symmetric, so the test can tell them apart
    for name in scoring.SCORE_NAMES:
        assert both[name] == pytest.approx((one[name] + two[name]) / 2, abs=1e-12)
    assert both["directions"] == {"1": numbers(one) | {"num_gallery": 4}, "2": numbers(two) | {"num_gallery": 4}}
    assert both["num_valid_queries"] == one["num_valid_queries"] + two["num_valid_queries"] == 8


def test_two_direction_mean_is_the_default_where_the_release_reports_it(tmp_path):
    """Three people, one frame each, features at hand-picked angles. Camera 1: A 0°, B 90°, C 180°;
    camera 2: A 36.87°, B 30°, C 180°. Probing with camera 1, A and B each find the wrong person
    first: rank-1 1/3, mAP (1/2 + 1/2 + 1) / 3 = 2/3. Probing with camera 2, only B does: rank-1
    2/3, mAP (1 + 1/2 + 1) / 3 = 5/6. The release's iLIDS-VID number is their mean: 50 and 75."""
    angles = {("1", "A"): 0.0, ("1", "B"): 90.0, ("1", "C"): 180.0,
              ("2", "A"): np.degrees(np.arctan2(0.6, 0.8)), ("2", "B"): 30.0, ("2", "C"): 180.0}
    table = {f"{cam}/{person}.png": np.array([np.cos(np.radians(a)), np.sin(np.radians(a))], np.float32)
             for (cam, person), a in angles.items()}
    embedder = features.FrameEmbedder(
        lambda batch: np.stack([table[p.decode()] for p in batch.numpy()]),
        lambda paths, batch, read: tf.data.Dataset.from_tensor_slices(paths).batch(batch), step=0)
    cams = [TrackletSet(tuple(Tracklet((f"{c + 1}/{p}.png",), camera=c, index=i, person_id=i)
                              for i, p in enumerate("ABC")), num_cameras=2) for c in (0, 1)]
    ilids_like = ReidDataset("toy", train=cams[0], query=cams[0], gallery=cams[1], probe_cam="both")
    result = scoring.score_test_split(embedder, ilids_like, batch_size=4)
    assert result["probe_cam"] == "both" and result["num_query"] == 6
    assert result["rank1"] == pytest.approx(50.0) and result["mAP"] == pytest.approx(75.0)
    assert result["rank5"] == pytest.approx(100.0)
    assert result["directions"]["1"]["rank1"] == pytest.approx(100 / 3)
    assert result["directions"]["2"]["mAP"] == pytest.approx(500 / 6)
    prid_like = ReidDataset("toy", train=cams[0], query=cams[0], gallery=cams[1])
    assert scoring.score_test_split(embedder, prid_like, batch_size=4)["rank1"] == pytest.approx(100 / 3)
