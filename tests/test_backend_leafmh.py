"""The Poisson's per-leaf sampler: the leaves as pseudo-data give the exact marginal, each
Metropolis-Hastings move leaves its conditional invariant, and a fit mixes and recovers."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import check_gibbs_fit, quiet_fit, two_level_frame
from scipy import stats

pytest.importorskip("pymc")

from pandas_hier.backend.augmented import _Target  # noqa: E402
from pandas_hier.backend.leafmh import LeafChain  # noqa: E402
from pandas_hier.backend.model import build_model  # noqa: E402
from pandas_hier.design import prepare  # noqa: E402
from pandas_hier.options import FitOptions  # noqa: E402


def _counts(seed=0, n_top=3, n_leaf=4, per=6):
    rng = np.random.default_rng(seed)
    df, eta = two_level_frame(rng, n_top, n_leaf, per, intercept=0.5, sd_top=0.4, sd_leaf=0.5, slope=0.3)
    df["t"] = rng.uniform(0.5, 2.0, len(df))
    df["y"] = rng.poisson(df["t"] * np.exp(eta))
    return df


def _chain(df, seed=0, **options):
    opts = FitOptions(likelihood="poisson", **options)
    design = prepare(df, "x", "y", levels=["a", "b"], dropna=False, options=opts)
    assert design.parameterization == ("augmented", "augmented")
    built = build_model(design.data, design.options, design.varying, design.parameterization)
    target = _Target(built, design.data, design.options)
    return LeafChain(target, design.data, design.options, np.random.default_rng(seed))


def _leaf_covariance(chain, Ls):
    """Brute force: the covariance of the leaves' varying coefficients, every upper
    coefficient integrated out."""
    t, G, v = chain.t, chain.G, chain.v
    rows = []
    for lev in range(1, chain.k + 1):
        info = chain.levels[lev]
        D = np.zeros((info["n"], t.d, t.d))
        L = chain.per_leaf(chain.level_L(Ls, lev), info["n"])
        c = info["coords"]
        D[:, c[:, None], c] = L @ np.swapaxes(L, -1, -2)
        rows.append(D)
    anc = {chain.k: np.arange(G)}
    for lev in range(chain.k, 1, -1):
        anc[lev - 1] = (chain.levels[lev]["parent"] - chain.off[lev - 2])[anc[lev]]
    cov = np.zeros((G, len(v), G, len(v)))
    root = np.diag(t.s0**2)[np.ix_(v, v)]
    for g in range(G):
        for h in range(G):
            block = root.copy()
            for lev in range(1, chain.k + 1):
                if anc[lev][g] == anc[lev][h]:
                    block += rows[lev - 1][anc[lev][g]][np.ix_(v, v)]
            cov[g, :, h, :] = block
    return cov.reshape(G * len(v), G * len(v))


@pytest.mark.parametrize(
    "options",
    [{}, {"correlated": True}, {"sd_per": "parent"}, {"varying": {"a": ["intercept"], "b": ["intercept"]}}],
)
def test_leaves_as_pseudo_data_give_the_exact_marginal(options):
    chain = _chain(_counts(), **options)
    rng = np.random.default_rng(1)
    t = chain.t
    for _ in range(3):
        x = chain.x.copy()
        x[t.collapsed] += rng.normal(0.0, 0.5, len(t.collapsed))
        chain.theta[chain.first : chain.first + chain.G] += rng.normal(0, 0.7, (chain.G, t.d))
        prior, _, Ls = t.scales(x)
        b = chain.leaves()[:, chain.v].ravel()
        mean = np.tile(t.m0[chain.v], chain.G)
        exact = stats.multivariate_normal(mean, _leaf_covariance(chain, Ls)).logpdf(b)
        assert chain.collapsed_logp(x) - prior == pytest.approx(exact, abs=1e-8)


def _posterior_on_grid(logp, grid):
    lp = logp(grid)
    w = np.exp(lp - lp.max())
    w /= w.sum()
    mean = (w[:, None] * grid).sum(0)
    return mean, np.sqrt((w[:, None] * (grid - mean) ** 2).sum(0))


def test_leaf_moves_leave_each_leaf_conditional_invariant():
    """Only the leaves move, by many Metropolis-Hastings steps at fixed parents and sds; each
    leaf's draws match its exact conditional (quadrature), the proposal's asymmetry included."""
    df = _counts(seed=3, per=4)
    chain = _chain(df, exposure="t", varying={"a": ["intercept"], "b": ["intercept"]})
    Ls = chain.t.scales(chain.x)[2]
    m, P = chain.prior_of(chain.k, Ls)
    y, eta0 = chain.y, chain.eta_of(chain.leaves())
    b0 = chain.leaves()[:, 0].copy()
    draws = np.empty((3000, chain.G))
    for i in range(len(draws)):
        chain.shift(chain.k, Ls)
        draws[i] = chain.leaves()[:, 0]
    assert 0.6 < chain.accepted[0] / chain.accepted[1] < 1.0
    for g in range(chain.G):
        rows = chain.leaf == g
        base = eta0[rows] - b0[g]

        def logp(grid, g=g, rows=rows, base=base):
            e = base[None, :] + grid
            return -0.5 * P[g, 0, 0] * (grid[:, 0] - m[g, 0]) ** 2 + (y[rows] * e - np.exp(e)).sum(1)

        mean, sd = _posterior_on_grid(logp, np.linspace(m[g, 0] - 8, m[g, 0] + 8, 4001)[:, None])
        ours = draws[500:, g]
        assert abs(ours.mean() - mean[0]) < 5 * sd[0] / np.sqrt(len(ours) / 4), g
        assert abs(ours.std() - sd[0]) < 0.12 * sd[0], g


def _discrete(df):
    """The same rows with a predictor of few values: an upper level's cells are then fewer
    than its rows."""
    return df.assign(x=np.round(2 * df["x"]) / 2)


def test_cells_give_the_rows_likelihood_differences_and_newton_statistics():
    chain = _chain(_discrete(_counts(seed=5, per=12)), exposure="t")
    rng = np.random.default_rng(1)
    chain.theta[chain.first : chain.first + chain.G] += 0.3 * rng.standard_normal((chain.G, chain.t.d))
    eta = chain.eta_of(chain.leaves())
    for lev, info in chain.levels.items():
        cells = chain.cell_view(lev)
        n, group, c = info["n"], info["group"], info["coords"]
        if lev < chain.k:  # upper levels: far fewer cells than rows
            assert len(cells[0]) < len(chain.y) / 2, lev
        delta = 0.4 * rng.standard_normal((n, len(c)))
        y, e, Xc, cgroup = cells
        ll0, xtx, grad = chain.group_rows(*cells, n)
        ll1 = chain.group_rows(y, e + (Xc * delta[cgroup]).sum(1), Xc, cgroup, n)[0]
        Xr = chain.X[:, c]
        er = eta + (Xr * delta[group]).sum(1)
        diff = np.bincount(group, chain.y * (er - eta) - np.exp(er) + np.exp(eta), minlength=n)
        np.testing.assert_allclose(ll1 - ll0, diff, rtol=1e-10, atol=1e-9)
        mu = np.exp(eta)
        np.testing.assert_allclose(xtx, [(Xr[group == g] * mu[group == g, None]).T @ Xr[group == g] for g in range(n)], rtol=1e-10)
        np.testing.assert_allclose(grad, [Xr[group == g].T @ (chain.y - mu)[group == g] for g in range(n)], rtol=1e-10, atol=1e-10)


@pytest.mark.parametrize("discrete", [False, True], ids=["rows", "cells"])
def test_global_shift_leaves_its_conditional_invariant(discrete):
    """The global coefficients move with every group below them (offsets fixed): their draws
    match the exact conditional on a grid, on the rows or on cells of equal predictors."""
    df = _counts(seed=4)
    chain = _chain(_discrete(df) if discrete else df, exposure="t")
    assert (chain.levels[0]["cells"][0] is not None) == discrete
    Ls = chain.t.scales(chain.x)[2]
    t = chain.t
    root0, eta0 = chain.theta[chain.root].copy(), chain.eta_of(chain.leaves())
    draws = np.empty((3000, t.d))
    for i in range(len(draws)):
        chain.shift(0, Ls)
        draws[i] = chain.theta[chain.root]
    X, y = chain.X, chain.y

    def logp(grid):
        e = eta0[None, :] + (grid - root0) @ X.T
        return stats.norm(t.m0, t.s0).logpdf(grid).sum(1) + (y * e - np.exp(e)).sum(1)

    centre, spread = draws.mean(0), draws.std(0)
    axes = [np.linspace(c - 7 * s, c + 7 * s, 301) for c, s in zip(centre, spread, strict=True)]
    grid = np.stack(np.meshgrid(*axes, indexing="ij"), -1).reshape(-1, t.d)
    mean, sd = _posterior_on_grid(logp, grid)
    ours = draws[500:]
    assert np.all(np.abs(ours.mean(0) - mean) < 5 * sd / np.sqrt(len(ours) / 4))
    assert np.all(np.abs(ours.std(0) - sd) < 0.12 * sd)


def test_poisson_fit_is_gibbs_by_default_mixes_recovers_and_repeats():
    df = _counts(seed=5, n_top=4, n_leaf=6, per=10)
    kw = {"likelihood": "poisson", "exposure": "t", "chains": 2, "draws": 400, "tune": 300, "random_seed": 2}
    check_gibbs_fit(df, ["a", "b"], 0.3, max_rhat=1.03, repeated="b_b", **kw)
    # a slope varying by the top level only is outside the per-leaf sampler: row-level NUTS
    other = quiet_fit(df, "x", "y", levels=["a", "b"], varying={"b": ["intercept"]}, **{**kw, "draws": 50, "tune": 50})
    assert other.sampler != "gibbs"
