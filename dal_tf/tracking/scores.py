"""Tracks against ground truth with motmetrics (py-motmetrics, the MOTChallenge metrics): MOTA,
IDF1 and their counts per camera and overall, and each track's ground-truth identity.

Tracks are [n, 6] arrays of (frame, id, x, y, w, h). Boxes pair when their IoU is at least 0.5, as
in MOTChallenge. motmetrics' own iou_matrix calls np.asfarray, which NumPy 2 removed, so the
distances come from its boxiou with iou_matrix's rule (1 - IoU, no pair above 0.5).
"""

from __future__ import annotations

import numpy as np

from dal_tf.utils.errors import UserInputError

MIN_IOU = 0.5
REPORTED = ("mota", "idf1", "num_switches", "num_false_positives", "num_misses", "num_objects")


def _motmetrics():
    try:
        import motmetrics
    except ImportError as error:
        raise UserInputError("scoring tracks needs motmetrics: pip install motmetrics") from error
    return motmetrics


def accumulate(truth: np.ndarray, tracks: np.ndarray):
    """A motmetrics accumulator of tracks against truth, frame by frame."""
    mm = _motmetrics()
    accumulator = mm.MOTAccumulator(auto_id=False)
    frames = np.union1d(truth[:, 0], tracks[:, 0]).astype(np.int64)
    for frame in frames:
        gt, hyp = truth[truth[:, 0] == frame], tracks[tracks[:, 0] == frame]
        distances = 1 - mm.distances.boxiou(gt[:, None, 2:6], hyp[None, :, 2:6])
        distances = np.where(distances > 1 - MIN_IOU, np.nan, distances).reshape(len(gt), len(hyp))
        accumulator.update(gt[:, 1].astype(np.int64), hyp[:, 1].astype(np.int64), distances, frameid=int(frame))
    return accumulator


def scores(accumulators: dict[str, object]) -> dict[str, dict]:
    """{camera: {mota, idf1, ...}} and 'overall' (all cameras' frames together)."""
    mm = _motmetrics()
    names = list(accumulators)
    table = mm.metrics.create().compute_many([accumulators[n] for n in names], names=names, metrics=list(REPORTED),
                                             generate_overall=True)
    return {name.lower() if name == "OVERALL" else name: {k: float(v) for k, v in row.items()}
            for name, row in table.iterrows()}


def format_scores(table: dict[str, dict]) -> str:
    lines = ["| camera | MOTA | IDF1 | ID switches | false positives | misses | ground-truth boxes |",
             "|---|---:|---:|---:|---:|---:|---:|"]
    for name, row in table.items():
        lines.append(f"| {name} | {100 * row['mota']:.1f} | {100 * row['idf1']:.1f} | {row['num_switches']:.0f} | "
                     f"{row['num_false_positives']:.0f} | {row['num_misses']:.0f} | {row['num_objects']:.0f} |")
    return "\n".join(lines)


def track_identities(accumulator) -> dict[int, int]:
    """{track id: the ground-truth id it is paired with on most frames} (tracks never paired with
    anyone have none)."""
    events = accumulator.mot_events
    paired = events[events["Type"].isin(["MATCH", "SWITCH"])]
    counts = paired.groupby(["HId", "OId"]).size().reset_index(name="frames")
    best = counts.sort_values(["HId", "frames", "OId"], ascending=[True, False, True]).drop_duplicates("HId")
    return {int(h): int(o) for h, o in zip(best["HId"], best["OId"])}


def multi_camera_id_scores(truth: dict[str, np.ndarray], hypotheses: dict[str, np.ndarray]) -> dict[str, float]:
    """IDF1, IDP and IDR of global ids over all cameras together, as the DukeMTMC and AI City
    multi-camera scores are computed: each camera's frames are one stretch of a single sequence,
    so an identity must keep its id from camera to camera. Both map camera -> (frame, id, x, y, w, h)."""
    mm = _motmetrics()
    cameras = sorted(truth)
    span = 1 + int(max(max(t[:, 0].max(initial=0) for t in truth.values()),
                       max((h[:, 0].max(initial=0) for h in hypotheses.values()), default=0)))

    def joined(tracks):
        parts = [tracks.get(c, np.zeros((0, 6))) + np.array([i * span, 0, 0, 0, 0, 0]) for i, c in enumerate(cameras)]
        return np.concatenate(parts)

    table = mm.metrics.create().compute(accumulate(joined(truth), joined(hypotheses)), metrics=["idf1", "idp", "idr"])
    return {name: float(table[name].iloc[0]) for name in ("idf1", "idp", "idr")}
