"""The weight of one component in a two-component mixture whose components are known only from a
sample of each (pure NumPy): how the label-free threshold learns what share of tracklets have a
match in another camera.

Each component's density is a Gaussian kernel density estimate of its sample (Silverman's rule of
thumb for the bandwidth); with the densities fixed, the log-likelihood of the mixed sample is
concave in the weight, so EM (Dempster, Laird and Rubin 1977) converges to its one maximum.
Memory is bounded for any number of tracklets: a sample of more than KERNELS values is represented
by KERNELS of its quantiles, and the densities are evaluated a block of points at a time.
"""

from __future__ import annotations

import numpy as np

ITERATIONS = 1000
TOLERANCE = 1e-9
BANDWIDTH_FLOOR = 0.01  # of the two samples' pooled standard deviation: a sample of equal values
KERNELS = 4096
BLOCK_VALUES = 2 ** 22  # points x kernels evaluated at once


def bandwidth(sample: np.ndarray, floor: float) -> float:
    """Silverman's rule of thumb, 0.9 min(std, IQR / 1.34) n^(-1/5), at least floor."""
    spread = np.std(sample)
    quartiles = np.subtract(*np.percentile(sample, [75, 25]))
    if quartiles > 0:
        spread = min(spread, quartiles / 1.34)
    return max(0.9 * spread * len(sample) ** -0.2, floor)


def kernels(sample: np.ndarray) -> np.ndarray:
    """The sample itself, or KERNELS of its quantiles where it is larger (evenly spaced order statistics)."""
    if len(sample) <= KERNELS:
        return sample
    return np.sort(sample)[np.linspace(0, len(sample) - 1, KERNELS).round().astype(np.int64)]


def log_density(sample: np.ndarray, points: np.ndarray, width: float) -> np.ndarray:
    """[len(points)] the log of the Gaussian kernel density estimate of sample, at points."""
    centres = kernels(sample)
    step = max(1, BLOCK_VALUES // len(centres))
    out = np.empty(len(points))
    for start in range(0, len(points), step):
        z = (points[start:start + step, None] - centres[None, :]) / width
        log_kernels = -0.5 * z * z
        top = log_kernels.max(axis=1)
        out[start:start + step] = top + np.log(np.exp(log_kernels - top[:, None]).sum(axis=1))
    return out - np.log(len(centres) * width * np.sqrt(2 * np.pi))


def mixture_weight(mixed: np.ndarray, first: np.ndarray, second: np.ndarray) -> float:
    """The maximum-likelihood weight w of `first`'s component in mixed ~ w f1 + (1 - w) f2, where
    f1 and f2 are the kernel density estimates of the samples first and second."""
    mixed, first, second = (np.asarray(a, np.float64).ravel() for a in (mixed, first, second))
    if not (len(mixed) and len(first) and len(second)):
        raise ValueError("a mixture weight needs a mixed sample and a sample of each component")
    floor = BANDWIDTH_FLOOR * float(np.std(np.concatenate([first, second]))) or np.finfo(np.float64).tiny
    log_ratio = (log_density(first, mixed, bandwidth(first, floor))
                 - log_density(second, mixed, bandwidth(second, floor)))
    weight = 0.5
    for _ in range(ITERATIONS):
        # responsibility of the first component: w f1 / (w f1 + (1 - w) f2), from the log ratio
        logit = np.clip(log_ratio + np.log(weight) - np.log1p(-weight), -700, 700)
        updated = float(np.mean(1.0 / (1.0 + np.exp(-logit))))
        updated = min(max(updated, 1e-12), 1 - 1e-12)
        if abs(updated - weight) < TOLERANCE:
            return updated
        weight = updated
    return weight
