"""A trained network's EMA weights as a SavedModel that needs neither dal_tf nor the data set.

Signatures (uint8 RGB frames of any size; resized to the training size inside, as in training):
    embed_frames(images [N, H, W, 3]) -> {"embeddings": [N, D]}  l2-normalised frame features
    embed_tracklet(images [T, H, W, 3]) -> {"embedding": [D]}     l2-normalised max over the frames

METADATA beside saved_model.pb records the network, input size, feature size and parts, step, data set,
split, the other data settings (folders: the test people and filters) and the training people.
"""

from __future__ import annotations

import dataclasses
import os

import tensorflow as tf

from dal_tf.association import ranking
from dal_tf.config import TrainConfig
from dal_tf.datasets import input_pipeline
from dal_tf.networks import backbones, parts
from dal_tf.runs.checkpoints import TrainedNetwork
from dal_tf.utils.atomic_io import atomic_directory, atomic_write_json
from dal_tf.utils.errors import UserInputError

METADATA = "dal_tf_export.json"


def export_metadata(model: TrainedNetwork, config: TrainConfig, *, step: int, training_people: dict) -> dict:
    """What every export's dal_tf_export.json says of the run and the embedding; the format adds
    its file and input."""
    from dal_tf import __version__

    m = config.model
    return dict(backbone=m.backbone, alpha=m.alpha, image_height=m.image_height, image_width=m.image_width,
                feature_dim=backbones.feature_dim(model.backbone), step=step, weights="ema",
                dataset=config.data.dataset, split=config.data.split, training_people=training_people,
                data=dataclasses.asdict(dataclasses.replace(config.data, data_dir="")),
                association=config.association.association, objective=config.objective,
                parts=m.parts, output=dict(name="features", dim=backbones.feature_dim(model.backbone),
                                           l2_normalised=True, layout=parts.layout(m.parts)),
                pooling="tracklets: the max over their l2-normalised frame features, then l2-normalised",
                dal_tf_version=__version__)


def export_saved_model(model: TrainedNetwork, config: TrainConfig, out_dir: str, *, step: int,
                       training_people: dict) -> dict:
    """Writes `model`'s EMA weights as a SavedModel at out_dir (atomically); returns the metadata,
    which keeps the run's training people so that evaluate refuses to test the export on them."""
    out_dir = os.path.abspath(out_dir)
    refuse_foreign(out_dir)
    m = config.model
    backbone = model.backbone

    def embed(images):
        frames = input_pipeline.prepare_frames(images, m.image_height, m.image_width)
        return ranking.l2_normalize(backbone(frames, training=False))

    frames_spec = tf.TensorSpec([None, None, None, 3], tf.uint8, name="images")
    module = tf.Module()
    module.backbone = backbone  # tracks the variables the functions capture
    module.embed_frames = tf.function(lambda images: {"embeddings": embed(images)}, input_signature=[frames_spec])
    module.embed_tracklet = tf.function(
        lambda images: {"embedding": ranking.l2_normalize(tf.reduce_max(embed(images), axis=0))},
        input_signature=[frames_spec],
    )
    metadata = dict(export_metadata(model, config, step=step, training_people=training_people), format="saved_model",
                    input="uint8 RGB", resize="inside the graph: any frame size, TF1's legacy bilinear rule")

    with atomic_directory(out_dir) as tmp:
        # Variables are saved with the values they hold now: the averages.
        with model.averaged_weights():
            tf.saved_model.save(module, tmp, signatures={
                "embed_frames": module.embed_frames, "embed_tracklet": module.embed_tracklet,
            })
        atomic_write_json(os.path.join(tmp, METADATA), metadata)
    return metadata


def refuse_foreign(out_dir: str):
    """An existing --out is replaced only where an earlier export wrote it."""
    if os.path.lexists(out_dir) and not os.path.isfile(os.path.join(out_dir, METADATA)):
        raise UserInputError(f"--out={out_dir} exists and is not a dal_tf export; choose a new path")
