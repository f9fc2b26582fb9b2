"""The augmented route: its slice sampler, the families' augmentation terms, end-to-end Gibbs
fits, and (slow) agreement with the row-level model's posterior."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import pandas_hier
from pandas_hier import families
from pandas_hier.backend.augmented import _polyagamma, _slice
from helpers import quiet_fit


def test_slice_sampler_draws_from_its_target():
    rng = np.random.default_rng(0)
    x = np.array([0.0, 5.0])
    logp = lambda z: stats.norm(1.0, 2.0).logpdf(z[0]) + stats.gamma(3.0).logpdf(z[1])  # noqa: E731
    lp, out = logp(x), []
    for _ in range(4000):
        for i in (0, 1):
            lp = _slice(logp, x, i, 2.0, lp, rng)
        out.append(x.copy())
    out = np.array(out[500:])
    assert abs(out[:, 0].mean() - 1.0) < 0.2 and abs(out[:, 0].std() - 2.0) < 0.15
    assert stats.kstest(out[::5, 1], stats.gamma(3.0).cdf).pvalue > 0.01
    assert lp == pytest.approx(logp(x))


@pytest.mark.parametrize("b", [1.0, 0.37, 3.0, 7.0000001, 12.6, 40.5, 80.5])
def test_polyagamma_split_draws_the_same_distribution(b):
    # PG(b) = PG(floor b) + PG(frac b): same law as the package's exact alternate method at b
    rng = np.random.default_rng(7)
    z = np.full(4000, 1.3)
    ours = _polyagamma(np.full(4000, b), z, rng)
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
    draws = _polyagamma(np.full(n, b), np.full(n, z), rng)
    c = 1.0 / (2 * np.pi**2 * (np.arange(1, 200_001) - 0.5) ** 2 + z**2 / 2)
    k1, k2, k3 = b * c.sum(), b * (c**2).sum(), 2 * b * (c**3).sum()
    skew = k3 / k2**1.5
    assert abs(draws.mean() - k1) < 4 * np.sqrt(k2 / n)
    assert abs(draws.var() / k2 - 1) < 0.05
    assert abs(stats.skew(draws) - skew) < 4 * np.sqrt(6 / n), (stats.skew(draws), skew)


def test_negbinomial_loglik_at_equals_its_logpdf():
    fam = families.get("negbinomial")
    rng = np.random.default_rng(3)
    y, mu = rng.poisson(4.0, 500).astype(float), rng.normal(1.0, 2.0, 500)
    f = fam.loglik_at(y, mu)
    for a in (0.3, 2.0, 55.0):
        assert np.isclose(f(None, alpha=a), fam.logpdf(y, mu, alpha=np.array([a])).sum(), rtol=1e-12)


@pytest.mark.parametrize("name", ["bernoulli", "binomial", "negbinomial"])
def test_polyagamma_terms_give_the_likelihood_up_to_a_constant(name):
    """``(kappa + b / 2) psi - b log(1 + e^psi)`` with ``psi = eta + shift`` differs from the
    family's log-likelihood by a term free of ``eta``."""
    fam = families.get(name)
    rng = np.random.default_rng(1)
    y = rng.integers(0, 2 if name == "bernoulli" else 6, 50).astype(float)
    extra = {"trials": y + rng.integers(0, 4, 50)} if name == "binomial" else {}
    if name == "negbinomial":
        extra["alpha"] = 2.5
    b, kappa, shift = fam.polyagamma_terms(y, extra)
    kw = {k: (np.array([v]) if k == "alpha" else v) for k, v in extra.items()}
    gaps = []
    for eta in (rng.normal(size=50), rng.normal(size=50) + 1.0):
        psi = eta + shift
        gaps.append(fam.logpdf(y, eta, None, **kw) - ((kappa + b / 2) * psi - b * np.logaddexp(0.0, psi)))
    np.testing.assert_allclose(gaps[0], gaps[1], atol=1e-10)


def _nested(family: str, seed: int = 0, n_top: int = 4, n_leaf: int = 5, per: int = 12):
    """Two nested levels with intercepts varying at both, slope 0.6 in x."""
    rng = np.random.default_rng(seed)
    top = np.repeat(np.arange(n_top), n_leaf * per)
    leaf = np.repeat(np.arange(n_top * n_leaf), per)
    x = rng.standard_normal(len(leaf))
    eta = 0.2 + 0.5 * rng.standard_normal(n_top)[top] + 0.4 * rng.standard_normal(n_top * n_leaf)[leaf] + 0.6 * x
    df = pd.DataFrame({"a": [f"a{i}" for i in top], "b": [f"b{i % n_leaf}" for i in leaf], "x": x})
    if family == "bernoulli":
        df["y"] = (rng.random(len(x)) < 1 / (1 + np.exp(-eta))).astype(int)
    elif family == "binomial":
        df["n"] = rng.integers(1, 6, len(x))
        df["y"] = rng.binomial(df["n"], 1 / (1 + np.exp(-eta)))
    elif family == "negbinomial":
        df["y"] = rng.poisson(rng.gamma(4.0, np.exp(eta + 0.5) / 4.0))
    elif family == "poisson":
        df["y"] = rng.poisson(np.exp(eta))
    else:
        df["y"] = eta + 0.5 * rng.standard_t(3, len(x))
    return df


def test_augmented_fit_is_the_default_mixes_and_repeats_with_its_seed():
    df = _nested("bernoulli")
    # 3 chains on at most 2 threads: a chain reuses a finished chain's compiled functions, never
    # a running one's (the draws would then differ between the two identical fits below)
    kw = {"likelihood": "bernoulli", "chains": 3, "draws": 300, "tune": 300, "random_seed": 4}
    fit = quiet_fit(df, "x", "y", levels=["a", "b"], **kw)
    assert fit.sampler == "gibbs" and set(fit.parameterization.values()) == {"augmented"}
    d = fit.diagnostics
    assert d.divergences == 0 and d.max_rhat < 1.02 and d.min_ess_bulk > 100, d
    slope = fit.summary().query("parameter == 'b_global' and coef == 'x'").iloc[0]
    assert abs(slope["mean"] - 0.6) < 4 * slope["sd"]
    again = quiet_fit(df, "x", "y", levels=["a", "b"], **kw)
    np.testing.assert_array_equal(fit.idata["posterior"]["sd_b"], again.idata["posterior"]["sd_b"])
    assert fit.idata["posterior"]["b_b"].sizes["b"] == 20  # every coefficient was drawn


@pytest.mark.parametrize("family, kwargs", [("studentt", {}), ("cauchy", {}), ("studentt", {"nu": 4})])
def test_augmented_scale_mixture_fits(family, kwargs):
    df = _nested("studentt", seed=2)
    fit = quiet_fit(df, "x", "y", levels=["a", "b"], likelihood=family, chains=2, draws=300,
                    tune=300, random_seed=5, **kwargs)  # fmt: skip
    assert fit.sampler == "gibbs"
    summary = fit.summary()
    assert ("nu" in set(summary["parameter"])) == (family == "studentt" and not kwargs)
    slope = summary.query("parameter == 'b_global' and coef == 'x'").iloc[0]
    assert abs(slope["mean"] - 0.6) < 4 * slope["sd"]
    assert fit.diagnostics.max_rhat < 1.05


def test_augmented_is_refused_where_no_augmentation_exists():
    df = _nested("bernoulli")
    with pytest.raises(ValueError, match="parameterization='augmented' .* likelihood='normal'"):
        pandas_hier.fit(df, "x", "y", levels=["a", "b"], likelihood="normal", parameterization="augmented")


@pytest.mark.slow
@pytest.mark.parametrize(
    "family, kwargs",
    [("bernoulli", {}), ("binomial", {"trials": "n"}), ("negbinomial", {}), ("studentt", {}),
     ("poisson", {}), ("poisson", {"varying": {"a": ["intercept"], "b": ["intercept"]}})],
)  # fmt: skip
def test_augmented_posterior_equals_the_row_level_models(family, kwargs):
    """Same priors, same data: the Gibbs sampler and NUTS on the row-level (centred) model give
    the same posterior means and sds of the sds, the global coefficients and the family's
    parameters, within Monte Carlo error."""
    df = _nested(family, seed=7, per=20)
    common = {"likelihood": family, "chains": 4, "draws": 1500, "tune": 1000, "random_seed": 8, **kwargs}
    gibbs = quiet_fit(df, "x", "y", levels=["a", "b"], **common)
    nuts = quiet_fit(df, "x", "y", levels=["a", "b"], parameterization="noncentered",
                     sampler="nutpie", target_accept=0.95, **common)  # fmt: skip
    assert gibbs.sampler == "gibbs" and nuts.sampler == "nutpie"
    for fit in (gibbs, nuts):
        assert fit.diagnostics.max_rhat < 1.02, fit.diagnostics
    s1, s2 = gibbs.summary().set_index(["parameter", "coef"]), nuts.summary().set_index(["parameter", "coef"])
    keep = [k for k in s1.index if k[0] in ("b_global", "sd_a", "sd_b", "nu", "alpha", "sigma")]
    for key in keep:
        a, b = s1.loc[key], s2.loc[key]
        a, b = (a.iloc[0], b.iloc[0]) if isinstance(a, pd.DataFrame) else (a, b)
        mcse = np.hypot(a["sd"] / np.sqrt(a["ess_bulk"]), b["sd"] / np.sqrt(b["ess_bulk"]))
        assert abs(a["mean"] - b["mean"]) < 4.5 * mcse, (key, a["mean"], b["mean"], mcse)
        assert abs(a["sd"] - b["sd"]) < 0.15 * b["sd"], (key, a["sd"], b["sd"])
