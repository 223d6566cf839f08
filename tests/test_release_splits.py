"""The reproduction harness runs PRID 2011 and iLIDS-VID only on the release's split lists."""

import json
import os

import pytest

from conftest import SHARED, run_module
from dal_tf.datasets import splits
from dal_tf.datasets.prepared import FORMAT_VERSION, MANIFEST

RELEASE = os.path.join(SHARED, "reference", "dal_release", "datasplits")
needs_release = pytest.mark.skipif(not os.path.isdir(RELEASE), reason="needs ../shared/reference/dal_release")


def prepared_manifest(folder, dataset, split_lists, source):
    os.makedirs(folder)
    with open(os.path.join(folder, MANIFEST), "w") as handle:
        json.dump(dict(dataset=dataset, format_version=FORMAT_VERSION, splits=split_lists, split_source=source), handle)
    return str(folder)


@needs_release
@pytest.mark.parametrize("dataset", ["prid", "ilids"])
def test_released_lists_have_the_recorded_fingerprint(dataset):
    lists = splits.released_dal_splits(os.path.join(RELEASE, splits.RELEASED_SPLITS_FOLDER[dataset]))
    assert splits.split_fingerprint(lists) == splits.RELEASED_SPLITS_SHA256[dataset]
    shuffled = [dict(train=list(reversed(s["train"])), test=s["test"]) for s in lists]
    assert splits.split_fingerprint(shuffled) == splits.RELEASED_SPLITS_SHA256[dataset]  # order-free
    swapped = [dict(train=lists[0]["test"], test=lists[0]["train"])] + lists[1:]
    assert splits.split_fingerprint(swapped) != splits.RELEASED_SPLITS_SHA256[dataset]


@pytest.mark.slow
@needs_release
def test_harness_refuses_other_splits_unless_told(tmp_path):
    people = [f"person_{n:04d}" for n in range(1, 179)]
    seeded = prepared_manifest(tmp_path / "seeded", "prid", splits.seeded_splits(people, seed=0), "seeded halves")
    released = prepared_manifest(tmp_path / "released", "prid",
                                 splits.released_dal_splits(os.path.join(RELEASE, "PRID2011")), "released DAL splits")
    args = ["--table=1", "--dataset=prid", "--dry_run", f"--runs_dir={tmp_path / 'runs'}"]
    refused = run_module("experiments.reproduce", [*args, f"--data_dir={seeded}"])
    assert refused.returncode != 0 and not os.path.exists(tmp_path / "runs")
    assert refused.stderr.strip().splitlines() == [
        f"experiments.reproduce: error: --data_dir={seeded} has other splits than the paper's (seeded halves); "
        "prepare it with --splits=<DAL release>/evaluation/datasplits/PRID2011, or pass --allow_other_splits"]
    for data_dir, extra in ((seeded, ["--allow_other_splits"]), (released, [])):
        listed = run_module("experiments.reproduce", [*args, f"--data_dir={data_dir}", *extra])
        assert listed.returncode == 0, listed.stderr[-2000:]
        assert "[10/10] prid/dal_mobilenet/split10/seed0: not finished" in listed.stdout
