"""The options of evaluation and matching (dal_tf.evaluate, dal_tf.match): re-ranking, the embedding
an export gives, and distance limits."""

from __future__ import annotations

import dataclasses

from dal_tf.config.options import POOLINGS, PROBE_CAMS, PROTOCOLS, Checked, option, require
from dal_tf.utils.errors import UserInputError


@dataclasses.dataclass(frozen=True)
class RerankConfig(Checked):
    """k-reciprocal re-ranking of the gallery for each query (dal_tf.evaluation.reranking); the paper's k1, k2
    and lambda by default."""

    rerank: bool = option(False, "Rank the gallery by k-reciprocal re-ranked distances (Zhong et al., CVPR 2017) "
                          "instead of Euclidean ones.")
    rerank_k1: int = option(20, "--rerank: size of the k-reciprocal neighbourhoods (k1).")
    rerank_k2: int = option(6, "--rerank: neighbours averaged in the local query expansion (k2; 1: none).")
    rerank_lambda: float = option(0.3, "--rerank: weight of the original distance beside the Jaccard distance.")

    def __post_init__(self):
        super().__post_init__()
        require(self.rerank_k1 >= 1, f"--rerank_k1={self.rerank_k1} must be >= 1")
        require(1 <= self.rerank_k2 <= self.rerank_k1 + 1,
                 f"--rerank_k2={self.rerank_k2} must be in [1, --rerank_k1 + 1 = {self.rerank_k1 + 1}]")
        require(0 <= self.rerank_lambda <= 1, f"--rerank_lambda={self.rerank_lambda} must be in [0, 1]")


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
        require(bool(self.train_dir) != bool(self.saved_model), "give exactly one of --train_dir and --saved_model")
        require(not self.checkpoint or bool(self.train_dir), "--checkpoint needs --train_dir")
        require(self.eval_batch_size >= 1, f"--eval_batch_size={self.eval_batch_size} must be >= 1")

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
    debias_cameras: bool = option(False, "Subtract each camera's mean tracklet feature, then normalise again, "
                                  "before the distances: a camera's light and colour shift all its tracklets alike.")

    def __post_init__(self):
        super().__post_init__()
        require(self.batch_size >= 1, f"--batch_size={self.batch_size} must be >= 1")


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
    require(value >= 0 and value == value, f"--{flag}={text!r} must be a distance (a number >= 0) or none")
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
        require(bool(self.embedding.saved_model), "--saved_model is required")
        require(bool(self.data_dir) != bool(self.query or self.gallery),
                 "give --query and --gallery, or --data_dir (a folders data set), not both")
        require(bool(self.data_dir) or (bool(self.query) and bool(self.gallery)),
                 "--query and --gallery go together")
        require(self.top_k >= 1, f"--top_k={self.top_k} must be >= 1")
        distance_limit(self.max_distance, "max_distance")
        require(self.sheet_queries >= 1, f"--sheet_queries={self.sheet_queries} must be >= 1")
        require(not self.sheet or self.sheet.lower().endswith(".png"), f"--sheet={self.sheet} must end in .png")
