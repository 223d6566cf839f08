"""A straightforward k-reciprocal re-ranking, written from Zhong et al., CVPR 2017 (Sec. 3-4) and
the details of the authors' released code: dense matrices, one probe at a time, Python sets.
Only for small cases (tests) and the speed comparison in benchmarks/bench_reranking.py."""

import numpy as np


def reference_rerank(query, gallery, k1=20, k2=6, lambda_value=0.3):
    features = np.concatenate([query, gallery]).astype(np.float64)
    num_query = len(query)
    jaccard, distance = reference_jaccard(features, k1, k2)
    return (1 - lambda_value) * jaccard[:num_query, num_query:] + lambda_value * distance[:num_query, num_query:]


def reference_jaccard(features, k1, k2, scaled=True):
    """[N, N] Jaccard distances of the k-reciprocal encodings, and the distances they were ranked
    by. scaled=False: the kernel exp(-d) of the squared distance itself (Cluster Contrast's)."""
    n = len(features)
    squared = np.array([[np.sum((a - b) ** 2) for b in features] for a in features])
    distance = squared / squared.max(axis=1, keepdims=True)  # each probe's distances scaled to [0, 1]
    ranking = [list(np.argsort(row, kind="stable")) for row in distance]  # ties: lower index first
    kernel = distance if scaled else squared

    def neighbours(i, k):  # N(i, k): the k nearest besides i itself, so k + 1 entries
        return ranking[i][:k + 1]

    def reciprocal(i, k):  # R(i, k) = {j in N(i, k) : i in N(j, k)}
        return {j for j in neighbours(i, k) if i in neighbours(j, k)}

    encoding = np.zeros((n, n))
    for i in range(n):
        expanded = set(reciprocal(i, k1))
        for candidate in reciprocal(i, k1):
            half = reciprocal(candidate, int(np.around(k1 / 2)))
            if len(half & reciprocal(i, k1)) > 2 / 3 * len(half):
                expanded |= half
        for j in expanded:  # Gaussian kernel of the distance over R*(i)
            encoding[i, j] = np.exp(-kernel[i, j])
        encoding[i] /= encoding[i].sum()
    if k2 > 1:  # local query expansion over the k2 nearest
        encoding = np.array([encoding[ranking[i][:k2]].mean(axis=0) for i in range(n)])

    jaccard = np.empty((n, n))
    for a in range(n):
        for b in range(n):
            jaccard[a, b] = 1 - np.minimum(encoding[a], encoding[b]).sum() / np.maximum(encoding[a], encoding[b]).sum()
    return jaccard, distance
