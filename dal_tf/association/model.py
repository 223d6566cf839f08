"""The DAL Keras model: a frame backbone, anchor tables and a custom train_step."""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf

from dal_tf.association import ranking
from dal_tf.association.replicas import global_batch, replicas_in_sync
from dal_tf.association.tables import AnchorTables
from dal_tf.config import AssociationConfig
from dal_tf.networks import parts
from dal_tf.networks.weight_average import WeightAverage
from dal_tf.utils.progress import Progress


def regularized_kernels(backbone: keras.Model) -> list:
    """Convolution and dense kernels; like TF-slim's MobileNet, depthwise kernels are not decayed."""
    return [
        layer.kernel
        for layer in backbone.layers
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))
    ]


class EmbeddingModel(keras.Model):
    """A backbone with what every objective shares: weight decay and the EMA weights."""

    def __init__(self, backbone: keras.Model, *, weight_decay: float, ema_decay: float):
        super().__init__()
        self.backbone = backbone
        self.weight_decay = weight_decay
        self.ema = WeightAverage(backbone.trainable_variables, ema_decay)
        self._kernels = regularized_kernels(backbone)
        # Steps taken. Not the optimiser's iterations: with mixed precision, the loss-scale
        # optimiser skips the update of a step whose gradients overflow, but the step still counts
        # (for the frame order, the anchors, the warm-up and the EMA).
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="step")

    def call(self, images, training=False):
        return self.backbone(images, training=training)

    def averaged_weights(self):
        """Context in which the backbone holds its EMA weights (what the release evaluates)."""
        return self.ema.applied(self.backbone.trainable_variables)

    def decay_loss(self) -> tf.Tensor:
        return self.weight_decay * tf.add_n([tf.nn.l2_loss(k) for k in self._kernels])

    def trained_variables(self) -> list:
        return self.backbone.trainable_variables

    def train_step(self, data):
        """One step on one device: replica_step then apply_step."""
        return self.apply_step(*self.replica_step(data))

    def replica_step(self, data) -> tuple[list, dict]:
        """Per replica: the gradients of the global batch's loss, summed over replicas, and what
        apply_step needs. Every replica ends with the same values."""
        raise NotImplementedError

    def apply_step(self, gradients: list, state: dict) -> dict:
        """Once per step (cross-replica): the EMA and optimiser updates; returns the logs.

        As in the release, whose tf.group runs them side by side, the EMA averages the weights
        before this step's update, with t the index of this step (the global step before its
        increment)."""
        # The step's updates wait for its data: inside Keras' fit, the step whose batch turns
        # out not to exist (the end of a finite data set) must not count.
        with tf.control_dependencies([g for g in gradients if g is not None]):
            learning_rate = tf.identity(self.optimizer.learning_rate)  # this step's
            self.ema.update(self.step, self.backbone.trainable_variables)
            self.optimizer.apply_gradients(zip(gradients, self.trained_variables()))
            self.step.assign_add(1)
        return dict(state["logs"], learning_rate=learning_rate)

    def _gradients(self, tape: tf.GradientTape, total: tf.Tensor, replicas: int) -> list:
        # Every replica computed the same global loss; all_gather's gradient sums the replicas'
        # contributions, hence total / replicas here, and a sum across replicas below.
        gradients = tape.gradient(total, self.trained_variables())
        if replicas > 1:
            gradients = tf.distribute.get_replica_context().all_reduce(tf.distribute.ReduceOp.SUM, gradients)
        return gradients


class DALModel(EmbeddingModel):
    def __init__(
        self,
        backbone: keras.Model,
        tracklets_per_camera: list[int],
        association_config: AssociationConfig,
        *,
        warmup_steps: int,
        weight_decay: float = 4e-5,
        ema_decay: float = 0.9999,
        anchor_person_ids: np.ndarray | None = None,
    ):
        super().__init__(backbone, weight_decay=weight_decay, ema_decay=ema_decay)
        self.association_config = association_config
        self.warmup_steps = int(warmup_steps)
        # --parts: the global feature's tables, then one set per stripe, each with its own
        # association, as uPMnet runs DAL's graph once per part. The view is kept in a closure,
        # out of the model's tracking: its layers and weights are the backbone's.
        self._table_view = parts.table_features(backbone)
        dim = int(backbone.output_shape[-1]) if self._table_view is None else int(
            backbone.get_layer(parts.PARTS_LAYER).output.shape[-1])
        rule = association_config.association
        self.anchors = AnchorTables(tracklets_per_camera, dim, rule)
        self.part_anchors = [AnchorTables(tracklets_per_camera, dim, rule) for _ in range(parts.num_parts(backbone))]
        # Person ids of the anchor rows: read only to monitor association quality (Fig. 4b).
        ids = np.full(self.anchors.num_anchors, -1) if anchor_person_ids is None else anchor_person_ids
        self.anchor_person_ids = tf.constant(np.asarray(ids, np.int64))
        self.knows_people = bool(np.any(np.asarray(ids) >= 0))  # else there is no true_match_share to log

    def tables(self) -> list[AnchorTables]:
        return [self.anchors, *self.part_anchors]

    def table_features(self, images, training: bool) -> list[tf.Tensor]:
        """The [B, D] features each table takes, float32 whatever the backbone computes in."""
        if self._table_view is None:
            return [tf.cast(self.backbone(images, training=training), tf.float32)]
        stacked = tf.cast(self._table_view(images, training=training), tf.float32)
        return tf.unstack(stacked, axis=1)

    def association_started(self) -> tf.Tensor:
        # The release feeds start_sign = step >= warm-up steps, step being the 0-based index of
        # the step about to run: the step counter before apply_step increments it.
        return tf.identity(self.step) >= self.warmup_steps

    def replica_step(self, data):
        images, cameras, indices = data
        replicas = replicas_in_sync()
        cameras, indices = global_batch(cameras, replicas), global_batch(indices, replicas)
        rows = self.anchors.rows(cameras, indices)
        started = self.association_started()
        with tf.GradientTape() as tape:
            features = [global_batch(f, replicas) for f in self.table_features(images, training=True)]
            # One table: the release's loss; with --parts, their mean (uPMnet's sum / parts).
            losses = [t.losses(f, rows, cameras, self.association_config, started)
                      for t, f in zip(self.tables(), features)]
            loss = tf.add_n([l.loss for l in losses]) / len(losses)
            decay = self.decay_loss()
            total = self.optimizer.scale_loss((loss + decay) / replicas)
        logs = dict(loss=loss, loss_intra=tf.add_n([l.loss_intra for l in losses]) / len(losses),
                    loss_cross=tf.add_n([l.loss_cross for l in losses]) / len(losses), weight_decay=decay)
        return self._gradients(tape, total, replicas), dict(features=features, rows=rows, logs=logs)

    def apply_step(self, gradients, state):
        # The tables change once the step's gradients exist. Run beside the backward pass, their
        # updates made runs with --parts (five sets of tables) part after some dozens of steps;
        # ordered, runs repeat bit for bit, and the release's step (one set) computes the same
        # bits as before (docs/demo.md).
        with tf.control_dependencies([g for g in gradients if g is not None]):
            association_started = self.association_started()
            logs = super().apply_step(gradients, state)
            for tables, features in zip(self.tables(), state["features"]):
                tables.update(features, state["rows"], self.association_config,
                              association_started=association_started)
            return dict(logs, **self.association_monitor())

    def refresh_association(self) -> str:
        """Between steps, on the host: a rule recomputed now and then (--association=clusters)
        rewrites its state tables, each set of tables' from its own intra anchors. Returns what the
        global tables' partners now are, or "" where nothing was due. Every worker and replica
        computes the same from the same tables."""
        rule = self.anchors.rule
        if rule.refresh_due is None or not rule.refresh_due(int(self.step.numpy()), self.warmup_steps,
                                                            self.association_config):
            return ""
        for tables in self.tables():
            for name, value in rule.refreshed_state(tables.intra.numpy(), self.association_config).items():
                tables.state[name].assign(value)
        partners = self.anchors.merge_partners().numpy()
        counts = np.sum(partners >= 0, axis=1)
        return (f"{np.mean(counts > 0):.1%} of the tracklets with partners, {counts.mean():.1f} each on average "
                f"(at most {partners.shape[1]})")

    def association_monitor(self) -> dict:
        """Fig. 4: share of anchors merged across cameras and, where person ids are known, share of
        merges that are true; of the global feature's tables."""
        partners = self.anchors.merge_partners()
        merged_share = tf.reduce_mean(tf.cast(tf.reduce_any(partners >= 0, axis=1), tf.float32))
        if not self.knows_people:
            return dict(merged_share=merged_share)
        pairs = tf.where(partners >= 0)  # (row, column) of every merge
        own_ids = tf.gather(self.anchor_person_ids, pairs[:, 0])
        partner_ids = tf.gather(self.anchor_person_ids, tf.gather_nd(partners, pairs))
        known = tf.logical_and(own_ids >= 0, partner_ids >= 0)
        true = tf.logical_and(known, tf.equal(own_ids, partner_ids))
        true_share = tf.math.divide_no_nan(
            tf.reduce_sum(tf.cast(true, tf.float32)), tf.reduce_sum(tf.cast(known, tf.float32))
        )
        return dict(merged_share=merged_share, true_match_share=true_share)

    def initialize_anchors_with_means(self, batches, num_frames: int, log=print):
        """Paper's initialisation: both anchors of a tracklet = mean of its normalised frame
        features. batches yields (images, cameras, indices) covering the num_frames training frames."""
        tables = self.tables()
        sums = [tf.zeros_like(t.intra) for t in tables]
        counts = tf.zeros([self.anchors.num_anchors, 1])
        embed = tf.function(lambda x: self.table_features(x, training=False))
        progress, done = Progress(num_frames, "frame", log), 0
        for images, cameras, indices in batches:
            rows = self.anchors.rows(cameras, indices)[:, tf.newaxis]
            sums = [tf.tensor_scatter_nd_add(s, rows, ranking.l2_normalize(f)) for s, f in zip(sums, embed(images))]
            counts = tf.tensor_scatter_nd_add(counts, rows, tf.ones([tf.shape(rows)[0], 1]))
            done += int(tf.shape(rows)[0])
            progress.update(done)
        for t, s in zip(tables, sums):
            means = tf.math.divide_no_nan(s, counts)
            t.intra.assign(means)
            t.cross.assign(means)


class SupervisedModel(EmbeddingModel):
    """The ID-supervised counterpart (the paper's Table 3): the same backbone trained with softmax
    cross-entropy on the training person ids, label smoothing 0.1 as the release's flag. Frames
    come as for DAL, (images, cameras, indices); each anchor row's class is looked up."""

    def __init__(self, backbone: keras.Model, row_classes: np.ndarray, num_classes: int, *,
                 label_smoothing: float = 0.1, weight_decay: float = 4e-5, ema_decay: float = 0.9999,
                 tracklets_per_camera: list[int]):
        super().__init__(backbone, weight_decay=weight_decay, ema_decay=ema_decay)
        self.classifier = keras.layers.Dense(num_classes, name="logits")
        self.classifier.build((None, int(backbone.output_shape[-1])))
        self.label_smoothing = label_smoothing
        self.row_classes = tf.constant(np.asarray(row_classes, np.int64))
        self.camera_offsets = tf.constant(ranking.camera_offsets(tracklets_per_camera), tf.int32)
        self._kernels.append(self.classifier.kernel)

    def trained_variables(self) -> list:
        return self.backbone.trainable_variables + self.classifier.trainable_variables

    def replica_step(self, data):
        images, cameras, indices = data
        replicas = replicas_in_sync()
        labels = tf.gather(self.row_classes, ranking.anchor_rows(cameras, indices, self.camera_offsets))
        labels = global_batch(labels, replicas)
        num_classes = self.classifier.units
        with tf.GradientTape() as tape:
            logits = self.classifier(global_batch(self.backbone(images, training=True), replicas))
            loss = tf.reduce_mean(keras.losses.categorical_crossentropy(
                tf.one_hot(labels, num_classes), tf.cast(logits, tf.float32), from_logits=True,
                label_smoothing=self.label_smoothing))
            decay = self.decay_loss()
            total = self.optimizer.scale_loss((loss + decay) / replicas)
        return self._gradients(tape, total, replicas), dict(logs=dict(loss=loss, weight_decay=decay))
