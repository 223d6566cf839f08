"""Same person or nobody, measured: the distances of same-person and different-person cross-camera
pairs of a folders data set with identities.csv, and the thresholds they give.

    python -m dal_tf.calibrate --saved_model=exports/demo --data_dir=my_tracklets

Prints the equal-error threshold, those at 1% and 0.1% false matches and the people threshold (the
highest F1 of same-person decisions over the pairs), draws the two histograms and the ROC curve to
--plot, and writes the chosen threshold (--false_match_rate; 0: the equal-error one) and the
people threshold into the export's dal_tf_export.json, so that dal_tf.match --max_distance uses the
first and dal_tf.identities --threshold the second by default (under the same --rerank settings). Calibrate on
people the embedding was not trained on. The flags are the fields of dal_tf.config.CalibrateConfig.
"""

from __future__ import annotations

import os

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from absl import flags  # noqa: E402

from dal_tf.config import CalibrateConfig  # noqa: E402
from dal_tf.config import command_line  # noqa: E402

command_line.define_flags(CalibrateConfig)


def calibrate_and_print():
    import sys

    from dal_tf.people.calibrate_export import calibrate_export

    config = command_line.config_from_flags(CalibrateConfig, flags.FLAGS)
    result = calibrate_export(config, log=lambda line: print(line, file=sys.stderr, flush=True))
    print(f"{result['positive_pairs']} same-person and {result['negative_pairs']} different-person cross-camera pairs")
    print(f"equal error: threshold {result['equal_error_threshold']:.4f}, rate {result['equal_error_rate']:.2%}")
    for rate, value in result["thresholds_at_false_match_rates"].items():
        print(f"at {float(rate):.1%} false matches: threshold {value:.4f}")
    print(f"for who is who (dal_tf.identities): threshold {result['people_threshold']:.4f}, the highest F1 of "
          f"same-person decisions over these pairs ({result['pair_f1']:.3f})")
    where = "written into the export" if config.write else "not written (--nowrite)"
    print(f"threshold {result['value']:.4f} and people threshold {result['people_threshold']:.4f} {where}; "
          f"plot: {os.path.abspath(config.plot)}")


if __name__ == "__main__":
    command_line.entry_point("dal_tf.calibrate", calibrate_and_print)
