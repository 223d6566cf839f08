"""From a data set as its owners distribute it to the prepared index the loaders read."""

from __future__ import annotations

import dataclasses
import os

from dal_tf.config import PrepareConfig
from dal_tf.datasets import ilids, mars, prid
from dal_tf.datasets.prepared import IndexedTracklet, unreadable_frames, write_prepared
from dal_tf.errors import UserInputError

LISTED_UNREADABLE = 10


def _without(tracklets: list[IndexedTracklet], bad: set[str], src: str) -> list[IndexedTracklet]:
    kept = []
    for t in tracklets:
        frames = tuple(f for f in t.frames if os.path.join(src, f) not in bad)
        if frames:
            kept.append(dataclasses.replace(t, frames=frames))
    return kept


def prepare(config: PrepareConfig, log=print) -> dict:
    """Validates the source, indexes it, checks every frame decodes, writes --out; returns the manifest."""
    src = os.path.abspath(config.src)
    if not os.path.isdir(src):
        raise UserInputError(f"--src={config.src} is not a directory")
    module = {"prid": prid, "ilids": ilids, "mars": mars}[config.dataset]
    tracklets = module.raw_index(src)
    paths = [os.path.join(src, f) for t in tracklets for f in t.frames]
    log(f"{config.dataset}: {len(tracklets)} tracklets, {len(paths)} frames in {src}; checking every frame decodes")
    bad = unreadable_frames(paths, log=log)
    if bad and not config.skip_corrupt:
        listed = "; ".join(bad[:LISTED_UNREADABLE]) + ("; ..." if len(bad) > LISTED_UNREADABLE else "")
        raise UserInputError(f"{len(bad)} frames are missing or cannot be decoded: {listed} "
                             "(--skip_corrupt drops them and records them in the manifest)")
    if bad:
        tracklets = _without(tracklets, set(bad), src)
        log(f"dropped {len(bad)} unreadable frames (--skip_corrupt)")
    if config.dataset == "prid":
        kept, entries = prid.finalize(tracklets, config.splits, config.seed)
    elif config.dataset == "ilids":
        kept, entries = ilids.finalize(tracklets, config.splits, src)
    else:
        kept, entries = mars.finalize(tracklets)
    manifest = dict(entries, dataset=config.dataset, src=src,
                    skipped_corrupt=sorted(os.path.relpath(p, src) for p in bad))
    if config.format == "tfrecord":
        log("copying the frames into TFRecord shards")
    return write_prepared(config.out, manifest, kept, tfrecords=config.format == "tfrecord", log=log)
