"""pandas_hier.intervals: the one HDI."""

from __future__ import annotations

import numpy as np

from pandas_hier.intervals import hdi


def _narrowest(x, prob):
    s = np.sort(x)
    k = int(np.floor(prob * len(s)))
    widths = s[k:] - s[: len(s) - k]
    i = int(np.argmin(widths))
    return s[i], s[i + k]


def test_hdi_is_the_narrowest_interval_per_column():
    rng = np.random.default_rng(1)
    draws = np.column_stack([rng.normal(size=4000), rng.exponential(size=4000)])
    lo, hi = hdi(draws, 0.9)
    for j in range(2):
        assert (lo[j], hi[j]) == _narrowest(draws[:, j], 0.9)
    assert lo[1] < 0.01  # a skewed distribution's HDI starts at its mode


def test_hdi_reduces_the_given_axis():
    lo, hi = hdi(np.zeros((2, 3, 500)), 0.5, axis=2)
    assert lo.shape == hi.shape == (2, 3)
