"""Test-split evaluation: tracklet features, Euclidean distances, CMC and mAP."""

from __future__ import annotations

from typing import Callable

import tensorflow as tf

from dal_tf import features, metrics
from dal_tf.datasets.base import ReidDataset

REPORTED_RANKS = (1, 5, 10, 20)


def evaluate(
    embed: Callable[[tf.Tensor], tf.Tensor],
    dataset: ReidDataset,
    *,
    height: int,
    width: int,
    backbone: str,
    batch_size: int = 128,
    pooling: str = "max",
) -> dict:
    """Returns {'rank1', 'rank5', 'rank10', 'rank20', 'mAP', 'mINP'} in percent plus counts."""
    extract = dict(height=height, width=width, backbone=backbone, batch_size=batch_size, pooling=pooling)
    query = features.tracklet_features(embed, dataset.query, **extract)
    gallery = features.tracklet_features(embed, dataset.gallery, **extract)
    result = metrics.evaluate_rank(
        metrics.euclidean_distances(query, gallery),
        dataset.query.person_ids(), dataset.gallery.person_ids(),
        dataset.query.cameras(), dataset.gallery.cameras(),
        protocol=dataset.protocol, max_rank=max(REPORTED_RANKS),
    )
    scores = {f"rank{k}": 100.0 * float(result.cmc[k - 1]) for k in REPORTED_RANKS}
    scores.update(mAP=100.0 * float(result.mAP), mINP=100.0 * float(result.mINP))
    scores.update(num_query=len(dataset.query), num_gallery=len(dataset.gallery),
                  num_valid_queries=int(result.num_valid_queries))
    return scores


def format_table(rows: dict[str, dict]) -> str:
    """A Markdown table, one row per named result."""
    columns = [f"rank{k}" for k in REPORTED_RANKS] + ["mAP"]
    lines = ["| model | " + " | ".join(c.replace("rank", "R-") for c in columns) + " |",
             "|---|" + "---:|" * len(columns)]
    for name, scores in rows.items():
        lines.append(f"| {name} | " + " | ".join(f"{scores[c]:.1f}" for c in columns) + " |")
    return "\n".join(lines)
