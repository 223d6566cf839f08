"""A folders data set as footage to find people in (dal_tf.identities, calibrate and
score_identities): its tracklets and cameras, identities where known, tracks.csv's boxes and time
spans, and an export's tracklet features and distances."""

from __future__ import annotations

import dataclasses
import os

import numpy as np
import tensorflow as tf

from dal_tf.config import FOLDERS, DataConfig, EmbeddingConfig
from dal_tf.datasets import folders
from dal_tf.datasets.base import TrackletSet
from dal_tf.datasets.folders_layout import scan_layout, tracklet_name
from dal_tf.datasets.prepared import MANIFEST, read_manifest, tracklet_set
from dal_tf.evaluation import features
from dal_tf.people import files, grouping
from dal_tf.people.camera_bias import debiased
from dal_tf.people.clustering import Distances, overlapping_in_time


@dataclasses.dataclass(frozen=True)
class Footage:
    camera_names: list[str]
    tracklets: TrackletSet
    names: list[str]  # '<camera>/<tracklet>'
    cameras: np.ndarray
    truth: np.ndarray  # person ids from identities.csv, -1 unknown
    tracks: dict | None  # tracks.csv per tracklet (files.TrackletBoxes), None without it
    first: np.ndarray  # first and last frame, -1 unknown
    last: np.ndarray
    read: object  # a frame path -> its encoded image

    def cannot_links(self) -> np.ndarray:
        """Time overlaps among the tracklets whose frames tracks.csv gives."""
        known = np.flatnonzero(self.first >= 0)
        return known[overlapping_in_time(self.cameras[known], self.first[known], self.last[known])]


def camera_names(data_dir: str) -> list[str]:
    """The cameras of a folders data set, without reading its frames (a layout of fewer than two
    stops with one line)."""
    if os.path.isfile(os.path.join(data_dir, MANIFEST)):
        return read_manifest(data_dir, FOLDERS, folders.HOW_TO_PREPARE)["cameras"]
    return scan_layout(os.path.abspath(data_dir)).cameras


def read_footage(data_dir: str, tracks: dict | None, log) -> Footage:
    """data_dir's tracklets, every frame checked; tracks: its tracks.csv (files.read_tracks_csv)."""
    camera_names, indexed, frame_store = folders.indexed(DataConfig(dataset=FOLDERS, data_dir=data_dir), log)
    names = [tracklet_name(t) for t in indexed]
    first, last = files.spans(names, tracks)
    return Footage(camera_names, tracklet_set(indexed, len(camera_names)), names,
                   np.array([t.camera for t in indexed]), np.array([t.person_id for t in indexed]), tracks,
                   first, last, frame_store.read if frame_store else tf.io.read_file)


def embedded(footage: Footage, embedder: features.FrameEmbedder, embedding: EmbeddingConfig,
             log) -> tuple[np.ndarray, Distances]:
    """(tracklet features, their distances) under an export's embedder (with --debias_cameras, the
    features debiased)."""
    pooled = features.tracklet_features(embedder, footage.tracklets, batch_size=embedding.batch_size,
                                        pooling=embedding.pooling, read=footage.read, log=log)
    if embedding.debias_cameras:
        pooled = debiased(pooled, footage.cameras)
    return pooled, grouping.tracklet_distances(pooled, embedding.reranking)
