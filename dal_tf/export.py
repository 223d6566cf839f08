"""Export a trained run's EMA weights as a SavedModel that needs neither dal_tf nor the data set.

    python -m dal_tf.export --train_dir=runs/demo --out=exports/demo

Signatures (uint8 RGB frames of any size; resized to the training size inside):
    embed_frames(images [N, H, W, 3]) -> {"embeddings": [N, D]}  l2-normalised frame features
    embed_tracklet(images [T, H, W, 3]) -> {"embedding": [D]}     l2-normalised max over the frames

An existing --out that a previous export wrote (it holds dal_tf_export.json) is replaced; any other
existing path is refused.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import tensorflow as tf  # noqa: E402
from absl import app, flags  # noqa: E402

from dal_tf import association, backbones, features, flag_defs, input_pipeline, training  # noqa: E402
from dal_tf.config import TrainConfig  # noqa: E402
from dal_tf.errors import UserInputError  # noqa: E402
from dal_tf.io_utils import atomic_directory, atomic_write_json  # noqa: E402
from dal_tf.model import DALModel  # noqa: E402

METADATA = features.EXPORT_METADATA

flags.DEFINE_string("train_dir", None, "Training run to export (its latest checkpoint).")
flags.DEFINE_string("out", None, "SavedModel directory to write.")
flags.mark_flags_as_required(["train_dir", "out"])

FLAGS = flags.FLAGS


def export_saved_model(model: DALModel, config: TrainConfig, out_dir: str, *, step: int) -> dict:
    """Writes `model`'s EMA weights as a SavedModel at out_dir (atomically); returns the metadata."""
    out_dir = os.path.abspath(out_dir)
    if os.path.lexists(out_dir) and not os.path.isfile(os.path.join(out_dir, METADATA)):
        raise UserInputError(f"--out={out_dir} exists and is not a dal_tf export; choose a new path")
    m = config.model
    backbone = model.backbone

    def embed(images):
        frames = input_pipeline.prepare_frames(images, m.image_height, m.image_width)
        return association.l2_normalize(backbone(frames, training=False))

    frames_spec = tf.TensorSpec([None, None, None, 3], tf.uint8, name="images")
    module = tf.Module()
    module.backbone = backbone  # tracks the variables the functions capture
    module.embed_frames = tf.function(lambda images: {"embeddings": embed(images)}, input_signature=[frames_spec])
    module.embed_tracklet = tf.function(
        lambda images: {"embedding": association.l2_normalize(tf.reduce_max(embed(images), axis=0))},
        input_signature=[frames_spec],
    )
    metadata = dict(backbone=m.backbone, alpha=m.alpha, image_height=m.image_height, image_width=m.image_width,
                    feature_dim=backbones.feature_dim(backbone), step=step, weights="ema", input="uint8 RGB",
                    dataset=config.data.dataset, split=config.data.split)

    with atomic_directory(out_dir) as tmp:
        # Variables are saved with the values they hold now: the averages.
        with model.averaged_weights():
            tf.saved_model.save(module, tmp, signatures={
                "embed_frames": module.embed_frames, "embed_tracklet": module.embed_tracklet,
            })
        atomic_write_json(os.path.join(tmp, METADATA), metadata)
    return metadata


def export():
    checkpoint = training.latest_checkpoint(FLAGS.train_dir)
    model, config = training.restore_for_inference(FLAGS.train_dir, checkpoint)
    metadata = export_saved_model(model, config, FLAGS.out, step=training.checkpoint_step(checkpoint))
    print(f"exported {checkpoint} (EMA weights, {metadata['feature_dim']}-d) to {os.path.abspath(FLAGS.out)}")


if __name__ == "__main__":
    app.run(flag_defs.entry_point("dal_tf.export", export))
