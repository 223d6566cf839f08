"""Train/test splits of the two-camera video sets (PRID 2011, iLIDS-VID), by person folder name.

Sources: seeded random halves, the released DAL split lists (datasplits/<set>/split1..10/
{train,test}data.txt, lines 'cam1/<person>/<frame> <tracklet> <camera> <global id>'), torchreid's
splits JSON (a list of {"train": [...], "test": [...]}) and iLIDS-VID's official .mat file.
"""

from __future__ import annotations

import hashlib
import json
import os

import numpy as np
import scipy.io

from dal_tf.datasets.base import ReidDataset, natural_key, natural_sorted
from dal_tf.datasets.prepared import IndexedTracklet, read_manifest, tracklet_set
from dal_tf.utils.errors import UserInputError

NUM_SPLITS = 10
# split_fingerprint of the released DAL lists (evaluation/datasplits/{PRID2011,iLIDS-VID}), the
# splits behind the paper's tables. Only the hash is kept here, not the lists.
RELEASED_SPLITS_SHA256 = {
    "prid": "268dac83745d99585b95115ac0a857452c88798d48096f320dadb848660763e4",
    "ilids": "061b1de642e6afee80942cd2b1bc659515e1de5a7a6dcb49bbd158edbce30165",
}
RELEASED_SPLITS_FOLDER = {"prid": "PRID2011", "ilids": "iLIDS-VID"}


def split_fingerprint(splits: list[dict]) -> str:
    """sha256 of the people of every split, in order, independent of how each list is sorted."""
    canonical = [{"test": sorted(s["test"]), "train": sorted(s["train"])} for s in splits]
    return hashlib.sha256(json.dumps(canonical, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def require_released_splits(dataset: str, data_dir: str):
    """Refuses a prepared PRID 2011 or iLIDS-VID whose splits are not the release's lists."""
    manifest = read_manifest(data_dir, dataset, f"python -m data_prep.prepare --dataset={dataset}")
    if split_fingerprint(manifest["splits"]) != RELEASED_SPLITS_SHA256[dataset]:
        raise UserInputError(
            f"--data_dir={data_dir} has other splits than the paper's ({manifest.get('split_source')}); prepare it "
            f"with --splits=<DAL release>/evaluation/datasplits/{RELEASED_SPLITS_FOLDER[dataset]}, or pass "
            "--allow_other_splits")


def seeded_splits(people: list[str], seed: int, num_splits: int = NUM_SPLITS) -> list[dict]:
    """Half the people (rounded down) for testing, the rest for training; a permutation per split."""
    people = natural_sorted(people)
    splits = []
    for split in range(1, num_splits + 1):
        order = np.random.default_rng([seed, split]).permutation(len(people))
        test = {people[i] for i in order[: len(people) // 2]}
        splits.append(dict(train=[p for p in people if p not in test], test=[p for p in people if p in test]))
    return splits


def released_dal_splits(folder: str) -> list[dict]:
    """The released DAL split folder: the people of split1..10/{train,test}data.txt."""
    splits = []
    for split in range(1, NUM_SPLITS + 1):
        people = {}
        for part in ("train", "test"):
            path = os.path.join(folder, f"split{split}", f"{part}data.txt")
            try:
                with open(path) as handle:
                    lines = handle.read().split("\n")
            except OSError as error:
                raise UserInputError(f"--splits={folder}: cannot read {path} ({error.strerror}); expected the "
                                     "released DAL folder with split1..split10/{train,test}data.txt") from error
            names = set()
            for number, line in enumerate(lines, 1):
                if not line.strip():
                    continue
                parts = line.split()
                path_parts = parts[0].split("/")
                if len(parts) != 4 or len(path_parts) != 3:
                    raise UserInputError(f"{path}:{number}: expected 'cam1/<person>/<frame> <tracklet> <camera> "
                                         f"<global id>', got {line[:80]!r}")
                names.add(path_parts[1])
            people[part] = natural_sorted(names)
        splits.append(people)
    return splits


def torchreid_splits(path: str) -> list[dict]:
    try:
        with open(path) as handle:
            loaded = json.load(handle)
        splits = [dict(train=natural_sorted(map(str, s["train"])), test=natural_sorted(map(str, s["test"])))
                  for s in loaded]
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise UserInputError(f"--splits={path} is not a torchreid splits JSON (a list of "
                             f'{{"train": [...], "test": [...]}}): {error}') from error
    if not splits:
        raise UserInputError(f"--splits={path} holds no splits")
    return splits


def official_ilids_splits(path: str, people: list[str]) -> list[dict]:
    """train_test_splits_ilidsvid.mat: ls_set, 10 x 300 1-based indices into the sorted person
    folders; in each row the first half is test, the second half train."""
    try:
        table = np.asarray(scipy.io.loadmat(path)["ls_set"])
    except (OSError, ValueError, KeyError) as error:
        raise UserInputError(f"cannot read ls_set from {path}; expected iLIDS-VID's train_test_splits_ilidsvid.mat "
                             f"({error})") from error
    people = natural_sorted(people)
    if table.size and np.array_equal(table, np.round(table)):
        table = table.astype(np.int64)  # MATLAB stores the indices as doubles
    if table.dtype.kind != "i" or table.ndim != 2 or table.shape[1] != len(people) or table.min() < 1 or table.max() > len(people):
        raise UserInputError(f"{path}: ls_set is {table.shape} with values {table.min()}..{table.max()}; expected "
                             f"rows of 1-based indices into the {len(people)} person folders")
    half = table.shape[1] // 2
    return [dict(test=natural_sorted(people[i - 1] for i in row[:half]),
                 train=natural_sorted(people[i - 1] for i in row[half:])) for row in table]


def from_path(path: str, people: list[str]) -> tuple[list[dict], str]:
    """(splits, a description of their source) from a released DAL folder, a torchreid JSON or
    iLIDS-VID's official .mat, checked against the data set's people."""
    if os.path.isdir(path):
        splits, source = released_dal_splits(path), f"released DAL splits: {path}"
    elif path.endswith(".json"):
        splits, source = torchreid_splits(path), f"torchreid splits: {path}"
    elif path.endswith(".mat"):
        splits, source = official_ilids_splits(path, people), f"official iLIDS-VID splits: {path}"
    else:
        raise UserInputError(f"--splits={path}: expected a released DAL split folder, a torchreid .json or "
                             "iLIDS-VID's .mat")
    check_splits(splits, people, f"--splits={path}")
    return splits, source


def check_splits(splits: list[dict], known: list[str], source: str):
    known_set = set(known)
    for number, split in enumerate(splits, 1):
        unknown = [p for p in split["train"] + split["test"] if p not in known_set]
        if unknown:
            raise UserInputError(f"{source}: split {number} names {len(unknown)} people not in the data set "
                                 f"(e.g. {', '.join(unknown[:5])})")
        if set(split["train"]) & set(split["test"]):
            raise UserInputError(f"{source}: split {number} puts the same people in train and test")


def two_camera_dataset(name: str, tracklets: list[IndexedTracklet], splits: list[dict], split: int,
                       **settings) -> ReidDataset:
    """Train: both cameras' tracklets of the training people. Query: the test people in the first
    camera; gallery: the same people in the second."""
    if not 1 <= split <= len(splits):
        raise UserInputError(f"--split={split}: {name} has splits 1..{len(splits)}")
    chosen = splits[split - 1]
    for part in ("train", "test"):
        if not chosen[part]:
            raise UserInputError(f"--split={split} of {name} has no {part} people; its splits come from the "
                                 "prepared manifest (data_prep.prepare --splits)")

    def people_in(people, cameras):
        wanted = set(people)
        selected = sorted((t for t in tracklets if t.person in wanted and t.camera in cameras),
                          key=lambda t: (t.camera, natural_key(t.person)))
        return tracklet_set(selected, 2)

    return ReidDataset(name=name, train=people_in(chosen["train"], (0, 1)), query=people_in(chosen["test"], (0,)),
                       gallery=people_in(chosen["test"], (1,)), protocol="single_shot", **settings)
