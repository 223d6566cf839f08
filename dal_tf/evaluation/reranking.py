"""k-reciprocal re-ranking (Zhong, Zheng, Cao, Li, "Re-ranking Person Re-identification with
k-reciprocal Encoding", CVPR 2017), vectorised with memory bounded by blocks.

Queries and gallery are ranked together, as the authors' code does (N = Q + G tracklets; MARS'
queries, which are gallery entries too, then appear twice). dal_tf.neighbours.reciprocal gives the
k-reciprocal encodings of all N rows and their Jaccard distances d_J (steps 1-5 there); the result,
for query q and gallery g, is (1 - lambda) d_J(q, g) + lambda d(q, g), d the squared distance
divided by the largest of q's row.

Defaults are the paper's k1 = 20, k2 = 6, lambda = 0.3. The dense N x N matrices of the authors'
code (1.5 GiB each at MARS' 14,160 rows in float64) are never formed; what stays is O(N k1^2)
beside the [Q, G] result (benchmarks/bench_reranking.py measures time and memory at MARS size).
"""

from __future__ import annotations

import numpy as np

from dal_tf.config import RerankConfig
from dal_tf.evaluation import metrics
from dal_tf.neighbours import reciprocal
from dal_tf.utils.errors import UserInputError

PAPER = RerankConfig(rerank=True)  # k1 = 20, k2 = 6, lambda = 0.3


def ranking_distances(query: np.ndarray, gallery: np.ndarray, config: RerankConfig) -> np.ndarray:
    """What the gallery is ranked by for each query, [Q, G]: Euclidean distances, or with
    --rerank the re-ranked ones."""
    if not config.rerank:
        return metrics.euclidean_distances(query, gallery)
    if len(query) + len(gallery) <= config.rerank_k1:
        raise UserInputError(f"--rerank_k1={config.rerank_k1} needs more than {config.rerank_k1} query and gallery "
                             f"tracklets together; there are {len(query) + len(gallery)}")
    return k_reciprocal_distances(query, gallery, config.rerank_k1, config.rerank_k2, config.rerank_lambda)


def k_reciprocal_distances(query: np.ndarray, gallery: np.ndarray, k1: int = PAPER.rerank_k1,
                           k2: int = PAPER.rerank_k2, lambda_value: float = PAPER.rerank_lambda) -> np.ndarray:
    """Re-ranked distances [Q, G] (smaller = closer) of query [Q, D] and gallery [G, D] features."""
    features = np.concatenate([query, gallery]).astype(np.float64)
    num_query, num_rows = len(query), len(features)
    if not 1 <= k1 < num_rows or not 1 <= k2 <= k1 + 1 or not 0 <= lambda_value <= 1:
        raise ValueError(f"need 1 <= k1 < {num_rows} rows, 1 <= k2 <= k1 + 1 and 0 <= lambda <= 1; got k1={k1}, "
                         f"k2={k2}, lambda={lambda_value}")
    encoding, query_distances = reciprocal.reciprocal_encoding(features, num_query, k1, k2)
    jaccard = np.empty((num_query, num_rows - num_query))
    for start, block in reciprocal.jaccard_blocks(encoding[:num_query], encoding[num_query:]):
        jaccard[start:start + len(block)] = block
    return (1 - lambda_value) * jaccard + lambda_value * query_distances
