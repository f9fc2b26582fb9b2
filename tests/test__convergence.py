"""The vectorised convergence diagnostics equal ArviZ's, scalar by scalar."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from pandas_hier._convergence import diagnose_draws, ess_bulk, ess_tail, rhat_rank

az = pytest.importorskip("arviz")
xr = pytest.importorskip("xarray")


def _ar1(rng, chains, draws, k, phi):
    x = np.zeros((chains, draws, k))
    e = rng.normal(size=(chains, draws, k))
    for t in range(1, draws):
        x[:, t] = phi * x[:, t - 1] + e[:, t]
    return x


@pytest.mark.parametrize(
    ("chains", "draws", "phi"),
    [(2, 1000, 0.0), (4, 301, 0.9), (2, 100, 0.99), (3, 57, -0.5), (1, 200, 0.5)],
)
def test_equal_to_arviz(chains, draws, phi):
    rng = np.random.default_rng(chains * draws)
    x = _ar1(rng, chains, draws, 600, phi)
    x[:, :, 0] = 1.0  # constant: r_hat NaN, ESS = number of draws
    x[0, :, 1] += 3.0  # one chain shifted: r_hat far above 1
    x[:, :, 2] = np.round(x[:, :, 2])  # ties
    ds = xr.Dataset({"a": (("chain", "draw", "g"), x)})
    with warnings.catch_warnings():  # ArviZ warns on the constant column
        warnings.simplefilter("ignore", RuntimeWarning)
        ref = (az.rhat(ds)["a"].values, az.ess(ds, method="bulk")["a"].values,
               az.ess(ds, method="tail")["a"].values)  # fmt: skip
    got = diagnose_draws(x)
    for mine, theirs in zip(got, ref, strict=True):
        np.testing.assert_allclose(mine, theirs, rtol=1e-9, atol=1e-9, equal_nan=True)
    np.testing.assert_allclose(rhat_rank(x), ref[0], rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(ess_bulk(x), ref[1], rtol=1e-9, equal_nan=True)
    np.testing.assert_allclose(ess_tail(x), ref[2], rtol=1e-9, equal_nan=True)
    if chains > 1:
        assert got[0][1] > 1.1


def test_shapes_and_undiagnosable_parameters():
    x = np.random.default_rng(0).normal(size=(2, 50, 3, 4))
    x[0, 5, 1, 2] = np.nan
    r, b, t = diagnose_draws(x)
    assert r.shape == b.shape == t.shape == (3, 4)
    assert np.isnan(r[1, 2]) and np.isnan(b[1, 2]) and np.isnan(t[1, 2])
    assert np.isfinite(np.delete(r.ravel(), 6)).all()
    one_chain = diagnose_draws(x[:1])
    assert np.isnan(one_chain[0]).all() and np.isfinite(np.delete(one_chain[1].ravel(), 6)).all()
    too_short = diagnose_draws(x[:, :3])
    assert all(np.isnan(v).all() for v in too_short)


def test_ranks_average_ties_as_scipy():
    """The ranks behind every diagnostic equal scipy's average ranks, ties included: discrete
    draws, rounded draws, a constant row, and folded draws of an even count (the two middle
    draws are equally far from the median)."""
    from scipy.stats import rankdata

    from pandas_hier._convergence import _ranks

    rng = np.random.default_rng(0)
    even = rng.normal(size=(20, 100))
    for x in (rng.normal(size=(50, 101)), rng.integers(0, 5, (50, 100)).astype(float),
              np.round(rng.normal(size=(30, 64)), 1), np.ones((3, 10)),
              np.abs(even - np.median(even, axis=1, keepdims=True)), np.array([[1.0, np.nan, 0.0]])):  # fmt: skip
        np.testing.assert_array_equal(_ranks(x), rankdata(x, method="average", axis=1))
