"""From a data set as its owners distribute it (or your own folders of tracklets) to the prepared
index the loaders read."""

from __future__ import annotations

import os

from dal_tf.config import FOLDERS, PrepareConfig
from dal_tf.datasets import folders, ilids, mars, prid
from dal_tf.datasets.prepared import checked_frames, write_prepared
from dal_tf.utils.errors import UserInputError


def prepare(config: PrepareConfig, log=print) -> dict:
    """Validates the source, indexes it, checks every frame decodes, writes --out; returns the manifest."""
    src = os.path.abspath(config.src)
    if not os.path.isdir(src):
        raise UserInputError(f"--src={config.src} is not a directory")
    if config.dataset == FOLDERS:
        cameras, tracklets = folders.raw_index(src, log)
    else:
        tracklets = {"prid": prid, "ilids": ilids, "mars": mars}[config.dataset].raw_index(src)
    log(f"{config.dataset}: {len(tracklets)} tracklets, {sum(len(t.frames) for t in tracklets)} frames in {src}; "
        "checking every frame decodes")
    tracklets, bad = checked_frames(tracklets, src, config.skip_corrupt, log)
    if config.dataset == "prid":
        kept, entries = prid.finalize(tracklets, config.splits, config.seed)
    elif config.dataset == "ilids":
        kept, entries = ilids.finalize(tracklets, config.splits, src)
    elif config.dataset == "mars":
        kept, entries = mars.finalize(tracklets)
    else:
        kept, entries = folders.finalize(cameras, tracklets)
    manifest = dict(entries, dataset=config.dataset, src=src,
                    skipped_corrupt=sorted(os.path.relpath(p, src) for p in bad))
    if config.format == "tfrecord":
        log("copying the frames into TFRecord shards")
    return write_prepared(config.out, manifest, kept, tfrecords=config.format == "tfrecord", log=log)
