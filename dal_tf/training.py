"""DAL training from a TrainConfig: data, model, optimiser, checkpoints, logging, evaluation."""

from __future__ import annotations

import json
import os
import shutil
import sys
import time

import keras
import numpy as np
import tensorflow as tf

from dal_tf import association, backbones, distribution, evaluation, features, input_pipeline
from dal_tf.config import TrainConfig
from dal_tf.datasets import registry
from dal_tf.datasets.base import ReidDataset, TrackletSet
from dal_tf.errors import UserInputError
from dal_tf.io_utils import atomic_write_json
from dal_tf.model import AnchorTables, DALModel, EmbeddingModel, SupervisedModel

# Settings that fix the shape of what a checkpoint holds or what its anchors mean: a rerun in the
# same --train_dir must agree on them to resume.
RESUME_KEYS = ("data", "model", "association", "batch_size", "seed", "objective", "mixed_precision")
RUN_INFO = "run_info.json"


def steps_per_epoch(num_frames: int, batch_size: int) -> int:
    """As the release: an epoch is num_samples / batch_size steps, num_samples being frames."""
    return max(1, num_frames // batch_size)


def build_optimizer(config: TrainConfig, dataset: ReidDataset, max_steps: int) -> keras.optimizers.Optimizer:
    """The release's schedules: RMSProp with staircase decay (PRID, iLIDS-VID) or SGD Nesterov
    with a tenfold drop at half the steps (MARS); element-wise clipping on both."""
    optim = config.optim
    name = dataset.optimizer if optim.optimizer == "auto" else optim.optimizer
    epoch = steps_per_epoch(dataset.train.num_frames, config.batch_size)
    if name == "rmsprop":
        schedule = keras.optimizers.schedules.ExponentialDecay(
            optim.learning_rate or 0.045, decay_steps=max(1, int(epoch * optim.epochs_per_decay)),
            decay_rate=optim.lr_decay_factor, staircase=True,
        )
        return keras.optimizers.RMSprop(schedule, rho=0.9, momentum=0.9, epsilon=1.0, clipvalue=optim.clip_value)
    base = optim.learning_rate or 0.01
    schedule = keras.optimizers.schedules.PiecewiseConstantDecay([max(1, max_steps // 2)], [base, base / 10])
    return keras.optimizers.SGD(schedule, momentum=0.9, nesterov=True, clipvalue=optim.clip_value)


def anchor_person_ids(tracklets: TrackletSet) -> np.ndarray:
    """Person id of each anchor row (camera offset + index), -1 where unknown; monitoring only."""
    offsets = association.camera_offsets(tracklets.tracklets_per_camera)
    ids = np.full(len(tracklets), -1, np.int64)
    for t in tracklets.tracklets:
        ids[offsets[t.camera] + t.index] = -1 if t.person_id is None else t.person_id
    return ids


def person_classes(person_ids: np.ndarray) -> tuple[np.ndarray, int]:
    """Each anchor row's class (its person's position among the sorted training ids), and the
    number of classes: the labels of the ID-supervised counterpart."""
    people, classes = np.unique(person_ids, return_inverse=True)
    return classes.astype(np.int64), len(people)


def build_model(config: TrainConfig, dataset: ReidDataset, max_steps: int, info: dict,
                strategy: tf.distribute.Strategy | None = None, log=print) -> EmbeddingModel:
    """The model (sized by run_info) and its optimiser, with their variables placed by `strategy`
    (default: one device)."""
    strategy = strategy or tf.distribute.get_strategy()
    m = config.model
    # Mixed precision: the backbone computes in float16; anchors, distances and losses stay float32.
    keras.mixed_precision.set_global_policy("mixed_float16" if config.mixed_precision else "float32")
    with strategy.scope():
        backbone = backbones.build_backbone(m.backbone, m.weights, m.image_height, m.image_width, m.alpha,
                                            batchnorm_decay=m.batchnorm_decay,
                                            restore_moving_statistics=m.restore_moving_statistics, log=log)
        if strategy.num_replicas_in_sync > 1:
            backbone = distribution.with_synchronized_batchnorm(backbone)
        model = model_for(config, backbone, info, steps_per_epoch(dataset.train.num_frames, config.batch_size),
                          dataset.warmup_epochs, anchor_person_ids(dataset.train))
        optimizer = build_optimizer(config, dataset, max_steps)
        if config.mixed_precision:
            optimizer = keras.optimizers.LossScaleOptimizer(optimizer)
        model.compile(optimizer=optimizer)
        model.optimizer.build(model.trained_variables())
    return model


def model_for(config: TrainConfig, backbone, info: dict, epoch_steps: int, dataset_warmup_epochs: float,
              person_ids: np.ndarray | None = None) -> EmbeddingModel:
    """The model an objective trains, sized by run_info (inference needs no data set)."""
    optim = config.optim
    if config.objective == "supervised":
        row_classes = np.asarray(info["row_classes"], np.int64)
        return SupervisedModel(backbone, row_classes, info["num_classes"], label_smoothing=config.label_smoothing,
                               weight_decay=optim.weight_decay, ema_decay=optim.ema_decay,
                               tracklets_per_camera=info["tracklets_per_camera"])
    warmup_epochs = dataset_warmup_epochs if config.warmup_epochs < 0 else config.warmup_epochs
    return DALModel(backbone, info["tracklets_per_camera"], config.association,
                    warmup_steps=int(warmup_epochs * epoch_steps), weight_decay=optim.weight_decay,
                    ema_decay=optim.ema_decay, anchor_person_ids=person_ids)


ANCHORS = "anchors"  # the anchor tables' name in a checkpoint


def checkpoint_for(model: EmbeddingModel, *, optimizer: bool = True, anchors: bool = True) -> tf.train.Checkpoint:
    """The whole training state by default; inference needs neither the optimizer nor the anchor
    tables (restore a checkpoint that leaves parts out with expect_partial)."""
    parts = dict(model=model, ema=model.ema)
    if optimizer:
        parts["optimizer"] = model.optimizer
    if anchors and isinstance(model, DALModel):
        parts[ANCHORS] = model.anchors
    return tf.train.Checkpoint(**parts)


def restore_training_state(checkpoint: tf.train.Checkpoint, model: EmbeddingModel, path: str):
    """Restores checkpoint, which is checkpoint_for(model), from path: the anchor tables one at a
    time, everything else at once."""
    others = checkpoint_for(model, anchors=False)
    others.restore(path).expect_partial().assert_existing_objects_matched()
    checkpoint.save_counter.assign(others.save_counter)
    if isinstance(model, DALModel):
        restore_anchor_tables(model.anchors, path)


def restore_anchor_tables(anchors: AnchorTables, path: str):
    """Restores the tables saved as ANCHORS one after the other. A checkpoint restores all it holds
    at once, each restored value next to the variable it replaces; with tables of millions of
    rows, one at a time keeps that extra memory to one table (benchmarks/bench_anchor_scaling.py)."""
    for name in ("intra", "cross", "cross_partner"):
        holder = tf.Module()
        setattr(holder, name, getattr(anchors, name))
        tf.train.Checkpoint(**{ANCHORS: holder}).restore(path).expect_partial().assert_existing_objects_matched()


def run_info(dataset: ReidDataset, config: TrainConfig) -> dict:
    """What rebuilding the model's variables needs beyond config.json: the anchor table sizes and,
    for the supervised counterpart, the classes."""
    info = dict(tracklets_per_camera=[int(n) for n in dataset.train.tracklets_per_camera])
    if config.objective == "supervised":
        row_classes, num_classes = person_classes(anchor_person_ids(dataset.train))
        info.update(row_classes=row_classes.tolist(), num_classes=num_classes)
    return info


def latest_checkpoint(train_dir: str) -> str:
    directory = os.path.join(train_dir, "checkpoints")
    path = tf.train.latest_checkpoint(directory)
    if not path:
        raise UserInputError(f"--train_dir={train_dir} has no checkpoint in {directory}; train it first")
    return path


def checkpoint_step(path: str) -> int:
    """train_loop numbers each checkpoint with its step."""
    return int(path.rsplit("-", 1)[1])


def read_run_json(train_dir: str, name: str) -> dict:
    path = os.path.join(train_dir, name)
    try:
        with open(path) as handle:
            return json.load(handle)
    except (OSError, ValueError) as error:
        raise UserInputError(f"--train_dir={train_dir}: cannot read {name} ({error})".splitlines()[0]) from error


def restore_for_inference(train_dir: str, checkpoint: str = "") -> tuple[EmbeddingModel, TrainConfig]:
    """The model of a training run from `checkpoint` (default: the latest), without its data set
    or optimizer; its EMA weights are in `model.averaged_weights()`."""
    checkpoint = checkpoint or latest_checkpoint(train_dir)
    try:
        config = TrainConfig.from_dict(read_run_json(train_dir, "config.json"))
    except TypeError as error:
        raise UserInputError(f"--train_dir={train_dir}: config.json does not fit this dal_tf ({error})") from error
    info = read_run_json(train_dir, RUN_INFO)
    m = config.model
    # The checkpoint holds every weight: no ImageNet download or weights file needed.
    backbone = backbones.build_backbone(m.backbone, "none", m.image_height, m.image_width, m.alpha,
                                        batchnorm_decay=m.batchnorm_decay)
    model = model_for(config, backbone, info, epoch_steps=1, dataset_warmup_epochs=0.0)
    inference_parts = checkpoint_for(model, optimizer=False, anchors=False)
    inference_parts.restore(checkpoint).expect_partial().assert_existing_objects_matched()
    return model, config


def check_resumable(config: TrainConfig, train_dir: str):
    """Refuses to resume a --train_dir written with settings that change the checkpoint."""
    if not os.path.exists(os.path.join(train_dir, "config.json")):
        return
    saved = read_run_json(train_dir, "config.json")
    current = config.to_dict()
    for key in RESUME_KEYS:
        if saved.get(key) != current[key]:
            raise UserInputError(
                f"--train_dir={train_dir} holds a run with other {key} settings ({saved.get(key)} vs {current[key]}); "
                "use a new --train_dir"
            )


def labelled_frames(dataset: ReidDataset, config: TrainConfig) -> tf.data.Dataset:
    """Every training frame once, with its camera and index (anchor initialisation)."""
    paths, cameras, indices, _ = dataset.train.frame_table()
    m = config.model
    images = input_pipeline.frames_dataset(paths, config.eval_batch_size, m.image_height, m.image_width,
                                           dataset.read_frame)
    labels = tf.data.Dataset.from_tensor_slices((cameras, indices)).batch(config.eval_batch_size)
    return tf.data.Dataset.zip(images, labels).map(lambda x, y: (x, y[0], y[1]))


def resolve_max_steps(config: TrainConfig, dataset: ReidDataset) -> int:
    return dataset.release_steps if config.max_steps < 0 else config.max_steps


def run(config: TrainConfig, log=print) -> dict:
    """Trains (resuming from the latest checkpoint in config.train_dir) and evaluates the test split
    (on the chief worker only: the others return just the step)."""
    if config.deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(config.seed)
    dataset = registry.load(config.data)
    max_steps = resolve_max_steps(config, dataset)
    check_resumable(config, config.train_dir)
    strategy = distribution.make_strategy(config.strategy)
    if config.batch_size % strategy.num_replicas_in_sync:
        raise UserInputError(f"--batch_size={config.batch_size} (the global batch) must divide evenly among "
                             f"{strategy.num_replicas_in_sync} replicas")
    chief = distribution.is_chief(strategy)
    info = run_info(dataset, config)
    model = build_model(config, dataset, max_steps, info, strategy, log)

    checkpoint = checkpoint_for(model)
    # Saving is collective: the other workers of a cluster write to a scratch directory of their own.
    directory = os.path.join(config.train_dir, "checkpoints" if chief else f".worker-{os.getpid()}")
    manager = tf.train.CheckpointManager(checkpoint, directory, max_to_keep=3)
    restore_from = tf.train.latest_checkpoint(os.path.join(config.train_dir, "checkpoints"))
    if restore_from:
        restore_training_state(checkpoint, model, restore_from)
        log(f"resumed from {restore_from} at step {int(model.step.numpy())}")
    if chief:
        atomic_write_json(os.path.join(config.train_dir, "config.json"), config.to_dict())
        atomic_write_json(os.path.join(config.train_dir, RUN_INFO), info)
    start = int(model.step.numpy())
    describe(dataset, config, max_steps, model, log)

    if start == 0 and max_steps > 0 and isinstance(model, DALModel) and config.association.anchor_init == "mean":
        log("initialising anchors with each tracklet's mean frame feature")
        model.initialize_anchors_with_means(labelled_frames(dataset, config))

    if start < max_steps:
        log_dir = os.path.join(config.train_dir, "logs") if chief else directory
        train_loop(model, dataset, config, manager, start, max_steps, log, strategy, log_dir)
    elif manager.latest_checkpoint is None:  # --max_steps=0: the untrained network, for evaluate and export
        log(f"checkpoint at step 0: {manager.save(checkpoint_number=0)}")

    step = int(model.step.numpy())
    if not chief:  # evaluation needs no collective ops: the chief alone does it and writes the results
        shutil.rmtree(directory, ignore_errors=True)
        log(f"trained to step {step}; the chief worker evaluates")
        return dict(step=step)
    with model.averaged_weights():
        scores = evaluation.evaluate(features.model_embedder(model, config.model, step), dataset,
                                     batch_size=config.eval_batch_size, pooling=config.pooling)
    log(evaluation.format_table({f"{config.data.dataset} split {config.data.split}, step {step}": scores}))
    results = dict(scores=scores, step=step, dataset=config.data.dataset, split=config.data.split,
                   protocol=dataset.protocol, probe_cam=scores["probe_cam"], pooling=config.pooling, weights="ema",
                   config=config.to_dict())
    atomic_write_json(os.path.join(config.train_dir, "results.json"), results)
    return results


def describe(dataset: ReidDataset, config: TrainConfig, max_steps: int, model: EmbeddingModel, log):
    train = dataset.train
    log(f"{dataset.name}: {len(train)} training tracklets per camera {train.tracklets_per_camera}, "
        f"{train.num_frames} frames; test {len(dataset.query)} query / {len(dataset.gallery)} gallery tracklets")
    objective = (f"cross-camera association from step {model.warmup_steps}" if isinstance(model, DALModel)
                 else f"ID-supervised: softmax over {model.classifier.units} training people")
    log(f"{max_steps} steps of {config.batch_size} frames "
        f"({steps_per_epoch(train.num_frames, config.batch_size)} steps per epoch), {objective}")


def train_loop(model: EmbeddingModel, dataset: ReidDataset, config: TrainConfig, manager, start: int, max_steps: int,
               log, strategy: tf.distribute.Strategy, log_dir: str):
    m = config.model
    batches = input_pipeline.training_dataset(
        dataset.train, config.batch_size, m.image_height, m.image_width, config.seed, first_step=start,
        read=dataset.read_frame,
    ).take(max_steps - start)
    train_step = distribution.step_function(model, strategy, config.jit_compile)
    writer = tf.summary.create_file_writer(log_dir)
    report = ProgressReport(start, max_steps, log)
    for step, batch in enumerate(strategy.experimental_distribute_dataset(batches), start=start + 1):
        logs = train_step(batch)
        if step % config.log_every == 0 or step == max_steps:
            values = {name: float(value) for name, value in logs.items()}
            with writer.as_default(step=step):
                for name, value in values.items():
                    tf.summary.scalar(name, value)
            report.update(step, values)
        if step % config.checkpoint_every == 0 and step < max_steps:
            report.log(f"checkpoint at step {step}: {manager.save(checkpoint_number=step)}")
    report.log(f"checkpoint at step {max_steps}: {manager.save(checkpoint_number=max_steps)}")
    writer.flush()
    log(f"trained {max_steps - start} steps in {report.elapsed():.0f} s")


class ProgressReport:
    """A Keras progress bar on a terminal; plain lines otherwise (log files, pipes, tests)."""

    STATEFUL = ["learning_rate", "merged_share", "true_match_share"]

    def __init__(self, start: int, max_steps: int, log):
        self.start, self.max_steps, self.log_fn = start, max_steps, log
        self.began = time.time()
        self.bar = keras.utils.Progbar(max_steps, stateful_metrics=self.STATEFUL) if sys.stdout.isatty() else None
        if self.bar:
            self.bar.update(start)

    def elapsed(self) -> float:
        return time.time() - self.began

    def update(self, step: int, values: dict):
        if self.bar:
            self.bar.update(step, values=list(values.items()))
            return
        per_step = self.elapsed() / max(1, step - self.start)
        shown = " ".join(f"{name}={value:.4g}" for name, value in values.items())
        self.log_fn(f"step {step}/{self.max_steps} {shown} ({per_step:.2f} s/step)")

    def log(self, line: str):
        self.log_fn(("\n" if self.bar else "") + line)
