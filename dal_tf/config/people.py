"""The options of who is who (dal_tf.identities, dal_tf.score_identities, dal_tf.calibrate)."""

from __future__ import annotations

import dataclasses

from dal_tf.config.evaluation import EmbeddingConfig, distance_limit
from dal_tf.config.options import Checked, option, require


@dataclasses.dataclass(frozen=True)
class GraphConfig(Checked):
    """The clustering graph of dal_tf.identities and score_identities."""

    neighbours: int = option(20, "Nearest tracklets each tracklet is linked to in the clustering graph (memory is "
                             "tracklets x neighbours).")
    neighbour_search: str = option("exact", "How neighbours are found: exact (block by block, N x N distances in "
                                   "all) or faiss (FAISS's approximate HNSW search, for hundreds of thousands of "
                                   "tracklets; pip install 'dal_tf[scale]').", ("exact", "faiss"))
    max_per_camera: int = option(0, "At most this many tracklets of one camera in one person, for footage where a "
                                 "person passes each camera at most that often (1 for PRID- and iLIDS-VID-like "
                                 "footage; the estimated threshold then counts how many tracklets have a match); 0: no limit.")

    def __post_init__(self):
        super().__post_init__()
        require(self.neighbours >= 1, f"--neighbours={self.neighbours} must be >= 1")
        require(self.max_per_camera >= 0, f"--max_per_camera={self.max_per_camera} must be >= 0 (0: no limit)")


@dataclasses.dataclass(frozen=True)
class IdentitiesConfig(Checked):
    """What dal_tf.identities clusters: every tracklet of a folders data set into people across
    its cameras."""

    embedding: EmbeddingConfig = EmbeddingConfig()
    data_dir: str = option("", "A folders data set of two or more cameras (DIR/<camera>/<tracklet>/<frames>, or "
                           "prepared); its tracks.csv, where there is one, gives the time constraints and boxes.")
    out: str = option("", "Directory to write people.csv, summary.json, people.png and the per-camera files to.")
    threshold: str = option("", "The largest average distance at which tracklets are one person; empty: the "
                            "people threshold dal_tf.calibrate wrote into the export, else one estimated from the footage "
                            "(or a refusal where the estimate cannot be trusted).")
    graph: GraphConfig = GraphConfig()
    time_constraints: bool = option(True, "Refuse to join two tracklets of one camera that overlap in time "
                                    "(tracks.csv's frames).")
    videos: tuple[str, ...] = option((), "Also draw every box of CAMERA in its person's colour and number into "
                                     "OUT/videos/CAMERA.mp4: CAMERA (the video tracks.csv names) or CAMERA=VIDEO; "
                                     "once per camera.")
    sheet_people: int = option(40, "People (rows) on people.png: the first N, those seen by most cameras first.")

    def __post_init__(self):
        super().__post_init__()
        require(bool(self.embedding.saved_model), "--saved_model is required")
        require(bool(self.data_dir), "--data_dir is required (a folders data set)")
        require(bool(self.out), "--out is required")
        distance_limit(self.threshold, "threshold")
        require(self.sheet_people >= 1, f"--sheet_people={self.sheet_people} must be >= 1")


@dataclasses.dataclass(frozen=True)
class ScoreIdentitiesConfig(Checked):
    """What dal_tf.score_identities compares against ground truth: people from the trained and the
    untrained embedding, with and without time constraints, at the estimated and the best
    threshold, and from the training run's own merges."""

    embedding: EmbeddingConfig = EmbeddingConfig()
    data_dir: str = option("", "A folders data set with identities.csv (and tracks.csv for the time constraints "
                           "and IDF1).")
    untrained: str = option("", "An export of the untrained network (dal_tf.train --max_steps=0, then "
                            "dal_tf.export): rows for it beside --saved_model's.")
    train_dir: str = option("", "The training run of --saved_model: a row for the people its logged merges "
                            "(merges.csv) join.")
    ground_truth: tuple[str, ...] = option((), "CAMERA=MOT.txt, once per camera: ground-truth boxes whose ids are "
                                           "the same person in every camera, for the multi-camera IDF1, IDP, IDR.")
    graph: GraphConfig = GraphConfig()
    csv: str = option("", "Also write the table to this CSV file.")

    def __post_init__(self):
        super().__post_init__()
        require(bool(self.embedding.saved_model), "--saved_model is required")
        require(bool(self.data_dir), "--data_dir is required (a folders data set with identities.csv)")


@dataclasses.dataclass(frozen=True)
class CalibrateConfig(Checked):
    """What dal_tf.calibrate measures: the distances of same-person and different-person
    cross-camera pairs of a folders data set with identities."""

    embedding: EmbeddingConfig = EmbeddingConfig()
    data_dir: str = option("", "A folders data set with identities.csv, two or more cameras.")
    plot: str = option("calibration.png", "PNG to draw the two distance histograms and the ROC curve to.")
    false_match_rate: float = option(0.0, "The threshold written into the export: the one at this share of "
                                     "different-person pairs matched (e.g. 0.01); 0: the equal-error threshold.")
    write: bool = option(True, "Write the chosen threshold (for dal_tf.match) and the people threshold (for "
                         "dal_tf.identities: the highest F1 of same-person decisions) into the export's "
                         "dal_tf_export.json.")

    def __post_init__(self):
        super().__post_init__()
        require(bool(self.embedding.saved_model), "--saved_model is required")
        require(bool(self.data_dir), "--data_dir is required (a folders data set with identities.csv)")
        require(self.plot.lower().endswith(".png"), f"--plot={self.plot} must end in .png")
        require(0 <= self.false_match_rate < 1, f"--false_match_rate={self.false_match_rate} must be in [0, 1)")
