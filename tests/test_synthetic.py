import hashlib
import json
import os
import re

import cv2
import numpy as np
import pytest

from dal_tf.config import DataConfig
from dal_tf.datasets import registry
from dal_tf.datasets.prid_layout import scan_prid_layout
from dal_tf.datasets.synthetic import SyntheticSpec, generate, load_synthetic
from dal_tf.datasets.synthetic.spec import CAM_B_ONLY_ID_OFFSET
from dal_tf.utils.errors import UserInputError

TINY = SyntheticSpec.tiny()
PRID_FRAME = re.compile(r"multi_shot/cam_[ab]/person_\d{4}/\d{4}\.png")


@pytest.fixture(scope="module")
def tiny_root(tmp_path_factory):
    return generate(str(tmp_path_factory.mktemp("synthetic")), TINY)


def _files(root):
    tree = os.path.join(root, "prid_2011")
    return sorted(
        os.path.relpath(os.path.join(d, f), tree).replace(os.sep, "/") for d, _, fs in os.walk(tree) for f in fs
    )


def _digest(root):
    digest = hashlib.sha256()
    for rel in _files(root):
        digest.update(rel.encode())
        with open(os.path.join(root, "prid_2011", rel), "rb") as f:
            digest.update(f.read())
    return digest.hexdigest()


def _mtimes(root):
    return {rel: os.stat(os.path.join(root, "prid_2011", rel)).st_mtime_ns for rel in _files(root)}


def test_generation_is_byte_reproducible(tiny_root, tmp_path):
    assert _digest(generate(str(tmp_path / "again"), TINY)) == _digest(tiny_root)
    assert _digest(generate(str(tmp_path / "other"), SyntheticSpec.tiny(seed=1))) != _digest(tiny_root)


def test_layout_uses_prid_names_and_frame_size(tiny_root):
    frames = [rel for rel in _files(tiny_root) if rel != "synthetic.json"]
    assert frames and all(PRID_FRAME.fullmatch(rel) for rel in frames), frames[:5]
    layout = scan_prid_layout(tiny_root)
    assert list(layout["cam_a"]) == list(range(1, TINY.num_shared + TINY.num_cam_a_only + 1))
    assert list(layout["cam_b"]) == list(range(1, TINY.num_shared + TINY.num_cam_b_only + 1))
    for people in layout.values():
        for paths in people.values():
            assert TINY.min_frames <= len(paths) <= TINY.max_frames
            assert [os.path.basename(p) for p in paths] == [f"{i:04d}.png" for i in range(1, len(paths) + 1)]
    image = cv2.imread(layout["cam_b"][1][0])
    assert image.shape == (64, 32, 3) and image.dtype == np.uint8


def test_split_divides_shared_people_into_train_and_one_query_and_gallery_each(tiny_root):
    dataset = registry.load(DataConfig(dataset="synthetic", data_dir=tiny_root))
    query, gallery = dataset.query.person_ids(), dataset.gallery.person_ids()
    assert len(query) == TINY.num_shared_test and sorted(query) == sorted(set(query)) == sorted(gallery)
    assert set(dataset.query.cameras()) == {0} and set(dataset.gallery.cameras()) == {1}
    assert not set(dataset.train.person_ids()) & set(query)
    shared_train = [p for p in dataset.train.person_ids() if p <= TINY.num_shared]
    assert sorted(set(shared_train)) == sorted(set(range(1, TINY.num_shared + 1)) - set(query))
    assert len(shared_train) == 2 * TINY.num_shared_train  # once in each camera
    assert (dataset.name, dataset.protocol, dataset.optimizer) == ("synthetic", "single_shot", "rmsprop")

    split_2 = load_synthetic(DataConfig(data_dir=tiny_root, split=2)).query.person_ids()
    assert list(load_synthetic(DataConfig(data_dir=tiny_root)).query.person_ids()) == list(query)
    assert sorted(split_2) != sorted(query)


def test_single_camera_people_are_train_only_in_their_camera(tiny_root):
    dataset = load_synthetic(DataConfig(data_dir=tiny_root))
    train = {(t.camera, t.person_id) for t in dataset.train.tracklets}
    first_single = TINY.num_shared + 1
    cam_a_only = {first_single + i for i in range(TINY.num_cam_a_only)}
    cam_b_only = {CAM_B_ONLY_ID_OFFSET + first_single + i for i in range(TINY.num_cam_b_only)}
    assert {p for c, p in train if p in cam_a_only} == cam_a_only
    assert {p for c, p in train if p in cam_b_only} == cam_b_only
    assert all(c == 0 for c, p in train if p in cam_a_only) and all(c == 1 for c, p in train if p in cam_b_only)
    test_people = set(dataset.query.person_ids()) | set(dataset.gallery.person_ids())
    assert not test_people & (cam_a_only | cam_b_only)


def test_indices_count_tracklets_per_camera_in_person_number_order(tiny_root):
    dataset = load_synthetic(DataConfig(data_dir=tiny_root))
    for tracklets in (dataset.train, dataset.query, dataset.gallery):
        for camera in (0, 1):
            in_camera = sorted((t for t in tracklets.tracklets if t.camera == camera), key=lambda t: t.index)
            assert [t.index for t in in_camera] == list(range(len(in_camera)))
            numbers = [t.person_id % CAM_B_ONLY_ID_OFFSET for t in in_camera]
            assert numbers == sorted(numbers)


def test_camera_change_exceeds_frame_to_frame_change(tiny_root):
    layout = scan_prid_layout(tiny_root)
    within, across = [], []
    for person in range(1, TINY.num_shared + 1):
        a = [cv2.imread(p).astype(np.float32) for p in layout["cam_a"][person][:2]]
        b = cv2.imread(layout["cam_b"][person][0]).astype(np.float32)
        within.append(np.abs(a[0] - a[1]).mean())
        across.append(np.abs(a[0] - b).mean())
    assert np.mean(across) > 2 * np.mean(within), (np.mean(across), np.mean(within))


def test_same_spec_reuses_tree_and_other_spec_replaces_it(tmp_path):
    root = generate(str(tmp_path), TINY)
    before, digest = _mtimes(root), _digest(root)
    generate(root, TINY)
    assert _mtimes(root) == before
    generate(root, SyntheticSpec.tiny(seed=3))
    assert _digest(root) != digest
    assert os.listdir(root) == ["prid_2011"]  # no staging directories left behind


def expected_counts(spec):
    """Tracklets per camera in training, queries and gallery entries, from the spec alone."""
    return ([spec.num_shared_train + spec.num_cam_a_only, spec.num_shared_train + spec.num_cam_b_only],
            spec.num_shared_test, spec.num_shared_test)


def counts(dataset):
    return dataset.train.tracklets_per_camera, len(dataset.query), len(dataset.gallery)


def test_loader_renders_the_default_spec_into_an_empty_cache(tmp_path, monkeypatch):
    """No tree yet: the default spec is rendered (made tiny here so the test stays quick)."""
    monkeypatch.setenv("DAL_TF_CACHE", str(tmp_path))
    other = SyntheticSpec(3, 2, 2, 1, min_frames=2, max_frames=3, height=64, width=32, seed=5)
    monkeypatch.setattr("dal_tf.datasets.synthetic.loader.SyntheticSpec", lambda: other)
    assert not os.path.exists(tmp_path / "synthetic")
    assert counts(load_synthetic(DataConfig())) == expected_counts(other)
    assert json.load(open(tmp_path / "synthetic" / "prid_2011" / "synthetic.json"))["spec"]["seed"] == 5
    with pytest.raises(UserInputError, match="--split=0"):
        load_synthetic(DataConfig(split=0))


def test_loader_rerenders_an_older_renderers_tree_with_its_stored_spec(tmp_path):
    root = generate(str(tmp_path), TINY)
    marker = tmp_path / "prid_2011" / "synthetic.json"
    stored = json.load(open(marker))
    (tmp_path / "prid_2011" / "multi_shot" / "cam_a" / "person_0001" / "0001.png").write_bytes(b"stale")
    marker.write_text(json.dumps(dict(stored, render_version=stored["render_version"] - 1)))
    assert counts(load_synthetic(DataConfig(data_dir=root))) == expected_counts(TINY)
    assert json.load(open(marker)) == stored
    assert (tmp_path / "prid_2011" / "multi_shot" / "cam_a" / "person_0001" / "0001.png").read_bytes() != b"stale"


def test_generate_refuses_to_overwrite_a_foreign_tree(tmp_path):
    os.makedirs(tmp_path / "prid_2011" / "multi_shot" / "cam_a")
    with pytest.raises(UserInputError, match=re.escape(str(tmp_path / "prid_2011"))):
        generate(str(tmp_path), TINY)


def test_scan_reports_missing_directory_and_empty_person(tmp_path):
    with pytest.raises(UserInputError, match=re.escape(str(tmp_path / "prid_2011" / "multi_shot" / "cam_a"))):
        scan_prid_layout(str(tmp_path))
    for camera in ("cam_a", "cam_b"):
        os.makedirs(tmp_path / "prid_2011" / "multi_shot" / camera / "person_0001")
        for name in ("0010.png", "0002.png"):
            (tmp_path / "prid_2011" / "multi_shot" / camera / "person_0001" / name).write_bytes(b"")
    assert [os.path.basename(p) for p in scan_prid_layout(str(tmp_path))["cam_b"][1]] == ["0002.png", "0010.png"]
    empty = tmp_path / "prid_2011" / "multi_shot" / "cam_b" / "person_0002"
    os.makedirs(empty)
    with pytest.raises(UserInputError, match=re.escape(str(empty))):
        scan_prid_layout(str(tmp_path))
