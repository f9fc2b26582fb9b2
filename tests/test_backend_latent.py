"""Pólya-Gamma draws: the split into integer and fractional shapes draws the same law, and the
draws stay exact at large shapes (where the package's default approximates)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pandas_hier.backend.latent import polyagamma


@pytest.mark.parametrize("b", [1.0, 0.37, 3.0, 7.0000001, 12.6, 40.5, 80.5])
def test_polyagamma_split_draws_the_same_distribution(b):
    # PG(b) = PG(floor b) + PG(frac b): same law as the package's exact alternate method at b
    rng = np.random.default_rng(7)
    z = np.full(4000, 1.3)
    ours = polyagamma(np.full(4000, b), z, rng)
    theirs = __import__("polyagamma").random_polyagamma(
        np.full(4000, b), z, method="alternate", random_state=rng
    )
    mean = b / (2 * 1.3) * np.tanh(1.3 / 2)  # E PG(b, z)
    assert abs(ours.mean() - mean) < 4 * ours.std() / np.sqrt(ours.size)
    assert stats.ks_2samp(ours, theirs).pvalue > 0.001


@pytest.mark.parametrize("b", [30.0, 80.5, 400.0])
def test_polyagamma_draws_are_exact_at_large_shapes(b):
    """PG(b, z) = sum_k c_k g_k with g_k ~ Gamma(b), c_k = 1 / (2 pi^2 (k - 1/2)^2 + z^2 / 2),
    so its n-th cumulant is b (n-1)! sum_k c_k^n. A normal approximation (the package's default
    above b = 50) has no skewness; the draws must have PG's."""
    rng = np.random.default_rng(11)
    n, z = 40_000, 1.3
    draws = polyagamma(np.full(n, b), np.full(n, z), rng)
    c = 1.0 / (2 * np.pi**2 * (np.arange(1, 200_001) - 0.5) ** 2 + z**2 / 2)
    k1, k2, k3 = b * c.sum(), b * (c**2).sum(), 2 * b * (c**3).sum()
    skew = k3 / k2**1.5
    assert abs(draws.mean() - k1) < 4 * np.sqrt(k2 / n)
    assert abs(draws.var() / k2 - 1) < 0.05
    assert abs(stats.skew(draws) - skew) < 4 * np.sqrt(6 / n), (stats.skew(draws), skew)
