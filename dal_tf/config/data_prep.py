"""The options of the data_prep commands: preparing a data set, tracklets and features from video,
synthetic videos."""

from __future__ import annotations

import dataclasses
import os

from dal_tf.config.options import FOLDERS, Checked, option, require


@dataclasses.dataclass(frozen=True)
class PrepareConfig(Checked):
    """What data_prep.prepare indexes, and how."""

    dataset: str = option("", "The data set as its owners distribute it, or folders (your own: "
                          "<src>/<camera>/<tracklet>/<frames>, optional identities.csv).", ("prid", "ilids", "mars", FOLDERS))
    src: str = option("", "The data set as distributed (docs/reproducing.md shows each layout).")
    out: str = option("", "Directory to write the prepared index to.")
    splits: str = option("", "PRID / iLIDS-VID: a released DAL split folder, a torchreid .json or iLIDS-VID's .mat; "
                         "default: seeded halves (PRID), the official .mat in --src (iLIDS-VID).")
    seed: int = option(0, "Seed of PRID's random splits.")
    format: str = option("files", "tfrecord: also copy the frames into sharded TFRecords under --out (fast on "
                         "network file systems).", ("files", "tfrecord"))
    skip_corrupt: bool = option(False, "Drop unreadable frames (listed in the manifest) instead of stopping.")

    def __post_init__(self):
        require(bool(self.dataset), f"--dataset is required: one of prid, ilids, mars, {FOLDERS}")
        super().__post_init__()
        require(bool(self.src) and bool(self.out), "--src and --out are required")
        require(not (self.dataset == "mars" and self.splits), "--splits does not apply to MARS, which has one "
                 "standard split")
        require(not (self.dataset == FOLDERS and self.splits), f"--splits does not apply to {FOLDERS}: its test "
                 "people are chosen when training (--test_people, --test_fraction)")


def named_values(specs: tuple[str, ...], flag: str) -> dict[str, str]:
    """{camera: value} from repeated NAME=VALUE flags, in the order given."""
    values = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        require(bool(sep and name and value), f"--{flag}={spec}: expected CAMERA=VALUE")
        require(name not in values, f"--{flag}: camera {name!r} is given twice")
        require(name not in (".", "..") and "/" not in name and os.sep not in name,
                 f"--{flag}={spec}: the camera name {name!r} must be usable as a folder name")
        values[name] = value
    return values


@dataclasses.dataclass(frozen=True)
class CameraVideos(Checked):
    """One video per camera and, where given, its boxes (data_prep.tracklets, data_prep.features)."""

    video: tuple[str, ...] = option((), "CAMERA=PATH, once per camera: a video file OpenCV reads, or a folder of "
                                    "frames (naturally sorted).")
    tracks: tuple[str, ...] = option((), "CAMERA=PATH, once per camera: tracks in the MOTChallenge text format "
                                     "(frame,id,x,y,w,h,conf,...; frames from 1) from your own detector and tracker; "
                                     "without: the built-in background-subtraction detector and IoU tracker.")
    region: tuple[str, ...] = option((), "CAMERA=X,Y,W,H: use only this rectangle of the camera's frames (e.g. the "
                                     "halves of one video as two cameras); --tracks boxes are then in its "
                                     "coordinates.")

    def __post_init__(self):
        super().__post_init__()
        cameras = named_values(self.video, "video")
        for flag in ("tracks", "region"):
            unknown = set(named_values(getattr(self, flag), flag)) - set(cameras)
            require(not unknown, f"--{flag} names cameras without a --video: {', '.join(sorted(unknown))}")
        require(not self.tracks or len(self.tracks) == len(cameras),
                 "give --tracks for every camera, or for none (the built-in detector and tracker)")


@dataclasses.dataclass(frozen=True)
class TrackletsConfig(Checked):
    """What data_prep.tracklets crops: tracks of people in one video per camera."""

    cameras: CameraVideos = CameraVideos()
    out: str = option("", "Directory to write: OUT/<camera>/<track>/<frame>.jpg and tracks.csv.")
    ground_truth: tuple[str, ...] = option((), "CAMERA=PATH: MOTChallenge ground truth; prints MOTA / IDF1 of the "
                                           "tracks (motmetrics) and writes OUT/identities.csv (each track's most "
                                           "overlapped ground-truth id).")
    min_length: int = option(8, "Keep tracks with at least this many crops.")
    min_box_height: int = option(40, "Skip boxes (after clipping to the image) lower than this, in pixels.")
    min_box_width: int = option(16, "Skip boxes narrower than this, in pixels.")
    frame_stride: int = option(1, "Crop every N-th frame (detection and tracking still see every frame).")

    def __post_init__(self):
        super().__post_init__()
        require(bool(self.cameras.video), "--video=CAMERA=PATH is required, once per camera")
        require(bool(self.out), "--out is required")
        unknown = set(named_values(self.ground_truth, "ground_truth")) - set(named_values(self.cameras.video, "video"))
        require(not unknown, f"--ground_truth names cameras without a --video: {', '.join(sorted(unknown))}")
        require(self.min_length >= 1 and self.frame_stride >= 1, "--min_length and --frame_stride must be >= 1")
        require(self.min_box_height >= 1 and self.min_box_width >= 1,
                 "--min_box_height and --min_box_width must be >= 1")


@dataclasses.dataclass(frozen=True)
class FeaturesConfig(Checked):
    """What data_prep.features embeds: every box of one tracks or detections file per camera."""

    export: str = option("", "An export of dal_tf.export (SavedModel, ONNX or LiteRT).")
    cameras: CameraVideos = CameraVideos()
    out: str = option("", "Directory to write <camera>.npy (DeepSORT's rows), <camera>.txt and "
                      "<camera>.features.npy to.")
    crops_per_batch: int = option(64, "Crops embedded at once (memory is bounded by it).")

    def __post_init__(self):
        super().__post_init__()
        require(bool(self.export), "--export is required")
        require(bool(self.cameras.video) and bool(self.cameras.tracks),
                 "--video=CAMERA=PATH and --tracks=CAMERA=MOT.txt are required, once per camera")
        require(bool(self.out), "--out is required")
        require(self.crops_per_batch >= 1, f"--crops_per_batch={self.crops_per_batch} must be >= 1")


@dataclasses.dataclass(frozen=True)
class SyntheticVideoConfig(Checked):
    """What data_prep.synthetic_videos renders: people walking through several cameras' views."""

    out: str = option("", "Directory to write <camera>.avi and <camera>.gt.txt (MOTChallenge ground truth) to.")
    cameras: int = option(2, "Camera views (2 or 3), each with its own look and background.")
    people: int = option(6, "People walking through every view, in both directions, crossing each other.")
    frames: int = option(120, "Frames per video.")
    height: int = option(180, "Frame height in pixels.")
    width: int = option(320, "Frame width in pixels.")
    seed: int = option(0, "Seed of the people, their paths and the scenes.")

    def __post_init__(self):
        super().__post_init__()
        require(bool(self.out), "--out is required")
        require(2 <= self.cameras <= 3, f"--cameras={self.cameras} must be 2 or 3")
        require(self.people >= 1 and self.frames >= 2, "--people must be >= 1 and --frames >= 2")
        require(self.height >= 96 and self.width >= 96, "--height and --width must be >= 96")
