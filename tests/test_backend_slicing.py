"""Slice sampling along coordinates and along fixed directions."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pandas_hier.backend.slicing import slice_update


def test_slice_sampler_draws_from_its_target():
    rng = np.random.default_rng(0)
    x = np.array([0.0, 5.0])
    logp = lambda z: stats.norm(1.0, 2.0).logpdf(z[0]) + stats.gamma(3.0).logpdf(z[1])  # noqa: E731
    lp, out = logp(x), []
    for _ in range(4000):
        for i in (0, 1):
            lp = slice_update(logp, x, i, 2.0, lp, rng)
        out.append(x.copy())
    out = np.array(out[500:])
    assert abs(out[:, 0].mean() - 1.0) < 0.2 and abs(out[:, 0].std() - 2.0) < 0.15
    assert stats.kstest(out[::5, 1], stats.gamma(3.0).cdf).pvalue > 0.01
    assert lp == pytest.approx(logp(x))


def test_slice_along_principal_axes_draws_a_correlated_pair():
    """Moves along the eigenvectors of a correlated Gaussian's covariance (as the Gibbs sweep
    does for Student-t's ``sigma`` and ``nu``) draw it with its correlation, and mix faster
    than moves along the coordinates."""
    cov = np.array([[1.0, 0.9], [0.9, 1.0]])
    prec = np.linalg.inv(cov)
    logp = lambda z: -0.5 * z[1:] @ prec @ z[1:]  # noqa: E731  (z[0]: a bystander)
    vals, vecs = np.linalg.eigh(cov)
    idx = np.array([1, 2])
    lag1 = {}
    for how in ("axes", "coordinates"):
        rng, x = np.random.default_rng(1), np.array([7.0, 0.0, 0.0])
        lp, out = logp(x), []
        for _ in range(6000):
            if how == "axes":
                for k in range(2):
                    lp = slice_update(logp, x, idx, 3.0 * np.sqrt(vals[k]), lp, rng, vecs[:, k])
            else:
                for i in idx:
                    lp = slice_update(logp, x, int(i), 3.0, lp, rng)
            out.append(x.copy())
        out = np.array(out[500:])
        assert np.all(out[:, 0] == 7.0)
        assert lp == pytest.approx(logp(x))
        np.testing.assert_allclose(np.cov(out[:, 1:].T), cov, atol=0.12)
        a = out[:, 1] - out[:, 1].mean()
        lag1[how] = (a[1:] @ a[:-1]) / (a @ a)
    assert lag1["axes"] < 0.3 and lag1["coordinates"] > 0.6


def test_an_admissible_region_restricts_the_target():
    """``admissible`` restricts the target (checked only where shrinkage would accept): a
    standard normal restricted to ``x > 0.5`` is drawn with its truncated mean and sd, and no
    draw falls outside; the stepping out still runs on the whole normal."""
    rng, x = np.random.default_rng(5), np.array([1.0])
    logp = lambda z: -0.5 * z[0] ** 2  # noqa: E731
    checked = []

    def inside(z):
        checked.append(z[0])
        return z[0] > 0.5

    lp, draws = logp(x), []
    for _ in range(20_000):
        lp = slice_update(logp, x, 0, 2.0, lp, rng, admissible=inside)
        draws.append(x[0])
    draws = np.array(draws)
    truncated = stats.truncnorm(0.5, np.inf)
    assert draws.min() > 0.5
    assert abs(draws.mean() - truncated.mean()) < 0.02 and abs(draws.std() - truncated.std()) < 0.02
    assert len(checked) < 3 * len(draws)  # about once per update, not at every evaluation
