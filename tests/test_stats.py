"""Tests of pandas_hier.stats: per-leaf sufficient statistics."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import tiny_data
from scipy import stats as sps


def test_sufficient_statistics_likelihood_equals_row_likelihood():
    data = tiny_data(p=2, n_rows=40)
    rng = np.random.default_rng(5)
    theta = rng.normal(size=(data.sizes[-1], 3))
    mu = np.sum(theta[data.leaf] * data.X, axis=1)
    want = sps.norm(mu, 0.8).logpdf(data.y).sum()
    assert data.stats.loglik(theta, 0.8) == pytest.approx(want, rel=1e-12)
