"""What a run's cross-camera merges say without any label: how many training tracklets are merged
with a tracklet of another camera, between which cameras, and how many merges are mutual.

Without identities this is all a run can tell about its association (the paper's Fig. 4a); the
share of true merges (Fig. 4b) needs person ids.
"""

from __future__ import annotations

import numpy as np


def summary(partners: np.ndarray, tracklets_per_camera: list[int]) -> dict:
    """partners: [N] or [N, P] each anchor row's merge partners, -1 for none
    (AnchorTables.merge_partners: a rule may merge a row with one per other camera, or with its
    cluster, its own camera's tracklets too: those are left out here)."""
    partners = np.asarray(partners, np.int64)
    if partners.ndim == 1:
        partners = partners[:, np.newaxis]
    cameras = np.repeat(np.arange(len(tracklets_per_camera)), tracklets_per_camera)
    partners = np.where((partners >= 0) & (cameras[np.maximum(partners, 0)] != cameras[:, None]), partners, -1)
    rows, slots = np.nonzero(partners >= 0)  # every merge (row, partner)
    others = partners[rows, slots]
    pairs = np.zeros((len(tracklets_per_camera),) * 2, np.int64)
    np.add.at(pairs, (cameras[rows], cameras[others]), 1)
    mutual = np.any(partners[others] == rows[:, np.newaxis], axis=1)
    merged = np.any(partners >= 0, axis=1)
    return dict(tracklets=int(len(partners)), merged=int(merged.sum()),
                merged_share=float(merged.mean()) if len(partners) else 0.0,
                mutual_pairs=int(mutual.sum() // 2), camera_pairs=pairs.tolist())


def describe(merges: dict, camera_names: tuple[str, ...] = ()) -> str:
    names = list(camera_names) or [str(c) for c in range(len(merges["camera_pairs"]))]
    lines = [f"association: {merges['merged']} of {merges['tracklets']} training tracklets "
             f"({100 * merges['merged_share']:.1f}%) merged with a tracklet of another camera, "
             f"{merges['mutual_pairs']} mutual pairs"]
    for camera, row in enumerate(merges["camera_pairs"]):
        targets = ", ".join(f"{count} with {names[other]}" for other, count in enumerate(row) if count)
        lines.append(f"  camera {names[camera]}: {targets or 'none merged'}")
    return "\n".join(lines)
