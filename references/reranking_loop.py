"""A straightforward k-reciprocal re-ranking, written from Zhong et al., CVPR 2017 (Sec. 3-4) and
the details of the authors' released code: dense matrices, one probe at a time, Python sets.
Only for small cases (tests) and the speed comparison in benchmarks/bench_reranking.py."""

import numpy as np


def reference_rerank(query, gallery, k1=20, k2=6, lambda_value=0.3):
    features = np.concatenate([query, gallery]).astype(np.float64)
    n, num_query = len(features), len(query)
    distance = np.array([[np.sum((a - b) ** 2) for b in features] for a in features])
    distance = distance / distance.max(axis=1, keepdims=True)  # each probe's distances scaled to [0, 1]
    ranking = [list(np.argsort(row, kind="stable")) for row in distance]  # ties: lower index first

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
            encoding[i, j] = np.exp(-distance[i, j])
        encoding[i] /= encoding[i].sum()
    if k2 > 1:  # local query expansion over the k2 nearest
        encoding = np.array([encoding[ranking[i][:k2]].mean(axis=0) for i in range(n)])

    result = np.empty((num_query, n - num_query))
    for q in range(num_query):
        for g in range(num_query, n):
            shared = np.minimum(encoding[q], encoding[g]).sum()
            jaccard = 1 - shared / np.maximum(encoding[q], encoding[g]).sum()
            result[q, g - num_query] = (1 - lambda_value) * jaccard + lambda_value * distance[q, g]
    return result
