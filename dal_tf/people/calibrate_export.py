"""What dal_tf.calibrate does: the distances of an export between the identified tracklets of
footage, same person or not, the thresholds they give, a plot of both, and the chosen threshold
written into the export's metadata."""

from __future__ import annotations

import json
import os

import matplotlib
import numpy as np

from dal_tf.config import CalibrateConfig
from dal_tf.deploy.saved_model import METADATA
from dal_tf.evaluation import features
from dal_tf.people import calibration, files
from dal_tf.people.footage import embedded, read_footage
from dal_tf.utils.atomic_io import atomic_file, atomic_write_json
from dal_tf.utils.errors import UserInputError

REPORTED_RATES = (0.01, 0.001)


def plot_png(positive, negative, marks: dict, path: str):
    """Histograms of both samples and the ROC curve (FMR on a log axis), thresholds marked."""
    matplotlib.use("Agg")  # no display; before pyplot is imported
    import matplotlib.pyplot as plt

    figure, (histogram, roc) = plt.subplots(1, 2, figsize=(11, 4))
    bins = np.linspace(0, max(positive.max(), negative.max()), 60)
    histogram.hist(negative, bins, density=True, alpha=0.6, label=f"different people ({len(negative)} pairs)")
    histogram.hist(positive, bins, density=True, alpha=0.6, label=f"same person ({len(positive)} pairs)")
    for rank, (name, value) in enumerate(sorted(marks.items(), key=lambda mark: mark[1])):
        histogram.axvline(value, linestyle="--", color="k", linewidth=0.8)
        # staggered, so that labels of close thresholds do not overlap
        histogram.text(value, histogram.get_ylim()[1] * (0.9 - 0.07 * (rank % 3)), f" {name}", fontsize=8)
    histogram.set(xlabel="distance", ylabel="density", title="cross-camera pairs")
    histogram.legend(fontsize=8)
    _, tmr, fmr = calibration.rates(positive, negative)
    roc.plot(np.maximum(fmr, 1e-6), tmr)
    roc.set(xscale="log", xlabel="false match rate", ylabel="true match rate", title="ROC", ylim=(0, 1.01))
    roc.grid(alpha=0.3)
    figure.tight_layout()
    with atomic_file(path) as tmp:
        figure.savefig(tmp, format="png", dpi=110)
    plt.close(figure)


def calibrate_export(config: CalibrateConfig, log=print) -> dict:
    embedder, _ = features.saved_model_embedder(config.embedding.saved_model)
    footage = read_footage(config.data_dir, files.read_tracks_csv(config.data_dir), log)
    positives, negatives = calibration.labelled_pairs(footage.cameras, footage.truth)
    if not len(positives) or not len(negatives):
        raise UserInputError(f"--data_dir={config.data_dir} needs identities.csv naming people seen by two or more "
                             "cameras, and two or more people")
    embedding = config.embedding
    _, distances = embedded(footage, embedder, embedding, log)
    positive, negative = distances.pairs(*positives.T), distances.pairs(*negatives.T)
    equal, equal_rate = calibration.equal_error(positive, negative)
    at_rates = {rate: calibration.threshold_at(negative, rate) for rate in REPORTED_RATES}
    chosen = calibration.threshold_at(negative, config.false_match_rate) if config.false_match_rate else equal
    people, pair_f1 = calibration.pair_f1_threshold(
        positive, negative, calibration.cross_camera_negatives(footage.cameras, footage.truth))
    result = dict(value=chosen, false_match_rate=config.false_match_rate, equal_error_threshold=equal,
                  equal_error_rate=equal_rate, thresholds_at_false_match_rates={str(r): t for r, t in at_rates.items()},
                  people_threshold=people, pair_f1=pair_f1, positive_pairs=len(positive), negative_pairs=len(negative),
                  **calibration.distance_settings(embedding), data_dir=os.path.abspath(config.data_dir))
    plot_png(positive, negative, {"EER": equal, **{f"{r:.1%}": t for r, t in at_rates.items()}, "people": people},
             config.plot)
    if config.write:
        path = os.path.join(config.embedding.saved_model, METADATA)
        with open(path) as handle:
            stored = json.load(handle)
        stored[calibration.THRESHOLD] = result
        stored[calibration.PEOPLE_THRESHOLD] = dict(value=people, pair_f1=pair_f1, **calibration.distance_settings(
            embedding), data_dir=result["data_dir"])
        atomic_write_json(path, stored)
    return result
