"""The augmented sampler's row passes against plain numpy."""

from __future__ import annotations

import numpy as np
import pytest

from pandas_hier.kernels.rows import linear_predictor, weighted_stats


@pytest.mark.parametrize("d", [1, 2, 4])
def test_weighted_stats_and_linear_predictor_equal_numpy(d):
    rng = np.random.default_rng(d)
    n, G = 500, 7
    X = np.column_stack([np.ones(n), rng.normal(size=(n, d - 1))])
    leaf = rng.integers(0, G - 1, n)  # leaf G-1 has no rows
    w, z = rng.gamma(2.0, size=n), rng.normal(size=n)
    cnt, xtx, xty, yty = weighted_stats(X, leaf, w, w * z, w * z * z, G)
    for g in range(G):
        m = leaf == g
        assert cnt[g] == m.sum()
        np.testing.assert_allclose(xtx[g], (X[m] * w[m, None]).T @ X[m], atol=1e-12)
        np.testing.assert_allclose(xty[g], X[m].T @ (w[m] * z[m]), atol=1e-12)
        np.testing.assert_allclose(yty[g], np.sum(w[m] * z[m] ** 2), atol=1e-12)
    theta = rng.normal(size=(G, d))
    np.testing.assert_allclose(linear_predictor(X, leaf, theta), np.sum(X * theta[leaf], axis=1))
