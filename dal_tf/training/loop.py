"""A training run from a TrainConfig: load the data, build or resume the model, train, checkpoint,
log, and evaluate the test split."""

from __future__ import annotations

import os
import shutil

import keras
import tensorflow as tf

from dal_tf.association import merges
from dal_tf.association.model import DALModel, EmbeddingModel
from dal_tf.config import TrainConfig
from dal_tf.datasets import input_pipeline, registry
from dal_tf.datasets.base import ReidDataset
from dal_tf.datasets.folders_layout import tracklet_name
from dal_tf.evaluation import features, scoring
from dal_tf.runs.checkpoints import CHECKPOINTS, checkpoint_for, checkpoint_step, restore_training_state
from dal_tf.runs.run_files import CONFIG, MERGES, RESULTS, RUN_INFO, check_resumable, merges_csv
from dal_tf.training import distribution, schedules
from dal_tf.training.precise_bn import precise_batchnorm
from dal_tf.training.setup import build_model, run_info
from dal_tf.utils.atomic_io import atomic_write_json, atomic_write_text
from dal_tf.utils.errors import UserInputError, op_error_message
from dal_tf.utils.progress import Progress


def run(config: TrainConfig, log=print) -> dict:
    """Trains (resuming from the latest checkpoint in config.train_dir) and evaluates the test split
    (on the chief worker only: the others return just the step)."""
    if config.deterministic:
        tf.config.experimental.enable_op_determinism()
    keras.utils.set_random_seed(config.seed)
    dataset = registry.load(config.data, log)
    if dataset.train.num_frames < config.batch_size:
        raise UserInputError(f"--batch_size={config.batch_size} is more than the {dataset.train.num_frames} training "
                             f"frames of --dataset={config.data.dataset}")
    max_steps = schedules.resolve_max_steps(config, dataset)
    check_resumable(config, config.train_dir)
    restore_from = tf.train.latest_checkpoint(os.path.join(config.train_dir, CHECKPOINTS))
    check_steps(config.train_dir, restore_from, max_steps)
    strategy = distribution.make_strategy(config.strategy)
    if config.batch_size % strategy.num_replicas_in_sync:
        raise UserInputError(f"--batch_size={config.batch_size} (the global batch) must divide evenly among "
                             f"{strategy.num_replicas_in_sync} replicas")
    chief = distribution.is_chief(strategy)
    model = build_model(config, dataset, max_steps, strategy, log)
    if strategy.num_replicas_in_sync > 1:
        log(f"on {strategy.num_replicas_in_sync} replicas, BatchNorm synchronized")

    checkpoint = checkpoint_for(model)
    # Saving is collective: the other workers of a cluster write to a scratch directory of their own.
    directory = os.path.join(config.train_dir, CHECKPOINTS if chief else f".worker-{os.getpid()}")
    manager = tf.train.CheckpointManager(checkpoint, directory, max_to_keep=3)
    if restore_from:
        restore_training_state(checkpoint, model, restore_from)
        log(f"resumed from {restore_from} at step {int(model.step.numpy())}")
    if chief:
        atomic_write_json(os.path.join(config.train_dir, CONFIG), config.to_dict())
        atomic_write_json(os.path.join(config.train_dir, RUN_INFO), run_info(dataset))
    start = int(model.step.numpy())
    describe(dataset, config, max_steps, model, log)

    if start == 0 and max_steps > 0 and isinstance(model, DALModel) and config.association.anchor_init == "mean":
        log("initialising anchors with each tracklet's mean frame feature")
        model.initialize_anchors_with_means(labelled_frames(dataset, config), dataset.train.num_frames, log)

    if start < max_steps:
        log_dir = os.path.join(config.train_dir, "logs") if chief else directory
        train_loop(model, dataset, config, manager, start, max_steps, log, strategy, log_dir)
        if config.precise_bn:
            re_estimate_batchnorm(model, dataset, config, strategy, log)
            log(f"checkpoint at step {max_steps}: {manager.save(checkpoint_number=max_steps)}")
    elif restore_from is None:  # --max_steps=0: the untrained network, for evaluate and export
        # Decided on the shared directory, so that every worker of a cluster enters this
        # collective save, or none does.
        log(f"checkpoint at step 0: {manager.save(checkpoint_number=0)}")

    step = int(model.step.numpy())
    if not chief:  # evaluation needs no collective ops: the chief alone does it and writes the results
        shutil.rmtree(directory, ignore_errors=True)
        log(f"trained to step {step}; the chief worker evaluates")
        return dict(step=step)
    results = dict(step=step, dataset=config.data.dataset, split=config.data.split, protocol=dataset.protocol,
                   pooling=config.pooling, weights="ema", config=config.to_dict())
    if isinstance(model, DALModel):
        partners = model.anchors.merge_partners().numpy()
        results["associations"] = merges.summary(partners, dataset.train.tracklets_per_camera)
        log(merges.describe(results["associations"], dataset.camera_names))
        by_row = sorted(dataset.train.tracklets, key=lambda t: (t.camera, t.index))  # the anchor rows' order
        atomic_write_text(os.path.join(config.train_dir, MERGES), merges_csv([tracklet_name(t) for t in by_row], partners))
    if not dataset.query.tracklets:
        results.update(scores=None, note=scoring.NOTHING_TO_SCORE)
        log(scoring.NOTHING_TO_SCORE)
    else:
        with model.averaged_weights():
            scores = scoring.score_test_split(features.model_embedder(model, config.model, step), dataset,
                                              batch_size=config.eval_batch_size, pooling=config.pooling, log=log)
        log(scoring.format_table({f"{config.data.dataset} split {config.data.split}, step {step}": scores}))
        results.update(scores=scores, probe_cam=scores["probe_cam"])
    atomic_write_json(os.path.join(config.train_dir, RESULTS), results)
    return results


PRECISE_BN_SEED = 7919  # the frames PreciseBN sees: a stream of their own, the same for every worker


def re_estimate_batchnorm(model: EmbeddingModel, dataset: ReidDataset, config: TrainConfig, strategy, log):
    """--precise_bn: the moving statistics as plain averages over training batches, under the EMA
    weights (dal_tf.training.precise_bn), before the final checkpoint, evaluation and export."""
    m = config.model
    batches = input_pipeline.training_dataset(dataset.train, config.batch_size, m.image_height, m.image_width,
                                              config.seed + PRECISE_BN_SEED, read=dataset.read_frame)
    images = strategy.experimental_distribute_dataset(batches.map(lambda frames, cameras, indices: frames))
    with model.averaged_weights():
        used = precise_batchnorm(model.backbone, images, config.precise_bn,
                                 run=lambda fn, batch: strategy.run(fn, args=(batch,)))
    log(f"PreciseBN: BatchNorm statistics re-estimated under the EMA weights over {used} batches of "
        f"{config.batch_size} frames")


def check_steps(train_dir: str, latest: str | None, max_steps: int):
    """Refuses a run whose --train_dir is already past --max_steps: it would evaluate that
    checkpoint as if it were the one asked for."""
    if latest is None or checkpoint_step(latest) <= max_steps:
        return
    if max_steps == 0:
        raise UserInputError(f"--max_steps=0 evaluates the network as initialised, but --train_dir={train_dir} holds "
                             f"a run trained to step {checkpoint_step(latest)}; use a new --train_dir, or "
                             "python -m dal_tf.evaluate to evaluate that run")
    raise UserInputError(f"--train_dir={train_dir} holds a run trained to step {checkpoint_step(latest)}, beyond "
                         f"--max_steps={max_steps}; use a new --train_dir or a larger --max_steps")


def describe(dataset: ReidDataset, config: TrainConfig, max_steps: int, model: EmbeddingModel, log):
    train = dataset.train
    log(f"{dataset.name}: {len(train)} training tracklets per camera {train.tracklets_per_camera}, "
        f"{train.num_frames} frames; test {len(dataset.query)} query / {len(dataset.gallery)} gallery tracklets")
    objective = (f"cross-camera association from step {model.warmup_steps}" if isinstance(model, DALModel)
                 else f"ID-supervised: softmax over {model.classifier.units} training people")
    log(f"{max_steps} steps of {config.batch_size} frames "
        f"({schedules.steps_per_epoch(train.num_frames, config.batch_size)} steps per epoch), {objective}")


def labelled_frames(dataset: ReidDataset, config: TrainConfig) -> tf.data.Dataset:
    """Every training frame once, with its camera and index (anchor initialisation)."""
    paths, cameras, indices, _ = dataset.train.frame_table()
    m = config.model
    images = input_pipeline.frames_dataset(paths, config.eval_batch_size, m.image_height, m.image_width,
                                           dataset.read_frame)
    labels = tf.data.Dataset.from_tensor_slices((cameras, indices)).batch(config.eval_batch_size)
    return tf.data.Dataset.zip(images, labels).map(lambda x, y: (x, y[0], y[1]))


def train_loop(model: EmbeddingModel, dataset: ReidDataset, config: TrainConfig, manager, start: int, max_steps: int,
               log, strategy: tf.distribute.Strategy, log_dir: str):
    m = config.model
    batches = input_pipeline.training_dataset(
        dataset.train, config.batch_size, m.image_height, m.image_width, config.seed, first_step=start,
        read=dataset.read_frame, augment=config.augment,
    ).take(max_steps - start)
    train_step = distribution.step_function(model, strategy, config.jit_compile)
    progress = Progress(max_steps, "step", log, start=start, stateful=("learning_rate", "merged_share",
                                                                        "true_match_share"))
    writer = tf.summary.create_file_writer(log_dir)

    def refresh(steps_done: int):
        # A rule recomputed between steps (--association=clusters); before the first step too,
        # where no warm-up delays it. On resume that one repeats the saved state's: the same tables.
        said = model.refresh_association() if isinstance(model, DALModel) else ""
        if said:
            progress.log(f"step {steps_done}: association refreshed ({config.association.association}): {said}")

    refresh(start)
    try:
        for step, batch in enumerate(strategy.experimental_distribute_dataset(batches), start=start + 1):
            logs = train_step(batch)
            refresh(step)
            if step % config.log_every == 0 or step == max_steps:
                values = {name: float(value) for name, value in logs.items()}
                with writer.as_default(step=step):
                    for name, value in values.items():
                        tf.summary.scalar(name, value)
                progress.update(step, values, force=True)
            if step % config.checkpoint_every == 0 and step < max_steps:
                progress.log(f"checkpoint at step {step}: {manager.save(checkpoint_number=step)}")
    except (tf.errors.NotFoundError, tf.errors.InvalidArgumentError) as error:
        # A frame that was there when the data set was indexed; the last checkpoint stays as it was.
        raise UserInputError(f"cannot read a training frame of --dataset={config.data.dataset}: "
                             f"{op_error_message(error)}; restore it or prepare the data set again") from error
    finally:
        writer.close()
    progress.log(f"checkpoint at step {max_steps}: {manager.save(checkpoint_number=max_steps)}")
    log(f"trained {max_steps - start} steps in {progress.elapsed():.0f} s")
