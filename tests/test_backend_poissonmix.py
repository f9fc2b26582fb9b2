"""The negative binomial as a Gamma mixture of Poissons: the cells' likelihoods equal the
rows', the sum of a cell's Gamma variables carries all the coefficients need, and a fit mixes,
recovers and repeats."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import check_gibbs_fit, quiet_fit, two_level_frame
from scipy import stats

pytest.importorskip("pymc")

from pandas_hier import families  # noqa: E402
from pandas_hier.backend.augmented import _Chain, _Target  # noqa: E402
from pandas_hier.backend.dispersion import DispersionChain  # noqa: E402
from pandas_hier.backend.model import build_model  # noqa: E402
from pandas_hier.backend.poissonmix import MixChain, chain_type  # noqa: E402
from pandas_hier.design import prepare  # noqa: E402
from pandas_hier.options import FitOptions  # noqa: E402

NB = families.get("negbinomial")


def _counts(seed=0, n_top=3, n_leaf=4, per=12, exposure=False, family="negbinomial", trials=8):
    rng = np.random.default_rng(seed)
    df, eta = two_level_frame(rng, n_top, n_leaf, per, intercept=0.8, sd_top=0.4, sd_leaf=0.4, slope=0.3)
    x = np.round(df["x"])  # few values: rows merge into cells
    eta = eta + 0.3 * (x - df["x"])
    df["x"] = x
    df["t"] = rng.choice([0.5, 2.0], len(x)) if exposure else 1.0
    if family == "binomial":
        df["n"] = rng.integers(1, trials + 1, len(x))
        df["y"] = rng.binomial(df["n"], 1 / (1 + np.exp(1.0 - eta)))
    else:
        df["y"] = rng.poisson(rng.gamma(3.0, df["t"] * np.exp(eta) / 3.0))
    return df


def _chain(df, family="negbinomial", kind=MixChain, **options):
    opts = FitOptions(likelihood=family, **options)
    design = prepare(df, "x", "y", levels=["a", "b"], dropna=False, options=opts)
    assert chain_type(family, design.varying) is MixChain
    built = build_model(design.data, design.options, design.varying, design.parameterization)
    chain = kind(_Target(built, design.data, design.options), design.data, design.options,
                 np.random.default_rng(0))  # fmt: skip
    return chain, design.data


def _row_loglik(data, leaves, alpha):
    eta = (data.X * leaves[data.leaf]).sum(1) + (0.0 if data.offset is None else data.offset)
    return NB.logpdf(data.y, eta, alpha=np.array([alpha])).sum()


def test_cells_keep_the_rows_and_alpha_likelihood_equals_the_rows():
    chain, data = _chain(_counts(exposure=True), exposure="t")
    assert len(chain.y) < 0.6 * len(data.y) and chain.y.sum() == data.y.sum()
    assert chain.n_rows.sum() == len(data.y)
    rng, gaps = np.random.default_rng(1), []
    chain._log_coord = chain._alpha_log_coord()
    z = chain.x.copy()
    for alpha in (0.4, 3.0, 80.0):
        leaves = rng.normal(0.5, 0.6, (chain.G, chain.t.d))
        eta = (chain.X * leaves[chain.leaf]).sum(1) + chain.base
        f = NB.loglik_at(chain.y, eta, **chain.extra)
        assert np.isclose(f(alpha=alpha), _row_loglik(data, leaves, alpha), rtol=1e-10)
        # the Newton steps' compiled log-posterior: the same up to a constant
        z[chain._log_coord] = np.log(alpha)
        gaps.append(chain._alpha_newton_at(eta, np.log(alpha))[0] - f(alpha=alpha) - chain.params(z)[0])
    np.testing.assert_allclose(gaps, gaps[0], rtol=0, atol=1e-7)


@pytest.mark.parametrize("kind", [MixChain, DispersionChain])
def test_alpha_steps_draw_its_conditional_given_the_leaves(kind):
    """The Newton Metropolis-Hastings steps of ``log alpha`` (the coefficients held fixed)
    draw its exact conditional, on either route: mean and sd of the draws against the density
    on a grid. Also at a proposal far too narrow, where only the acceptance keeps the draws
    right. Few rows take slice sampling instead."""
    import arviz as az

    from pandas_hier.backend import dispersion

    few, _ = _chain(_counts(seed=4, per=6), kind=kind)  # 288 rows: slice sampling
    few.update_row_params((few.X * few.theta[few.off[-2] : few.off[-1]][few.leaf]).sum(1) + few.offset)
    assert few._log_coord is None
    chain, _ = _chain(_counts(seed=4, n_top=4, n_leaf=6, per=90), kind=kind)  # 2,160 rows
    i = chain._alpha_log_coord()
    assert i is not None
    eta = (chain.X * chain.theta[chain.off[-2] : chain.off[-1]][chain.leaf]).sum(1) + chain.offset
    f = NB.loglik_at(chain.y, eta, **chain.extra)
    chain.update_row_params(eta)
    assert chain._log_coord == i  # Newton steps
    grid = np.linspace(-4.0, 14.0, 9001)
    z = chain.x.copy()
    logp = []
    for u in grid:
        z[i] = u
        logp.append(chain.params(z)[0] + f(alpha=np.exp(u)))
    w = np.exp(np.array(logp) - max(logp))
    w /= w.sum()
    mean = float(grid @ w)
    sd = float(np.sqrt((grid - mean) ** 2 @ w))
    assert 0.02 < sd < 1.0  # a conditional the grid resolves (spacing 0.002)
    chain.x[i] = mean  # draws from its start on, no burn-in
    for min_precision in (dispersion._ALPHA_MIN_PRECISION, 16.0 / sd**2):  # the latter: sd / 4
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(dispersion, "_ALPHA_MIN_PRECISION", min_precision)
            draws = []
            for _ in range(4000):
                chain.update_row_params(eta)
                draws.append(chain.x[i])
        draws = np.array(draws)
        mcse = draws.std() / np.sqrt(az.ess(draws[None]))
        assert abs(draws.mean() - mean) < 4 * mcse, (min_precision, draws.mean(), mean, mcse)
        assert abs(draws.std() / sd - 1) < 0.1, (min_precision, draws.std(), sd)


@pytest.mark.parametrize("family", ["negbinomial", "binomial"])
def test_moves_on_the_likelihood_itself_see_it_up_to_a_constant(family):
    """Moves on the likelihood itself (the Gamma variables integrated out): at every level the
    cells' per-group log-likelihood differs from the rows' by a constant, and its gradient and
    curvature are the derivatives of it."""
    kw = {"trials": "n"} if family == "binomial" else {}
    chain, data = _chain(_counts(family=family), family, **kw)
    fam = families.get(family)
    extra = {"trials": data.trials} if family == "binomial" else {"alpha": np.array([2.5])}
    chain._alpha, chain._exact = 2.5, True
    rng = np.random.default_rng(2)
    for lev in range(chain.k, -1, -1):
        info = chain.levels[lev]
        y, eta0, Xc, group = chain.cell_view(lev)
        per_group = []
        rows_group = info["group"] if lev else np.zeros(len(chain.y), np.int64)
        leaf_group = np.zeros(chain.G, np.int64)
        leaf_group[chain.leaf] = rows_group  # each leaf's group at this level
        for _ in range(3):
            delta = rng.normal(0, 0.3, (info["n"], Xc.shape[1]))
            ll, _, _ = chain.group_rows(y, eta0 + (Xc * delta[group]).sum(1), Xc, group, info["n"])
            leaves = chain.leaves().copy()
            leaves[:, info["coords"]] += delta[leaf_group]
            eta = (data.X * leaves[data.leaf]).sum(1)
            rows = np.bincount(leaf_group[data.leaf], fam.logpdf(data.y, eta, **extra), minlength=info["n"])
            per_group.append(rows - ll)
        np.testing.assert_allclose(per_group[1], per_group[0], atol=1e-8)
        np.testing.assert_allclose(per_group[2], per_group[0], atol=1e-8)
        ll, H, grad = chain.group_rows(y, eta0, Xc, group, info["n"])
        h = 1e-5
        for a in range(Xc.shape[1]):
            step = np.zeros((info["n"], Xc.shape[1]))
            step[:, a] = h
            up = chain.group_rows(y, eta0 + (Xc * step[group]).sum(1), Xc, group, info["n"])
            down = chain.group_rows(y, eta0 - (Xc * step[group]).sum(1), Xc, group, info["n"])
            np.testing.assert_allclose((up[0] - down[0]) / (2 * h), grad[:, a], rtol=1e-5, atol=1e-6)
            np.testing.assert_allclose((up[2] - down[2]) / (2 * h), -H[:, :, a], rtol=1e-5, atol=1e-5)
        zero = np.zeros((info["n"], Xc.shape[1]))
        assert chain.shifted_loglik(y, eta0, Xc, group, zero) == pytest.approx(ll.sum())


def test_the_binomial_is_a_gamma_mixture_of_poissons():
    """``mu^Y (1 + mu)^-N`` (the binomial's likelihood in ``mu = exp(eta)``, up to a constant)
    is ``mu^Y exp(-lambda mu)`` averaged over ``lambda ~ Gamma(N, rate 1)``, and given the count
    ``lambda`` is ``Gamma(N, rate 1 + mu)``, the law the chain draws from (quadrature)."""
    from scipy.integrate import quad

    for Y, N in ((0, 1), (3, 5), (9, 12)):
        for mu in (0.2, 1.0, 3.5):
            joint = lambda lam, mu=mu, Y=Y, N=N: mu**Y * np.exp(-lam * mu) * stats.gamma(N).pdf(lam)  # noqa: E731
            mixed = quad(joint, 0, np.inf)[0]
            assert mixed == pytest.approx(mu**Y * (1 + mu) ** -N, rel=1e-5)
            mean = quad(lambda lam, f=joint: lam * f(lam), 0, np.inf)[0] / mixed
            assert mean == pytest.approx(N / (1 + mu), rel=1e-5)


def test_a_cells_summed_gamma_variable_carries_its_rows():
    """Rows of one cell: ``prod_i NB(y_i | mu, alpha)`` and ``NB(Y | n mu, n alpha)`` (the sum's
    Gamma-Poisson law, whose Gamma variable the chain draws) differ by a constant in ``mu``; the
    drawn sum is ``Gamma(n alpha + Y, rate alpha + mu)``."""
    y, alpha = np.array([0.0, 4.0, 2.0, 7.0]), 1.7
    n, total = len(y), y.sum()
    gaps = []
    for mu in (0.3, 1.1, 2.4):
        rows = NB.logpdf(y, np.full(n, mu), alpha=np.array([alpha])).sum()
        cell = NB.logpdf(total, mu + np.log(n), alpha=np.array([n * alpha]))
        gaps.append(float(rows - np.ravel(cell)[0]))
    np.testing.assert_allclose(gaps, gaps[0], atol=1e-10)
    # the posterior of the sum given the count: Gamma(n alpha) prior x Poisson(Y | mu Lambda)
    mu, grid = np.exp(1.1), np.linspace(1e-3, 15, 30_001)
    dens = np.exp(stats.gamma(n * alpha, scale=1 / alpha).logpdf(grid) + stats.poisson(mu * grid).logpmf(total))
    mean = (grid * dens).sum() / dens.sum()
    assert mean == pytest.approx((n * alpha + total) / (alpha + mu), rel=1e-4)


def _chains_taken(monkeypatch):
    """Force the mixture where the model allows it, and record the chain class each fit takes."""
    from pandas_hier.backend import poissonmix

    monkeypatch.setattr(poissonmix, "mixture_is_cheaper", lambda *a, **k: True)
    taken, real = [], poissonmix.chain_type
    monkeypatch.setattr(poissonmix, "chain_type", lambda *a: taken.append(real(*a)) or taken[-1])
    return taken


def test_negbinomial_fit_is_gibbs_mixes_recovers_and_repeats(monkeypatch):
    taken = _chains_taken(monkeypatch)
    # the mixture's regime: many rows to a cell (here 30 rows a leaf, x of a few values)
    df = _counts(seed=5, n_top=4, n_leaf=6, per=30)
    kw = {"likelihood": "negbinomial", "chains": 2, "draws": 400, "tune": 300, "random_seed": 3}
    check_gibbs_fit(df, ["a", "b"], 0.3, max_rhat=1.03, repeated="alpha", **kw)
    # a slope varying by the top level only is outside the Poisson's sweep: Polya-Gamma Gibbs
    other = quiet_fit(df, "x", "y", levels=["a", "b"], varying={"b": ["intercept"]}, **{**kw, "draws": 50, "tune": 50})
    assert other.sampler == "gibbs"
    assert taken == [MixChain, MixChain, DispersionChain]


def test_binomial_fit_is_gibbs_on_the_mixture_mixes_recovers_and_repeats(monkeypatch):
    taken = _chains_taken(monkeypatch)
    # the mixture's regime: many trials per cell (here 30 a row on average)
    df = _counts(seed=6, n_top=4, n_leaf=6, per=10, family="binomial", trials=60)
    kw = {"likelihood": "binomial", "trials": "n", "chains": 2, "draws": 400, "tune": 300, "random_seed": 3}
    check_gibbs_fit(df, ["a", "b"], 0.3, max_rhat=1.03, repeated="sd_b", **kw)
    assert taken == [MixChain, MixChain]


def test_the_mixture_is_taken_only_where_it_costs_less():
    """Binomial cells of many trials take the mixture; few trials per cell, or few cells,
    take Pólya-Gamma draws (both exact); so do negative binomial counts on few rows, and on
    many the mixture."""
    from types import SimpleNamespace

    every = np.ones((2, 2), dtype=bool)
    rng = np.random.default_rng(0)
    leaf = np.repeat(np.arange(2000), 100)
    X = np.column_stack([np.ones(len(leaf)), rng.integers(0, 24, len(leaf))])
    y = rng.poisson(3.0, len(leaf)).astype(float)
    for trials, want in ((rng.integers(1, 11, len(leaf)), MixChain), (np.ones(len(leaf)), _Chain)):
        data = SimpleNamespace(leaf=leaf, X=X, offset=None, trials=trials, y=y)
        assert chain_type("binomial", every, data) is want
    assert chain_type("negbinomial", every, data) is MixChain
    small = SimpleNamespace(leaf=np.repeat(np.arange(2000), 10), X=X[:20_000], offset=None, trials=np.full(20_000, 30.0), y=y[:20_000])
    assert chain_type("binomial", every, small) is MixChain  # 30 trials a row, 1.5 rows a cell
    small.trials = np.full(20_000, 3.0)
    assert chain_type("binomial", every, small) is _Chain
    assert chain_type("negbinomial", every, small) is DispersionChain
