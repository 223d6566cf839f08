"""Plain configuration objects, and the one definition of every option: its default, its help and
its choices live in the fields below. Entry points turn the fields into absl flags
(flag_defs.define_flags) and the parsed flags back into these objects; nothing below them reads
FLAGS. Each object checks its values once, when it is made.
"""

from __future__ import annotations

import dataclasses
import os
import typing

from dal_tf.errors import UserInputError

BACKBONES = ("mobilenet", "resnet50")
POOLINGS = ("max", "mean")
PROTOCOLS = ("mars", "torchreid", "single_shot")
PROBE_CAMS = ("1", "2", "both")
STRATEGIES = ("default", "mirrored", "multiworker")
# The names of dal_tf.rules.RULES, the cross-camera association rules (that registry checks it).
ASSOCIATION_RULES = ("released", "camera_debiased", "ratio_test", "debiased_ratio_test", "persistent", "per_camera")
FOLDERS = "folders"  # users' own tracklets: DIR/<camera>/<tracklet>/<frames>


def option(default, help: str, choices: tuple[str, ...] = ()):  # noqa: A002 - absl's word for it
    """A config field that is also a flag: its default, its --help text and, for a choice, the values."""
    return dataclasses.field(default=default, metadata=dict(help=help, choices=choices))


def default_cache_dir() -> str:
    return os.environ.get("DAL_TF_CACHE", os.path.join(os.path.expanduser("~"), ".cache", "dal_tf"))


class Checked:
    """Refuses a value outside a field's choices, naming the flag (an empty default means "the
    model's or data set's own" and stays allowed)."""

    def __post_init__(self):
        for field in dataclasses.fields(self):
            choices = field.metadata.get("choices")
            value = getattr(self, field.name)
            if choices and value not in choices and not (value == "" == field.default):
                raise UserInputError(f"--{field.name}={getattr(self, field.name)!r} is not one of {', '.join(choices)}")


def _require(condition: bool, message: str):
    if not condition:
        raise UserInputError(message)


@dataclasses.dataclass(frozen=True)
class DataConfig(Checked):
    dataset: str = option("synthetic", "Registered data set: synthetic (built in), prid, ilids, mars (prepared "
                          "with data_prep.prepare), folders (your own: DIR/<camera>/<tracklet>/<frames>).")
    data_dir: str = option("", "Prepared data directory; empty: the data set's default (the cache for synthetic).")
    split: int = option(1, "Train/test split number (folders: the seed of --test_fraction's draw).")
    test_people: str = option("", "folders: a file naming the test people, one a line, as identities.csv names "
                              "them; they are never trained on.")
    test_fraction: float = option(0.0, "folders: the share of the people in identities.csv (those seen by two or "
                                  "more cameras) held out for testing, drawn with --split; 0 and no --test_people: "
                                  "no test people, no evaluation.")
    min_frames: int = option(1, "folders: skip tracklets with fewer frames (1 keeps one-frame tracklets).")
    skip_corrupt: bool = option(False, "folders: drop unreadable frames (they are listed) instead of stopping.")

    def __post_init__(self):
        super().__post_init__()
        _require(0 <= self.test_fraction < 1, f"--test_fraction={self.test_fraction} must be in [0, 1)")
        _require(not (self.test_people and self.test_fraction), "give --test_people or --test_fraction, not both")
        _require(self.min_frames >= 1, f"--min_frames={self.min_frames} must be >= 1")
        if self.dataset != FOLDERS:
            for name in ("test_people", "test_fraction", "min_frames", "skip_corrupt"):
                field = next(f for f in dataclasses.fields(self) if f.name == name)
                _require(getattr(self, name) == field.default, f"--{name} applies to --dataset={FOLDERS} only")


@dataclasses.dataclass(frozen=True)
class ModelConfig(Checked):
    backbone: str = option("mobilenet", "The release's TF-slim networks: mobilenet_v1 (1024-d features) or "
                           "resnet_v1_50 (2048-d).", BACKBONES)
    weights: str = option("imagenet", "imagenet (the release's TF-slim ImageNet checkpoint, downloaded once), none "
                          "(random initialisation), or PATH to a TF-slim checkpoint prefix (mobilenet_v1_1.0_224.ckpt, "
                          "resnet_v1_50.ckpt) or a Keras .h5 weights file.")
    alpha: float = option(1.0, "MobileNet width multiplier (1.0 = the paper's network).")
    image_height: int = option(224, "Input height (release: 224).")
    image_width: int = option(112, "Input width (release: 112).")
    batchnorm_decay: float = option(0.0, "Decay of the BatchNorm moving statistics; 0: slim's (MobileNet 0.9997, "
                                    "ResNet-50 0.997). Runs much shorter than the release's may need less (the CPU "
                                    "demo: 0.99).")
    restore_moving_statistics: bool = option(True, "Take the BatchNorm moving statistics from --weights; "
                                             "--norestore_moving_statistics starts them at 0 and 1 as the release "
                                             "does.")

    def __post_init__(self):
        super().__post_init__()
        _require(self.image_height >= 32 and self.image_width >= 32,
                 f"--image_height/--image_width must be >= 32, got {self.image_height}x{self.image_width}")
        _require(0 <= self.batchnorm_decay < 1, f"--batchnorm_decay={self.batchnorm_decay} must be in [0, 1) "
                 "(0: the network's own)")
        _require(self.alpha > 0, f"--alpha={self.alpha} must be > 0")
        _require(self.backbone == "mobilenet" or self.alpha == 1.0, f"--alpha={self.alpha} applies to mobilenet only")
        _require(self.weights != "imagenet" or self.alpha == 1.0,
                 f"--alpha={self.alpha}: the release's ImageNet checkpoint is MobileNet v1 1.0; use --alpha=1.0, "
                 "--weights=none or --weights=PATH to a checkpoint of that width")


@dataclasses.dataclass(frozen=True)
class AssociationConfig(Checked):
    """DAL's association settings; defaults are the released code's, the paper's in brackets."""

    distance: str = option("squared", "Distance between l2-normalised features: squared Euclidean (the release) or "
                           "Euclidean (the paper).", ("squared", "euclidean"))
    margin: float = option(0.5, "Hinge margin [paper: 0.2].")
    eta: float = option(0.5, "Intra-anchor update rate (Eq. 1).")
    anchor_init: str = option("zeros", "Anchors start at zero (the release) or at each tracklet's mean frame feature "
                              "(the paper).", ("zeros", "mean"))
    anchor_update: str = option("released", "The intra-anchor update (Eq. 1): the release's, or a moving average of "
                                "unit vectors, x <- (1-eta) l2(x) + eta l2(f).", ("released", "normalized"))
    loss_terms: str = option("both", "L_I + L_C, L_I only or L_C only (Table 2).", ("both", "intra", "cross"))
    lambda_cross: float = option(1.0, "Weight of L_C in L_I + lambda * L_C.")
    association: str = option("released", "Cross-camera association rule (Eq. 4-5): released (the release's: "
                              "cyclic rank-1 over the other cameras pooled; the paper's tables) | camera_debiased "
                              "(each camera's mean anchor removed before ranking) | ratio_test (the rank-1 must "
                              "beat the rank-2 by --association_ratio) | debiased_ratio_test (both) | persistent (merge after "
                              "--association_visits consistent visits) | per_camera (one partner per other "
                              "camera).", ASSOCIATION_RULES)
    association_ratio: float = option(0.9, "--association=ratio_test, debiased_ratio_test: largest ratio of the rank-1's to the rank-2's "
                                      "distance among the other cameras' anchors for a merge.")
    association_visits: int = option(3, "--association=persistent: consecutive visits on which a tracklet's cycle "
                                     "must close with the same partner before they merge.")

    def __post_init__(self):
        super().__post_init__()
        _require(self.margin >= 0, f"--margin={self.margin} must be >= 0")
        _require(0 < self.eta <= 1, f"--eta={self.eta} must be in (0, 1]")
        _require(self.lambda_cross >= 0, f"--lambda_cross={self.lambda_cross} must be >= 0")
        _require(self.association_visits >= 1, f"--association_visits={self.association_visits} must be >= 1")
        _require(0 < self.association_ratio <= 1, f"--association_ratio={self.association_ratio} must be in (0, 1]")


@dataclasses.dataclass(frozen=True)
class OptimConfig(Checked):
    """Zero / auto fields take the data set's release setting (see schedules.build_optimizer)."""

    optimizer: str = option("auto", "auto: the data set's release optimiser (RMSProp for PRID 2011, iLIDS-VID and "
                            "synthetic, SGD for MARS).", ("auto", "rmsprop", "sgd"))
    learning_rate: float = option(0.0, "Initial learning rate; 0: 0.045 (RMSProp) or 0.01 (SGD).")
    lr_decay_factor: float = option(0.94, "RMSProp: staircase decay factor.")
    epochs_per_decay: float = option(2.0, "RMSProp: epochs between decays.")
    weight_decay: float = option(4e-5, "L2 weight decay on convolution kernels.")
    clip_value: float = option(2.0, "Element-wise gradient clipping.")
    ema_decay: float = option(0.9999, "Decay of the weight averages used for evaluation.")

    def __post_init__(self):
        super().__post_init__()
        _require(self.learning_rate >= 0 and self.weight_decay >= 0 and self.clip_value > 0,
                 "--learning_rate and --weight_decay must be >= 0 and --clip_value > 0")
        _require(0 <= self.ema_decay < 1, f"--ema_decay={self.ema_decay} must be in [0, 1)")


@dataclasses.dataclass(frozen=True)
class TrainConfig(Checked):
    data: DataConfig = DataConfig()
    model: ModelConfig = ModelConfig()
    association: AssociationConfig = AssociationConfig()
    optim: OptimConfig = OptimConfig()
    train_dir: str = option("runs/default", "Checkpoints, TensorBoard logs, config.json and results.json; a rerun "
                            "resumes from its latest checkpoint.")
    batch_size: int = option(64, "Random frames per training batch, over all replicas (release: 64).")
    max_steps: int = option(-1, "Training steps; -1: the release's count for the data set; 0: evaluate the network "
                            "as initialised.")
    warmup_epochs: float = option(-1.0, "Epochs before cross-camera association; -1: the data set's release value.")
    checkpoint_every: int = option(200, "Steps between checkpoints.")
    log_every: int = option(10, "Steps between progress and TensorBoard updates.")
    eval_batch_size: int = option(128, "Frames per batch when extracting test features.")
    pooling: str = option("max", "Pooling of frame features into a tracklet feature at test time.", POOLINGS)
    seed: int = option(0, "Seed of the frame order and the initialisation.")
    deterministic: bool = option(False, "Bitwise-reproducible TF ops (slower).")
    objective: str = option("dal", "DAL, or its ID-supervised counterpart of Table 3 (softmax cross-entropy on the "
                            "training person ids).", ("dal", "supervised"))
    label_smoothing: float = option(0.1, "Supervised objective: label smoothing (release: 0.1).")
    strategy: str = option("default", "tf.distribute: one device, all local GPUs (mirrored) or the cluster in "
                           "TF_CONFIG (multiworker); --batch_size is global.", STRATEGIES)
    mixed_precision: bool = option(False, "mixed_float16 backbone; anchors, distances and losses stay float32.")
    jit_compile: bool = option(False, "XLA-compile each replica's forward and backward pass.")
    precise_bn: int = option(0, "After the last step, before the final evaluation and the export: re-estimate "
                             "BatchNorm's moving statistics under the EMA weights as plain averages over this many "
                             "training batches (PreciseBN, as fast-reid and Detectron2); 0: off, as the release.")

    def __post_init__(self):
        super().__post_init__()
        _require(0 <= self.label_smoothing < 1, f"--label_smoothing={self.label_smoothing} must be in [0, 1)")
        _require(self.batch_size >= 2, f"--batch_size={self.batch_size} must be >= 2")
        _require(self.max_steps >= -1, f"--max_steps={self.max_steps} must be >= 0 (or -1 for the data set's default)")
        _require(self.checkpoint_every >= 1 and self.log_every >= 1, "--checkpoint_every and --log_every must be >= 1")
        _require(self.eval_batch_size >= 1, f"--eval_batch_size={self.eval_batch_size} must be >= 1")
        _require(self.precise_bn >= 0, f"--precise_bn={self.precise_bn} must be >= 0 (0: off)")

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)

    @classmethod
    def from_dict(cls, values: dict) -> TrainConfig:
        """Inverse of to_dict (config.json); unknown or ill-typed keys raise TypeError."""
        types = typing.get_type_hints(cls)
        return cls(**{
            name: types[name](**value) if dataclasses.is_dataclass(types.get(name)) else value
            for name, value in values.items()
        })


@dataclasses.dataclass(frozen=True)
class RerankConfig(Checked):
    """k-reciprocal re-ranking of the gallery for each query (dal_tf.reranking); the paper's k1, k2
    and lambda by default."""

    rerank: bool = option(False, "Rank the gallery by k-reciprocal re-ranked distances (Zhong et al., CVPR 2017) "
                          "instead of Euclidean ones.")
    rerank_k1: int = option(20, "--rerank: size of the k-reciprocal neighbourhoods (k1).")
    rerank_k2: int = option(6, "--rerank: neighbours averaged in the local query expansion (k2; 1: none).")
    rerank_lambda: float = option(0.3, "--rerank: weight of the original distance beside the Jaccard distance.")

    def __post_init__(self):
        super().__post_init__()
        _require(self.rerank_k1 >= 1, f"--rerank_k1={self.rerank_k1} must be >= 1")
        _require(1 <= self.rerank_k2 <= self.rerank_k1 + 1,
                 f"--rerank_k2={self.rerank_k2} must be in [1, --rerank_k1 + 1 = {self.rerank_k1 + 1}]")
        _require(0 <= self.rerank_lambda <= 1, f"--rerank_lambda={self.rerank_lambda} must be in [0, 1]")


@dataclasses.dataclass(frozen=True)
class EvalRequest(Checked):
    """What dal_tf.evaluate scores: a training run (its EMA weights) or an export, on one or several
    splits. Empty fields take the model's own setting."""

    train_dir: str = option("", "Training run to evaluate with its EMA weights; may contain {split}.")
    checkpoint: str = option("", "With --train_dir: this checkpoint of the run instead of the latest; may contain "
                             "{split}.")
    saved_model: str = option("", "dal_tf.export directory to evaluate instead; may contain {split}.")
    dataset: str = option("", "Registered data set; default: the one the model was trained on.")
    data_dir: str = option("", "Prepared data directory; default: the training run's (or the data set's).")
    splits: str = option("", "Splits to evaluate: N, N-M or N,M,...; default: the model's training split.")
    protocol: str = option("", "Default: the data set's own.", PROTOCOLS)
    pooling: str = option("", "Pooling of frame features into a tracklet feature; default: the run's (max for an "
                          "export).", POOLINGS)
    probe_cam: str = option("", "Two-camera sets: queries from camera 1, camera 2, or the mean of both directions; "
                            "default: what the release reports (both for iLIDS-VID, camera 1 for PRID 2011).",
                            PROBE_CAMS)
    eval_batch_size: int = option(128, "Frames per batch (memory is bounded by it).")
    reranking: RerankConfig = RerankConfig()

    def __post_init__(self):
        super().__post_init__()
        _require(bool(self.train_dir) != bool(self.saved_model), "give exactly one of --train_dir and --saved_model")
        _require(not self.checkpoint or bool(self.train_dir), "--checkpoint needs --train_dir")
        _require(self.eval_batch_size >= 1, f"--eval_batch_size={self.eval_batch_size} must be >= 1")

    @property
    def source_flag(self) -> str:
        return "--train_dir" if self.train_dir else "--saved_model"

    @property
    def source(self) -> str:
        return self.train_dir or self.saved_model


@dataclasses.dataclass(frozen=True)
class EmbeddingConfig(Checked):
    """An export's tracklet features and their distances, as match, identities and calibrate
    compute them."""

    saved_model: str = option("", "Directory written by dal_tf.export.")
    batch_size: int = option(128, "Frames per batch (memory is bounded by it).")
    pooling: str = option("max", "Pooling of frame features into a tracklet feature.", POOLINGS)
    reranking: RerankConfig = RerankConfig()

    def __post_init__(self):
        super().__post_init__()
        _require(self.batch_size >= 1, f"--batch_size={self.batch_size} must be >= 1")


def distance_limit(text: str, flag: str) -> float | None:
    """A --threshold / --max_distance value: None for empty (the export's calibrated one, if any),
    inf for "none" (no limit), else a number >= 0."""
    if text == "":
        return None
    if text.strip().lower() == "none":
        return float("inf")
    try:
        value = float(text)
    except ValueError:
        raise UserInputError(f"--{flag}={text!r} must be a distance (a number >= 0) or none") from None
    _require(value >= 0 and value == value, f"--{flag}={text!r} must be a distance (a number >= 0) or none")
    return value


@dataclasses.dataclass(frozen=True)
class MatchConfig(Checked):
    """What dal_tf.match ranks with an export: gallery tracklets for each query tracklet, or every
    tracklet of a folders data set against the other cameras' tracklets."""

    embedding: EmbeddingConfig = EmbeddingConfig()
    query: str = option("", "Directory of query tracklets, one folder of frames each.")
    gallery: str = option("", "Directory of gallery tracklets, one folder of frames each.")
    data_dir: str = option("", "Instead of --query/--gallery: a folders data set (DIR/<camera>/<tracklet>/<frames>, "
                           "or prepared); each tracklet is matched against every other camera's.")
    top_k: int = option(10, "Gallery tracklets listed per query.")
    max_distance: str = option("", "Gallery tracklets farther than this are no match, and a query with none close "
                               "enough gets \"no match\"; empty: the threshold dal_tf.calibrate wrote into the "
                               "export, if any; none: no limit.")
    csv: str = option("", "Also write query,rank,gallery,distance rows to this CSV file.")
    sheet: str = option("", "Also draw a contact sheet to this PNG: a row per query (one of its frames, then its "
                        "top-k with distances; green / red borders for true / false matches where identities are "
                        "known).")
    sheet_queries: int = option(8, "Queries (rows) on the contact sheet: the first N.")

    def __post_init__(self):
        super().__post_init__()
        _require(bool(self.embedding.saved_model), "--saved_model is required")
        _require(bool(self.data_dir) != bool(self.query or self.gallery),
                 "give --query and --gallery, or --data_dir (a folders data set), not both")
        _require(bool(self.data_dir) or (bool(self.query) and bool(self.gallery)),
                 "--query and --gallery go together")
        _require(self.top_k >= 1, f"--top_k={self.top_k} must be >= 1")
        distance_limit(self.max_distance, "max_distance")
        _require(self.sheet_queries >= 1, f"--sheet_queries={self.sheet_queries} must be >= 1")
        _require(not self.sheet or self.sheet.lower().endswith(".png"), f"--sheet={self.sheet} must end in .png")


@dataclasses.dataclass(frozen=True)
class GraphConfig(Checked):
    """The clustering graph of dal_tf.identities and score_identities."""

    neighbours: int = option(20, "Nearest tracklets each tracklet is linked to in the clustering graph (memory is "
                             "tracklets x neighbours).")
    neighbour_search: str = option("exact", "How neighbours are found: exact (block by block, N x N distances in "
                                   "all) or faiss (FAISS's approximate HNSW search, for hundreds of thousands of "
                                   "tracklets; pip install 'dal_tf[scale]').", ("exact", "faiss"))

    def __post_init__(self):
        super().__post_init__()
        _require(self.neighbours >= 1, f"--neighbours={self.neighbours} must be >= 1")


@dataclasses.dataclass(frozen=True)
class IdentitiesConfig(Checked):
    """What dal_tf.identities clusters: every tracklet of a folders data set into people across
    its cameras."""

    embedding: EmbeddingConfig = EmbeddingConfig()
    data_dir: str = option("", "A folders data set of two or more cameras (DIR/<camera>/<tracklet>/<frames>, or "
                           "prepared); its tracks.csv, where there is one, gives the time constraints and boxes.")
    out: str = option("", "Directory to write people.csv, summary.json, people.png and the per-camera files to.")
    threshold: str = option("", "The largest average distance at which tracklets are one person; empty: the "
                            "threshold dal_tf.calibrate wrote into the export, else one estimated from the footage.")
    graph: GraphConfig = GraphConfig()
    time_constraints: bool = option(True, "Refuse to join two tracklets of one camera that overlap in time "
                                    "(tracks.csv's frames).")
    videos: tuple[str, ...] = option((), "Also draw every box of CAMERA in its person's colour and number into "
                                     "OUT/videos/CAMERA.mp4: CAMERA (the video tracks.csv names) or CAMERA=VIDEO; "
                                     "once per camera.")
    sheet_people: int = option(40, "People (rows) on people.png: the first N, those seen by most cameras first.")

    def __post_init__(self):
        super().__post_init__()
        _require(bool(self.embedding.saved_model), "--saved_model is required")
        _require(bool(self.data_dir), "--data_dir is required (a folders data set)")
        _require(bool(self.out), "--out is required")
        distance_limit(self.threshold, "threshold")
        _require(self.sheet_people >= 1, f"--sheet_people={self.sheet_people} must be >= 1")


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
        _require(bool(self.embedding.saved_model), "--saved_model is required")
        _require(bool(self.data_dir), "--data_dir is required (a folders data set with identities.csv)")


@dataclasses.dataclass(frozen=True)
class CalibrateConfig(Checked):
    """What dal_tf.calibrate measures: the distances of same-person and different-person
    cross-camera pairs of a folders data set with identities."""

    embedding: EmbeddingConfig = EmbeddingConfig()
    data_dir: str = option("", "A folders data set with identities.csv, two or more cameras.")
    plot: str = option("calibration.png", "PNG to draw the two distance histograms and the ROC curve to.")
    false_match_rate: float = option(0.0, "The threshold written into the export: the one at this share of "
                                     "different-person pairs matched (e.g. 0.01); 0: the equal-error threshold.")
    write: bool = option(True, "Write the chosen threshold into the export's dal_tf_export.json.")

    def __post_init__(self):
        super().__post_init__()
        _require(bool(self.embedding.saved_model), "--saved_model is required")
        _require(bool(self.data_dir), "--data_dir is required (a folders data set with identities.csv)")
        _require(self.plot.lower().endswith(".png"), f"--plot={self.plot} must end in .png")
        _require(0 <= self.false_match_rate < 1, f"--false_match_rate={self.false_match_rate} must be in [0, 1)")


@dataclasses.dataclass(frozen=True)
class PrepareConfig(Checked):
    """What data_prep.prepare indexes, and how."""

    dataset: str = option("", "The data set as its owners distribute it, or folders (your own: "
                          "<src>/<camera>/<tracklet>/<frames>, optional identities.csv).", ("prid", "ilids", "mars", FOLDERS))
    src: str = option("", "The data set as distributed (see the README for each layout).")
    out: str = option("", "Directory to write the prepared index to.")
    splits: str = option("", "PRID / iLIDS-VID: a released DAL split folder, a torchreid .json or iLIDS-VID's .mat; "
                         "default: seeded halves (PRID), the official .mat in --src (iLIDS-VID).")
    seed: int = option(0, "Seed of PRID's random splits.")
    format: str = option("files", "tfrecord: also copy the frames into sharded TFRecords under --out (fast on "
                         "network file systems).", ("files", "tfrecord"))
    skip_corrupt: bool = option(False, "Drop unreadable frames (listed in the manifest) instead of stopping.")

    def __post_init__(self):
        _require(bool(self.dataset), f"--dataset is required: one of prid, ilids, mars, {FOLDERS}")
        super().__post_init__()
        _require(bool(self.src) and bool(self.out), "--src and --out are required")
        _require(not (self.dataset == "mars" and self.splits), "--splits does not apply to MARS, which has one "
                 "standard split")
        _require(not (self.dataset == FOLDERS and self.splits), f"--splits does not apply to {FOLDERS}: its test "
                 "people are chosen when training (--test_people, --test_fraction)")


def named_values(specs: tuple[str, ...], flag: str) -> dict[str, str]:
    """{camera: value} from repeated NAME=VALUE flags, in the order given."""
    values = {}
    for spec in specs:
        name, sep, value = spec.partition("=")
        _require(bool(sep and name and value), f"--{flag}={spec}: expected CAMERA=VALUE")
        _require(name not in values, f"--{flag}: camera {name!r} is given twice")
        _require(name not in (".", "..") and "/" not in name and os.sep not in name,
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
            _require(not unknown, f"--{flag} names cameras without a --video: {', '.join(sorted(unknown))}")
        _require(not self.tracks or len(self.tracks) == len(cameras),
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
        _require(bool(self.cameras.video), "--video=CAMERA=PATH is required, once per camera")
        _require(bool(self.out), "--out is required")
        unknown = set(named_values(self.ground_truth, "ground_truth")) - set(named_values(self.cameras.video, "video"))
        _require(not unknown, f"--ground_truth names cameras without a --video: {', '.join(sorted(unknown))}")
        _require(self.min_length >= 1 and self.frame_stride >= 1, "--min_length and --frame_stride must be >= 1")
        _require(self.min_box_height >= 1 and self.min_box_width >= 1,
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
        _require(bool(self.export), "--export is required")
        _require(bool(self.cameras.video) and bool(self.cameras.tracks),
                 "--video=CAMERA=PATH and --tracks=CAMERA=MOT.txt are required, once per camera")
        _require(bool(self.out), "--out is required")
        _require(self.crops_per_batch >= 1, f"--crops_per_batch={self.crops_per_batch} must be >= 1")


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
        _require(bool(self.out), "--out is required")
        _require(2 <= self.cameras <= 3, f"--cameras={self.cameras} must be 2 or 3")
        _require(self.people >= 1 and self.frames >= 2, "--people must be >= 1 and --frames >= 2")
        _require(self.height >= 96 and self.width >= 96, "--height and --width must be >= 96")
