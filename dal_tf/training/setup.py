"""The model a training run trains, sized by its data set, with its optimiser; and run_info.json,
what a run records about its data beyond config.json."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from dal_tf import __version__
from dal_tf.association import ranking
from dal_tf.association.model import DALModel, EmbeddingModel, SupervisedModel
from dal_tf.config import TrainConfig
from dal_tf.datasets.base import ReidDataset, TrackletSet
from dal_tf.networks import backbones
from dal_tf.training import distribution, schedules


def anchor_person_ids(tracklets: TrackletSet) -> np.ndarray:
    """Person id of each anchor row (camera offset + index), -1 where unknown; monitoring only."""
    offsets = ranking.camera_offsets(tracklets.tracklets_per_camera)
    ids = np.full(len(tracklets), -1, np.int64)
    for t in tracklets.tracklets:
        ids[offsets[t.camera] + t.index] = -1 if t.person_id is None else t.person_id
    return ids


def person_classes(person_ids: np.ndarray) -> tuple[np.ndarray, int]:
    """Each anchor row's class (its person's position among the sorted training ids), and the
    number of classes: the labels of the ID-supervised counterpart."""
    people, classes = np.unique(person_ids, return_inverse=True)
    return classes.astype(np.int64), len(people)


def run_info(dataset: ReidDataset) -> dict:
    """The anchor table sizes, and the training people: the data set's name and the person ids of
    its training tracklets (held back like all person ids; only evaluation reads them, to refuse
    testing on people the model trained on)."""
    people = sorted({int(p) for p in dataset.train.person_ids() if p >= 0})
    return dict(tracklets_per_camera=[int(n) for n in dataset.train.tracklets_per_camera],
                training_people=dict(dataset=dataset.name, person_ids=people), dal_tf_version=__version__)


def build_model(config: TrainConfig, dataset: ReidDataset, max_steps: int,
                strategy: tf.distribute.Strategy | None = None, log=print) -> EmbeddingModel:
    """The model of config.objective and its optimiser, with their variables placed by `strategy`
    (default: one device)."""
    strategy = strategy or tf.distribute.get_strategy()
    m, optim = config.model, config.optim
    # Mixed precision: the backbone computes in float16; anchors, distances and losses stay float32.
    keras.mixed_precision.set_global_policy("mixed_float16" if config.mixed_precision else "float32")
    person_ids = anchor_person_ids(dataset.train)
    with strategy.scope():
        backbone = backbones.build_backbone(m.backbone, m.weights, m.image_height, m.image_width, m.alpha,
                                            batchnorm_decay=m.batchnorm_decay,
                                            restore_moving_statistics=m.restore_moving_statistics, parts=m.parts,
                                            log=log)
        if strategy.num_replicas_in_sync > 1:
            backbone = distribution.with_synchronized_batchnorm(backbone)
        if config.objective == "supervised":
            row_classes, num_classes = person_classes(person_ids)
            model = SupervisedModel(backbone, row_classes, num_classes, label_smoothing=config.label_smoothing,
                                    weight_decay=optim.weight_decay, ema_decay=optim.ema_decay,
                                    tracklets_per_camera=dataset.train.tracklets_per_camera)
        else:
            model = DALModel(backbone, dataset.train.tracklets_per_camera, config.association,
                             warmup_steps=schedules.warmup_steps(config, dataset), weight_decay=optim.weight_decay,
                             ema_decay=optim.ema_decay, anchor_person_ids=person_ids)
        optimizer = schedules.build_optimizer(config, dataset, max_steps)
        if config.mixed_precision:
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        model.compile(optimizer=optimizer)
        model.optimizer.build(model.trained_variables())
    return model
