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


@pytest.mark.parametrize("options", [{}, {"correlated": True}])
def test_the_marginal_does_not_depend_on_how_the_leaves_noise_is_split(options, monkeypatch):
    """The pseudo-rows' noise and the reduced leaf scale add back up to ``D`` for any split,
    so the collapsed log-density is the same at any admissible fraction."""
    from pandas_hier.backend import leafmh

    chain = _chain(_counts(), **options)
    rng = np.random.default_rng(2)
    chain.theta[chain.first : chain.first + chain.G] += rng.normal(0, 0.7, (chain.G, chain.t.d))
    x = chain.x.copy()
    x[chain.t.collapsed] += rng.normal(0.0, 0.5, len(chain.t.collapsed))
    values = []
    for fraction in (0.1, 0.5, 0.9):
        monkeypatch.setattr(leafmh, "_EPS", fraction)
        values.append(chain.collapsed_logp(x))
    assert np.isfinite(values[0])
    assert values[1] == pytest.approx(values[0], abs=1e-8) and values[2] == pytest.approx(values[0], abs=1e-8)


def _slope_sd_coordinate(chain):
    """The coordinate of ``x`` that sets the leaf level's sd of the slope."""
    t = chain.t
    for i in chain.levels[chain.k]["scale_coords"]:
        z = chain.x.copy()
        z[i] += 0.5
        a, b = chain.leaf_L(t.scales(chain.x)[2]), chain.leaf_L(t.scales(z)[2])
        if not np.allclose(a[:, 1, 1], b[:, 1, 1]):
            return i
    raise AssertionError("no coordinate moves the slope's sd")


def test_a_tiny_leaf_sd_keeps_the_marginal_and_the_upper_draws_finite_and_right():
    """The posterior's tail takes a leaf sd near zero now and then (a slope whose leaves barely
    differ). Inside the kernel's box the marginal is still the exact one and the upper draws
    finite, each top group's slope pinned to its leaves' mean; beyond it the sds are refused."""
    chain = _chain(_counts())
    t = chain.t
    i = _slope_sd_coordinate(chain)
    chain.x[i] = -12.0  # the slope's sd at 6e-6
    rng = np.random.default_rng(3)
    leaves = chain.leaves()
    leaves[:, 0] += rng.normal(0, 0.5, chain.G)
    top = chain.levels[chain.k]["parent"] - chain.off[0]
    leaves[:, 1] = rng.normal(0, 0.3, top.max() + 1)[top] + rng.normal(0, 6e-6, chain.G)
    chain.theta[chain.first : chain.first + chain.G] = leaves
    prior, _, Ls = t.scales(chain.x)
    # effects do not correlate: the intercepts and the slopes are independent blocks. The
    # intercepts' is well conditioned; the slopes' (covariance within 1e-14 of singular) is
    # taken apart exactly: within each top group, the leaves' spread about their mean (noise
    # s^2 alone), and the groups' means, which are normal with their top group's variance
    cov = _leaf_covariance(chain, Ls)
    exact = stats.multivariate_normal(np.full(chain.G, t.m0[0]), cov[0::2, 0::2]).logpdf(leaves[:, 0])
    s2 = chain.leaf_L(Ls)[0, 1, 1] ** 2
    sd_top2 = chain.level_L(Ls, 1)[0, 1, 1] ** 2
    n = np.bincount(top)
    for g in range(len(n)):
        b = leaves[top == g, 1]
        exact += (-(n[g] - 1) / 2 * np.log(2 * np.pi * s2) - 0.5 * np.log(n[g])
                  - np.sum((b - b.mean()) ** 2) / (2 * s2))  # fmt: skip
    means = np.bincount(top, weights=leaves[:, 1]) / n
    exact += stats.multivariate_normal(
        np.full(len(n), t.m0[1]), t.s0[1] ** 2 + np.diag(sd_top2 + s2 / n)
    ).logpdf(means)  # fmt: skip
    assert chain.collapsed_logp(chain.x) - prior == pytest.approx(exact, rel=1e-6)
    for _ in range(20):
        chain.draw_upper(chain.pseudo_stats())
        assert np.isfinite(chain.theta).all()
        assert np.abs(chain.theta[chain.levels[1]["rows"], 1] - means).max() < 1e-5
    chain.x[i] = -16.0  # a millionth of the top level's sd: outside the box
    assert chain.collapsed_logp(chain.x) == -np.inf and not chain.admissible(chain.x)


def test_interweaving_stays_where_the_kernel_evaluates_the_sds():
    """With the leaves' slopes nearly equal, the interweaving's target falls only linearly in
    the log of their sd, so unrestricted it stepped past the kernel's box (and the next upper
    draw was NaN). From just inside the box (here its edge is near ``e^-13.1``), one
    interweaving step at a time, restricted, it never leaves."""
    chain = _chain(_counts())
    i = _slope_sd_coordinate(chain)
    top = chain.levels[chain.k]["parent"] - chain.off[0]
    rng = np.random.default_rng(4)
    effects = 0.3 * rng.standard_normal(top.max() + 1)
    chain.theta[chain.levels[1]["rows"], 1] = effects
    chain.width[:] = 4.0
    start = chain.x.copy()
    start[i] = -12.9
    assert chain.admissible(start) and not chain.admissible(start - 0.5 * (np.arange(len(start)) == i))
    for _ in range(200):
        chain.x[:] = start
        leaves = chain.leaves()
        leaves[:, 1] = effects[top] + np.exp(-12.9) * rng.standard_normal(chain.G)
        chain.theta[chain.first : chain.first + chain.G] = leaves
        chain.interweave(chain.k)
        assert chain.admissible(chain.x), chain.x[i]


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
