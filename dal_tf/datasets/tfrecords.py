"""Sharded TFRecords of a prepared data set's encoded frames (data_prep.prepare --format=tfrecord).

On a network file system, reading a few large shards in sequence is much faster than opening
hundreds of thousands of small files. The shards hold each frame's file bytes unchanged, in
frames.txt order, with its row in frames.txt. The loader reads them once, in sequence, into an
in-memory table keyed by frame path, so training draws the same random frames, and decodes the
same bytes, as from the files.
"""

from __future__ import annotations

import os

import tensorflow as tf

from dal_tf.utils.errors import UserInputError
from dal_tf.utils.progress import Progress

DIRECTORY = "tfrecords"
FRAMES_PER_SHARD = 4096


def _example(row: int, encoded: bytes) -> bytes:
    return tf.train.Example(features=tf.train.Features(feature={
        "row": tf.train.Feature(int64_list=tf.train.Int64List(value=[row])),
        "image": tf.train.Feature(bytes_list=tf.train.BytesList(value=[encoded])),
    })).SerializeToString()


def write_shards(out_dir: str, frame_paths: list[str], log=None) -> list[str]:
    """Writes the files at frame_paths into out_dir/tfrecords/; returns the shard names. log:
    where the progress goes (None: nowhere)."""
    frames_per_shard = FRAMES_PER_SHARD
    os.makedirs(os.path.join(out_dir, DIRECTORY), exist_ok=True)
    num_shards = max(1, -(-len(frame_paths) // frames_per_shard))
    names = []
    progress = Progress(len(frame_paths), "frame", log)
    for shard in range(num_shards):
        names.append(f"{DIRECTORY}/frames-{shard:05d}-of-{num_shards:05d}.tfrecord")
        with tf.io.TFRecordWriter(os.path.join(out_dir, names[-1])) as writer:
            for row in range(shard * frames_per_shard, min(len(frame_paths), (shard + 1) * frames_per_shard)):
                with open(frame_paths[row], "rb") as handle:
                    writer.write(_example(row, handle.read()))
        progress.update(min(len(frame_paths), (shard + 1) * frames_per_shard))
    return names


class TFRecordFrames:
    """Encoded frames by path, read from the shards on first use (then held in memory)."""

    def __init__(self, data_dir: str, shards: list[str], frame_paths: list[str]):
        self.shard_paths = [os.path.join(data_dir, name) for name in shards]
        self.frame_paths = frame_paths
        self._table = None

    @tf.autograph.experimental.do_not_convert  # plain Python: runs eagerly, under init_scope
    def _load(self) -> tf.lookup.StaticHashTable:
        missing = [p for p in self.shard_paths if not os.path.isfile(p)]
        if missing:
            raise UserInputError(f"{missing[0]} is missing ({len(missing)} shards); prepare the data set again")
        spec = {"row": tf.io.FixedLenFeature([], tf.int64), "image": tf.io.FixedLenFeature([], tf.string)}
        rows, images = [], []
        for batch in tf.data.TFRecordDataset(self.shard_paths).batch(4096).map(
                lambda records: tf.io.parse_example(records, spec)):
            rows.append(batch["row"])
            images.append(batch["image"])
        rows = tf.concat(rows, axis=0)
        if int(tf.size(rows)) != len(self.frame_paths):
            raise UserInputError(f"the shards in {os.path.dirname(self.shard_paths[0])} hold {int(tf.size(rows))} "
                                 f"frames, the index {len(self.frame_paths)}; prepare the data set again")
        keys = tf.gather(tf.constant(self.frame_paths), rows)
        return tf.lookup.StaticHashTable(tf.lookup.KeyValueTensorInitializer(keys, tf.concat(images, axis=0)),
                                         default_value="")

    @tf.autograph.experimental.do_not_convert
    def read(self, path: tf.Tensor) -> tf.Tensor:
        if self._table is None:
            with tf.init_scope():  # read() is first called while tf.data traces its map function
                self._table = self._load()
        return self._table.lookup(path)
