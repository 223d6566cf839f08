"""The options of a training run (dal_tf.train): data, network, association, optimiser and the run."""

from __future__ import annotations

import dataclasses
import typing

from dal_tf.config.options import ASSOCIATION_RULES, BACKBONES, FOLDERS, POOLINGS, STRATEGIES, Checked, option, require


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
        require(0 <= self.test_fraction < 1, f"--test_fraction={self.test_fraction} must be in [0, 1)")
        require(not (self.test_people and self.test_fraction), "give --test_people or --test_fraction, not both")
        require(self.min_frames >= 1, f"--min_frames={self.min_frames} must be >= 1")
        if self.dataset != FOLDERS:
            for name in ("test_people", "test_fraction", "min_frames", "skip_corrupt"):
                field = next(f for f in dataclasses.fields(self) if f.name == name)
                require(getattr(self, name) == field.default, f"--{name} applies to --dataset={FOLDERS} only")


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
    parts: int = option(0, "Also split the last feature map into this many horizontal stripes, each pooled, with "
                        "anchor tables, association and losses of its own beside the global feature's (uPMnet); the "
                        "feature is then the global and stripe features, each l2-normalised, concatenated over "
                        "sqrt(parts + 1). At most the map's height: 4 at 128x64, 7 at 224x112, 8 at 256x128 "
                        "(uPMnet's input). 0: the global feature alone, as the release.")

    def __post_init__(self):
        super().__post_init__()
        require(self.parts >= 0, f"--parts={self.parts} must be >= 0 (0: off)")
        require(self.image_height >= 32 and self.image_width >= 32,
                 f"--image_height/--image_width must be >= 32, got {self.image_height}x{self.image_width}")
        require(0 <= self.batchnorm_decay < 1, f"--batchnorm_decay={self.batchnorm_decay} must be in [0, 1) "
                 "(0: the network's own)")
        require(self.alpha > 0, f"--alpha={self.alpha} must be > 0")
        require(self.backbone == "mobilenet" or self.alpha == 1.0, f"--alpha={self.alpha} applies to mobilenet only")
        require(self.weights != "imagenet" or self.alpha == 1.0,
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
                              "camera) | clusters (a tracklet's DBSCAN cluster of intra anchors, re-clustered every "
                              "--cluster_every steps, as its partners: Cluster Contrast's).", ASSOCIATION_RULES)
    association_ratio: float = option(0.9, "--association=ratio_test, debiased_ratio_test: largest ratio of the rank-1's to the rank-2's "
                                      "distance among the other cameras' anchors for a merge.")
    association_visits: int = option(3, "--association=persistent: consecutive visits on which a tracklet's cycle "
                                     "must close with the same partner before they merge.")
    cluster_every: int = option(200, "--association=clusters: steps between two clusterings of the intra anchors, "
                                "the first when the warm-up ends.")
    cluster_eps: float = option(0.6, "--association=clusters: DBSCAN's radius on the k-reciprocal Jaccard distance "
                                "(Cluster Contrast: 0.6).")
    cluster_k1: int = option(30, "--association=clusters: k1 of the k-reciprocal neighbourhoods (Cluster Contrast: "
                             "30, for many images a person; a tracklet's anchors are a few a person).")
    cluster_k2: int = option(6, "--association=clusters: k2, the neighbours averaged into each encoding (Cluster "
                             "Contrast: 6).")
    cluster_min_samples: int = option(4, "--association=clusters: DBSCAN's neighbours within the radius, itself "
                                      "included, of a core point (Cluster Contrast: 4).")
    loss: str = option("hinge", "The association loss: hinge (the release's L_I + L_C, Eq. 3, 6, 7) or contrast "
                       "(CAP's softmax terms over the same tables: the frame's own camera's intra anchors, then all "
                       "cameras' with its own row and the association's partners as positives against the "
                       "--hard_negatives most similar others).", ("hinge", "contrast"))
    temperature: float = option(0.07, "--loss=contrast: softmax temperature on cosine similarities (CAP: 0.07).")
    hard_negatives: int = option(50, "--loss=contrast: negatives of the cross-camera term, the most similar "
                                 "rows that are not the frame's positives (CAP: 50).")

    def __post_init__(self):
        super().__post_init__()
        require(self.margin >= 0, f"--margin={self.margin} must be >= 0")
        require(0 < self.eta <= 1, f"--eta={self.eta} must be in (0, 1]")
        require(self.lambda_cross >= 0, f"--lambda_cross={self.lambda_cross} must be >= 0")
        require(self.association_visits >= 1, f"--association_visits={self.association_visits} must be >= 1")
        require(0 < self.association_ratio <= 1, f"--association_ratio={self.association_ratio} must be in (0, 1]")
        require(self.cluster_every >= 1, f"--cluster_every={self.cluster_every} must be >= 1")
        require(0 < self.cluster_eps < 1, f"--cluster_eps={self.cluster_eps} must be in (0, 1)")
        require(self.cluster_k1 >= 1 and 1 <= self.cluster_k2 <= self.cluster_k1 + 1,
                f"--cluster_k1={self.cluster_k1}, --cluster_k2={self.cluster_k2}: need k1 >= 1 and 1 <= k2 <= k1 + 1")
        require(self.cluster_min_samples >= 1, f"--cluster_min_samples={self.cluster_min_samples} must be >= 1")
        require(self.temperature > 0, f"--temperature={self.temperature} must be > 0")
        require(self.hard_negatives >= 1, f"--hard_negatives={self.hard_negatives} must be >= 1")


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
        require(self.learning_rate >= 0 and self.weight_decay >= 0 and self.clip_value > 0,
                 "--learning_rate and --weight_decay must be >= 0 and --clip_value > 0")
        require(0 <= self.ema_decay < 1, f"--ema_decay={self.ema_decay} must be in [0, 1)")


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
    augment: bool = option(False, "Random flip, pad-and-crop and erasing of the training frames (CAP's and Cluster "
                           "Contrast's recipe), the same for a seed however the run is resumed; off: none, as the "
                           "release.")
    precise_bn: int = option(0, "After the last step, before the final evaluation and the export: re-estimate "
                             "BatchNorm's moving statistics under the EMA weights as plain averages over this many "
                             "training batches (PreciseBN, as fast-reid and Detectron2); 0: off, as the release.")

    def __post_init__(self):
        super().__post_init__()
        require(0 <= self.label_smoothing < 1, f"--label_smoothing={self.label_smoothing} must be in [0, 1)")
        require(self.batch_size >= 2, f"--batch_size={self.batch_size} must be >= 2")
        require(self.max_steps >= -1, f"--max_steps={self.max_steps} must be >= 0 (or -1 for the data set's default)")
        require(self.checkpoint_every >= 1 and self.log_every >= 1, "--checkpoint_every and --log_every must be >= 1")
        require(self.eval_batch_size >= 1, f"--eval_batch_size={self.eval_batch_size} must be >= 1")
        require(self.precise_bn >= 0, f"--precise_bn={self.precise_bn} must be >= 0 (0: off)")
        require(self.objective == "dal" or not self.model.parts, "--parts applies to --objective=dal only")

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
