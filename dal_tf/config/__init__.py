"""Plain configuration objects, and the one definition of every option: its default, its help and
its choices live in the fields of these objects, a file per subject. Entry points turn the fields
into absl flags (command_line.define_flags) and the parsed flags back into these objects; nothing
below them reads FLAGS. Each object checks its values once, when it is made.

Every config object is importable from here: `from dal_tf.config import TrainConfig`.
"""

from dal_tf.config.data_prep import (CameraVideos, FeaturesConfig, PrepareConfig, SyntheticVideoConfig, TrackletsConfig,
                                     named_values)
from dal_tf.config.deploy import EXPORT_INPUTS, ExportConfig
from dal_tf.config.evaluation import EmbeddingConfig, EvalRequest, MatchConfig, RerankConfig, distance_limit
from dal_tf.config.options import (ASSOCIATION_RULES, BACKBONES, FOLDERS, POOLINGS, PROBE_CAMS, PROTOCOLS, STRATEGIES,
                                   Checked, default_cache_dir, option)
from dal_tf.config.people import CalibrateConfig, GraphConfig, IdentitiesConfig, ScoreIdentitiesConfig
from dal_tf.config.training import AssociationConfig, DataConfig, ModelConfig, OptimConfig, TrainConfig

__all__ = [
    "ASSOCIATION_RULES", "BACKBONES", "FOLDERS", "POOLINGS", "PROBE_CAMS", "PROTOCOLS", "STRATEGIES",
    "AssociationConfig", "CalibrateConfig", "CameraVideos", "Checked", "DataConfig", "EmbeddingConfig",
    "EvalRequest", "EXPORT_INPUTS", "ExportConfig", "FeaturesConfig", "GraphConfig", "IdentitiesConfig", "MatchConfig", "ModelConfig",
    "OptimConfig", "PrepareConfig", "RerankConfig", "ScoreIdentitiesConfig", "SyntheticVideoConfig",
    "TrackletsConfig", "TrainConfig", "default_cache_dir", "distance_limit", "named_values", "option",
]
