"""Checkpoints of a training run: what they hold, restoring them to resume, and reading only the
network back for inference (evaluate, export) without the anchor tables or the optimiser."""

from __future__ import annotations

import os

import tensorflow as tf

from dal_tf.association.model import DALModel, EmbeddingModel
from dal_tf.association.tables import AnchorTables
from dal_tf.config import TrainConfig
from dal_tf.networks import backbones
from dal_tf.networks.weight_average import WeightAverage
from dal_tf.runs.run_files import read_config
from dal_tf.utils.errors import UserInputError

CHECKPOINTS = "checkpoints"  # the directory under --train_dir
ANCHORS = "anchors"  # the anchor tables' name in a checkpoint


def _restored_at_once(model: EmbeddingModel) -> dict:
    """The parts of the training state a resumed run restores together: all but the anchor tables."""
    return dict(model=model, ema=model.ema, optimizer=model.optimizer)


def checkpoint_for(model: EmbeddingModel) -> tf.train.Checkpoint:
    """The whole training state: network, EMA weights, optimiser, anchor tables (DAL), step."""
    parts = _restored_at_once(model)
    if isinstance(model, DALModel):
        parts.update(named_tables(model.tables()))
    return tf.train.Checkpoint(**parts)


def named_tables(tables: list[AnchorTables]) -> dict[str, AnchorTables]:
    """DALModel.tables() by their names in a checkpoint: the global feature's, then --parts' each."""
    return {ANCHORS if i == 0 else f"{ANCHORS}_part{i}": t for i, t in enumerate(tables)}


def restore_training_state(checkpoint: tf.train.Checkpoint, model: EmbeddingModel, path: str):
    """Restores checkpoint, which is checkpoint_for(model), from path: the anchor tables one at a
    time, everything else at once."""
    others = tf.train.Checkpoint(**_restored_at_once(model))
    others.restore(path).expect_partial().assert_existing_objects_matched()
    checkpoint.save_counter.assign(others.save_counter)
    if isinstance(model, DALModel):
        for name, tables in named_tables(model.tables()).items():
            restore_anchor_tables(tables, path, name)


def restore_anchor_tables(anchors: AnchorTables, path: str, name: str = ANCHORS):
    """Restores the tables saved as `name` one after the other, the association rule's own state
    tables too. A checkpoint restores all it holds at once, each restored value next to the
    variable it replaces; with tables of millions of rows, one at a time keeps that extra memory to
    one table (benchmarks/bench_anchor_scaling.py)."""
    holders = []
    for table in ("intra", "cross", "cross_partner"):
        holders.append(tf.Module())
        setattr(holders[-1], table, getattr(anchors, table))
    for table, variable in anchors.state.items():
        holders.append(tf.Module())
        holders[-1].state = {table: variable}
    for holder in holders:
        tf.train.Checkpoint(**{name: holder}).restore(path).expect_partial().assert_existing_objects_matched()


def latest_checkpoint(train_dir: str) -> str:
    directory = os.path.join(train_dir, CHECKPOINTS)
    path = tf.train.latest_checkpoint(directory)
    if not path:
        raise UserInputError(f"--train_dir={train_dir} has no checkpoint in {directory}; train it first")
    return path


def checkpoint_step(path: str) -> int:
    """train_loop numbers each checkpoint with its step."""
    return int(path.rsplit("-", 1)[1])


class TrainedNetwork(tf.Module):
    """What inference needs of a run: the backbone and its EMA weights. It matches the `model`
    node of a training checkpoint (whose backbone and ema it names alike) and nothing else."""

    def __init__(self, backbone, ema_decay: float):
        super().__init__(name="model")
        self.backbone = backbone
        self.ema = WeightAverage(backbone.trainable_variables, ema_decay)

    def __call__(self, images, training=False):
        return self.backbone(images, training=training)

    def averaged_weights(self):
        """Context in which the backbone holds its EMA weights (what the release evaluates)."""
        return self.ema.applied(self.backbone.trainable_variables)


def restore_for_inference(train_dir: str, checkpoint: str = "") -> tuple[TrainedNetwork, TrainConfig]:
    """The network of a training run at `checkpoint` (default: the latest), without its data set,
    optimiser or anchor tables; its EMA weights are in `network.averaged_weights()`."""
    checkpoint = checkpoint or latest_checkpoint(train_dir)
    config = read_config(train_dir)
    m = config.model
    # The checkpoint holds every weight: no ImageNet download or weights file needed.
    backbone = backbones.build_backbone(m.backbone, "none", m.image_height, m.image_width, m.alpha,
                                        batchnorm_decay=m.batchnorm_decay, parts=m.parts)
    network = TrainedNetwork(backbone, config.optim.ema_decay)
    tf.train.Checkpoint(model=network).restore(checkpoint).expect_partial().assert_existing_objects_matched()
    return network, config
