"""What --association=clusters would make of a run's intra anchors at a checkpoint: for each
setting, the clusters DBSCAN finds, the largest, the outliers and the share of rows given partners.

    python experiments/cluster_sizes.py --train_dir=RUN [--step=800] [--settings=30,6,4 5,2,2] [--eps=0.4,0.5,0.6]

Each setting is k1,k2,min_samples (--cluster_k1, --cluster_k2, --cluster_min_samples).
"""

from __future__ import annotations

import argparse
import os

import numpy as np
import tensorflow as tf

from dal_tf.neighbours import dbscan
from dal_tf.utils.arrays import l2_normalize_rows


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--train_dir", required=True)
    parser.add_argument("--step", type=int, default=0, help="0: the latest checkpoint")
    parser.add_argument("--settings", nargs="+", default=["30,6,4", "5,2,2"])
    parser.add_argument("--eps", default="0.4,0.5,0.6")
    args = parser.parse_args()
    directory = os.path.join(args.train_dir, "checkpoints")
    path = os.path.join(directory, f"ckpt-{args.step}") if args.step else tf.train.latest_checkpoint(directory)
    intra = tf.train.load_checkpoint(path).get_tensor("anchors/intra/.ATTRIBUTES/VARIABLE_VALUE")
    visited = np.any(intra != 0, axis=1)
    unit = l2_normalize_rows(intra[visited])
    print(f"{path}: {visited.sum()} visited anchors of {len(intra)}")
    print("| k1, k2, min_samples | eps | clusters | largest | outliers | rows with partners |")
    print("|---|---:|---:|---:|---:|---:|")
    for setting in args.settings:
        k1, k2, min_samples = (int(v) for v in setting.split(","))
        for eps in (float(e) for e in args.eps.split(",")):
            labels = dbscan.jaccard_clusters(unit, eps, k1, k2, min_samples)
            sizes = np.bincount(labels[labels >= 0]) if np.any(labels >= 0) else np.zeros(1, int)
            # A row has partners where its cluster has another member (cluster_partners' rule).
            with_partners = (labels >= 0) & (sizes[np.maximum(labels, 0)] >= 2)
            print(f"| {k1}, {k2}, {min_samples} | {eps} | {np.count_nonzero(sizes)} | {sizes.max()} | "
                  f"{np.sum(labels < 0)} | {np.mean(with_partners):.1%} |")


if __name__ == "__main__":
    main()
