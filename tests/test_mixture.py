"""dal_tf.people.mixture: the mixture weight against an independent maximum-likelihood grid search
(SciPy's kernel density estimate at the same bandwidth), against the weight the samples were drawn
with, and at the edges."""

import numpy as np
import pytest
from scipy.stats import gaussian_kde

from dal_tf.people import mixture


def test_weight_is_the_likelihoods_maximum():
    rng = np.random.default_rng(0)
    first, second = rng.normal(0.5, 0.08, 60), rng.normal(0.9, 0.1, 80)
    mixed = np.concatenate([rng.normal(0.5, 0.08, 70), rng.normal(0.9, 0.1, 30)])
    floor = mixture.BANDWIDTH_FLOOR * np.std(np.concatenate([first, second]))
    # gaussian_kde's bw_method is the factor times the sample's standard deviation (ddof 1)
    f1, f2 = (gaussian_kde(s, bw_method=mixture.bandwidth(s, floor) / np.std(s, ddof=1))(mixed)
              for s in (first, second))
    grid = np.linspace(0.001, 0.999, 9981)
    likelihood = [np.sum(np.log(w * f1 + (1 - w) * f2)) for w in grid]
    assert mixture.mixture_weight(mixed, first, second) == pytest.approx(grid[np.argmax(likelihood)], abs=2e-4)


@pytest.mark.parametrize("weight", [0.2, 0.5, 0.9])
def test_recovers_the_weight_drawn_with(weight):
    rng = np.random.default_rng(1)
    first, second = rng.normal(0.4, 0.05, 400), rng.normal(1.0, 0.05, 400)
    n = 4000
    mixed = np.where(rng.random(n) < weight, rng.normal(0.4, 0.05, n), rng.normal(1.0, 0.05, n))
    assert mixture.mixture_weight(mixed, first, second) == pytest.approx(weight, abs=0.02)


def test_samples_of_equal_values():
    # each component one value: the mixed values are counted; equal components say nothing (1/2)
    assert mixture.mixture_weight([0.1] * 6 + [0.4] * 3, [0.1] * 4, [0.4] * 5) == pytest.approx(2 / 3)
    assert mixture.mixture_weight([0.3, 0.3], [0.3], [0.3]) == pytest.approx(0.5)
    with pytest.raises(ValueError):
        mixture.mixture_weight([], [0.1], [0.2])


def test_silverman_bandwidth():
    sample = np.arange(10.0)  # std 2.872, IQR 4.5 / 1.34 = 3.358: the std is the smaller
    assert mixture.bandwidth(sample, 0.0) == pytest.approx(0.9 * np.std(sample) * 10 ** -0.2)
    assert mixture.bandwidth(np.ones(5), 0.25) == 0.25


def test_large_samples_by_their_quantiles_and_in_blocks(monkeypatch):
    # the same weight whether the densities use every value at once, or quantiles block by block
    rng = np.random.default_rng(2)
    first, second = rng.normal(0.4, 0.1, 900), rng.normal(0.8, 0.1, 700)
    mixed = np.concatenate([rng.normal(0.4, 0.1, 600), rng.normal(0.8, 0.1, 400)])
    whole = mixture.mixture_weight(mixed, first, second)
    monkeypatch.setattr(mixture, "KERNELS", 300)
    monkeypatch.setattr(mixture, "BLOCK_VALUES", 1000)
    assert len(mixture.kernels(first)) == 300 and mixture.kernels(first)[[0, -1]].tolist() == [first.min(), first.max()]
    assert mixture.mixture_weight(mixed, first, second) == pytest.approx(whole, abs=0.01)
    monkeypatch.setattr(mixture, "KERNELS", 10 ** 6)
    assert mixture.mixture_weight(mixed, first, second) == pytest.approx(whole, rel=1e-12)  # blocks alone: exact
