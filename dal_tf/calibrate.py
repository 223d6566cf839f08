"""Same person or nobody, measured: the distances of same-person and different-person cross-camera
pairs of a folders data set with identities.csv, and the thresholds they give.

    python -m dal_tf.calibrate --saved_model=exports/demo --data_dir=my_tracklets

Prints the equal-error threshold and those at 1% and 0.1% false matches, draws the two histograms
and the ROC curve to --plot, and writes the chosen threshold (--false_match_rate; 0: the
equal-error one) into the export's dal_tf_export.json, so that dal_tf.match --max_distance and
dal_tf.identities --threshold use it by default (under the same --rerank settings). Calibrate on
people the embedding was not trained on. The flags are the fields of dal_tf.config.CalibrateConfig.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from dal_tf import flag_defs  # noqa: E402
from dal_tf.config import CalibrateConfig  # noqa: E402

flag_defs.define_flags(CalibrateConfig)

REPORTED_RATES = (0.01, 0.001)


def plot_png(positive, negative, marks: dict, path: str):
    """Histograms of both samples and the ROC curve (FMR on a log axis), thresholds marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np

    from dal_tf.calibration import rates
    from dal_tf.io_utils import atomic_file

    figure, (histogram, roc) = plt.subplots(1, 2, figsize=(11, 4))
    bins = np.linspace(0, max(positive.max(), negative.max()), 60)
    histogram.hist(negative, bins, density=True, alpha=0.6, label=f"different people ({len(negative)} pairs)")
    histogram.hist(positive, bins, density=True, alpha=0.6, label=f"same person ({len(positive)} pairs)")
    for name, value in marks.items():
        histogram.axvline(value, linestyle="--", color="k", linewidth=0.8)
        histogram.text(value, histogram.get_ylim()[1] * 0.9, f" {name}", fontsize=8)
    histogram.set(xlabel="distance", ylabel="density", title="cross-camera pairs")
    histogram.legend(fontsize=8)
    _, tmr, fmr = rates(positive, negative)
    roc.plot(np.maximum(fmr, 1e-6), tmr)
    roc.set(xscale="log", xlabel="false match rate", ylabel="true match rate", title="ROC", ylim=(0, 1.01))
    roc.grid(alpha=0.3)
    figure.tight_layout()
    with atomic_file(path) as tmp:
        figure.savefig(tmp, format="png", dpi=110)
    plt.close(figure)


def calibrate(config: CalibrateConfig, log=print) -> dict:
    import dataclasses
    import json

    from dal_tf import calibration, features, people_files
    from dal_tf.errors import UserInputError
    from dal_tf.footage import embedded, read_footage
    from dal_tf.io_utils import atomic_write_json
    from dal_tf.saved_model import METADATA

    embedder, _ = features.saved_model_embedder(config.embedding.saved_model)
    footage = read_footage(config.data_dir, people_files.read_tracks_csv(config.data_dir), log)
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
    result = dict(value=chosen, false_match_rate=config.false_match_rate, equal_error_threshold=equal,
                  equal_error_rate=equal_rate, thresholds_at_false_match_rates={str(r): t for r, t in at_rates.items()},
                  positive_pairs=len(positive), negative_pairs=len(negative),
                  reranking=dataclasses.asdict(embedding.reranking), data_dir=os.path.abspath(config.data_dir))
    plot_png(positive, negative, {"EER": equal, **{f"{r:.1%}": t for r, t in at_rates.items()}}, config.plot)
    if config.write:
        path = os.path.join(config.embedding.saved_model, METADATA)
        with open(path) as handle:
            stored = json.load(handle)
        stored[calibration.THRESHOLD] = result
        atomic_write_json(path, stored)
    return result


def calibrate_and_print():
    import sys

    config = flag_defs.config_from_flags(CalibrateConfig, flags.FLAGS)
    result = calibrate(config, log=lambda line: print(line, file=sys.stderr, flush=True))
    print(f"{result['positive_pairs']} same-person and {result['negative_pairs']} different-person cross-camera pairs")
    print(f"equal error: threshold {result['equal_error_threshold']:.4f}, rate {result['equal_error_rate']:.2%}")
    for rate, value in result["thresholds_at_false_match_rates"].items():
        print(f"at {float(rate):.1%} false matches: threshold {value:.4f}")
    where = "written into the export" if config.write else "not written (--nowrite)"
    print(f"threshold {result['value']:.4f} {where}; plot: {os.path.abspath(config.plot)}")


if __name__ == "__main__":
    flag_defs.entry_point("dal_tf.calibrate", calibrate_and_print)
