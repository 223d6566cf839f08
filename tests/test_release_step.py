"""dal_tf's training step against the authors' own (tests/release_oracle.py): the release's TF1
graph run by ../shared's runner, and dal_tf configured to the release's settings through its own
config, from the same state on the same batches.

Teacher-forced: before each step dal_tf is loaded with the release's whole state, and the state
after one step is compared. Free-running: both run from the same start; their distance is held
to that between dal_tf and itself from a start perturbed by about what two float32
implementations differ by (1e-6 of each weight): a step at lr 0.045 on small batches amplifies
any rounding (BatchNorm over a few positions, hinge and nearest-anchor boundaries), about 100x a
step here, so the two part within a few steps however exact each step is.
"""

import os

import numpy as np
import pytest
import release_oracle as oracle

from dal_tf.association import ranking
from dal_tf.datasets import input_pipeline

pytestmark = pytest.mark.slow

RUNS = {
    # The runner's own small run: ImageNet MobileNet, 64x32, batch 16, 5 + 4 tracklets.
    "imagenet": (),
    # Three cameras, an odd input size, other batch, warm-up and decay, random weights. The
    # epoch is 41 / 12 = 3.42 steps: decay every int(3.42 * 1.5) = 5 steps, not 3 * 1.5 = 4.
    "three_cameras": ("--tracklets", "3,4,2", "--batch_size", "12", "--num_samples", "41", "--image_size", "90",
                      "--raw_size", "70x30", "--warm_up_epochs", "1", "--num_epochs_per_decay", "1.5",
                      "--pretrained", "random", "--steps", "8", "--seed", "3"),
}
# Largest relative difference (tests/release_oracle.relative_error) after one teacher-forced step.
TOLERANCES = dict(weights=1e-5, rms=1e-5, momentum=1e-4, ema=1e-5, intra=1e-5, cross=1e-5)
# BatchNorm's moving statistics, compared by their increments (the values, near 1, would hide a
# wrong variance); float32 rounding of values near 1 is 4e-4 of an increment.
MOVING_INCREMENT_TOLERANCE = 5e-3
LOSS_TOLERANCE = 1e-5
# Free-running: the moving means start at 0 and stay small, so their relative rounding is larger.
FREE_RUNNING_FLOORS = dict(TOLERANCES, moving=1e-4)
PERTURBATION = 1e-6
CHAOS_FACTOR = 3


@pytest.fixture(scope="module", params=sorted(RUNS))
def release_run(request, tmp_path_factory):
    out = str(tmp_path_factory.mktemp(f"release_{request.param}"))
    oracle.run_release(out, *RUNS[request.param])
    return out


def state(out, step):
    return dict(np.load(os.path.join(out, "state_%03d.npz" % step)))


def normalized_cross(values: dict) -> dict:
    """Cross anchors are only ever read l2-normalised: the release's merge with a never-visited
    anchor (left unmerged by dal_tf) halves a row without changing it normalised."""
    return {name: ranking.l2_normalize(v).numpy() if name.startswith("cross/") else v
            for name, v in values.items()}


def errors(ours: dict, theirs: dict, before: dict | None = None) -> dict:
    """{group: largest relative difference}; with `before`, moving statistics by increment."""
    found = {}
    ours, theirs = normalized_cross(ours), normalized_cross(theirs)
    for name, value in theirs.items():
        group = name.split("/")[0]
        if before is not None and group == "moving":
            error = oracle.relative_error(ours[name] - before[name], value - before[name])
        else:
            error = oracle.relative_error(ours[name], value)
        found[group] = max(found.get(group, 0.0), error)
    return found


def merged_rows(values: dict, counts, rows) -> set:
    """Rows of this batch whose normalised cross anchor is not their normalised intra anchor."""
    offsets = ranking.camera_offsets(counts)
    merged = set()
    for c in range(len(counts)):
        intra = ranking.l2_normalize(values[f"intra/{c}"]).numpy()
        cross = ranking.l2_normalize(values[f"cross/{c}"]).numpy()
        merged |= {offsets[c] + i for i in np.flatnonzero(np.abs(cross - intra).max(axis=1) > 1e-4)}
    return merged & set(rows)


def test_dal_tf_starts_from_the_release_s_initial_state(release_run):
    model, _, batches, meta = oracle.build_release_model(release_run)
    ours, theirs = oracle.read_state(model, meta["tracklets_per_camera"]), state(release_run, 0)
    for name, value in theirs.items():
        if name.startswith(("weights/", "moving/", "intra/", "cross/", "global_step/")):
            np.testing.assert_array_equal(ours[name], value, err_msg=name)
        if name.startswith("ema/"):  # documented: the shadows start from the loaded weights
            np.testing.assert_array_equal(ours[name], ours["weights/" + name[len("ema/"):]], err_msg=name)
    # dal_tf's own preprocessing of the raw frames is the release's.
    prepared = input_pipeline.prepare_frames(batches["raw_frames"], meta["image_height"], meta["image_width"])
    np.testing.assert_allclose(prepared.numpy(), batches["preprocessed_frames"], rtol=0, atol=1e-6)


def test_teacher_forced_steps_equal_the_release_s(release_run):
    model, step, batches, meta = oracle.build_release_model(release_run)
    counts = meta["tracklets_per_camera"]
    released = np.load(os.path.join(release_run, "release.npz"))
    offsets = ranking.camera_offsets(counts)
    merges = 0
    for k in range(meta["steps"]):
        before, after = state(release_run, k), state(release_run, k + 1)
        oracle.load_state(model, before, counts)
        logs = step(oracle.batch(batches, k))
        ours = oracle.read_state(model, counts)
        found = errors(ours, after, before)
        for group, tolerance in TOLERANCES.items():
            assert found[group] <= tolerance, (k, group, found)
        assert found["moving"] <= MOVING_INCREMENT_TOLERANCE, (k, found)
        assert int(ours["global_step/global_step"]) == int(after["global_step/global_step"]) == k + 1
        assert abs(float(logs["loss"]) - released["step/final_loss"][k]) <= LOSS_TOLERANCE, k
        assert abs(float(logs["weight_decay"]) / released["step/reg_model"][k] - 1) <= 1e-5, k
        assert abs(float(logs["learning_rate"]) / released["step/lr"][k] - 1) <= 1e-6, k
        rows = list(offsets[batches["cams"][k] - 1] + batches["labels"][k] - 1)
        partners = model.anchors.cross_partner.numpy()
        ours_merged = {r for r in rows if partners[r] >= 0}
        assert ours_merged == merged_rows(after, counts, rows), k
        merges += len(ours_merged)
    if meta["steps"] > meta["warm_up_step"] + 2:
        assert merges > 0  # the cyclic ranking's merges were compared, not only its refusals


def free_run(model, step, batches, meta, start, counts, perturbation=0.0):
    """The states after each step of dal_tf run on its own from `start`."""
    if perturbation:  # on every weight
        rng = np.random.default_rng(0)
        start = {name: (v * (1 + perturbation * rng.standard_normal(v.shape))).astype(v.dtype)
                 if name.startswith("weights/") else v for name, v in start.items()}
    oracle.load_state(model, start, counts)
    states = []
    for k in range(meta["steps"]):
        step(oracle.batch(batches, k))
        states.append(oracle.read_state(model, counts))
    return states


def test_free_running_stays_within_rounding_of_the_release(release_run):
    model, step, batches, meta = oracle.build_release_model(release_run)
    counts = meta["tracklets_per_camera"]
    start = state(release_run, 0)  # the release's whole start, its random EMA shadows included
    ours = free_run(model, step, batches, meta, start, counts)
    perturbed = free_run(model, step, batches, meta, start, counts, perturbation=PERTURBATION)
    for k in range(meta["steps"]):
        to_release = errors(ours[k], state(release_run, k + 1))
        to_itself = errors(ours[k], perturbed[k])
        for group, floor in FREE_RUNNING_FLOORS.items():
            assert to_release[group] <= max(floor, CHAOS_FACTOR * to_itself[group]), (k, group, to_release, to_itself)
    # Over the first two steps, before the amplification, both equal the release to rounding.
    for k in range(2):
        found = errors(ours[k], state(release_run, k + 1))
        assert all(found[group] <= floor for group, floor in FREE_RUNNING_FLOORS.items()), (k, found)
