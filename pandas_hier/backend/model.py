"""The nested model in PyMC. The only module that imports pymc/pytensor; it takes arrays.

Levels ``L1 > ... > Lk`` with group vectors ``theta[l]`` (groups x coefficients) centred on the
parent's entry: ``theta[l] = theta[l-1][parent[l]] + offset``, ``offset ~ N(0, L L')`` with
``L = diag(sd)`` (or an LKJ Cholesky factor when ``correlated``); ``theta[0]`` is the global
coefficient vector. Rows use ``mu = X @ theta[k][leaf]``.

Three ways to build it:

``marginal``
    Gaussian likelihood only. Every coefficient is integrated out analytically, leaves to root,
    in information form (see :mod:`pandas_hier.kernels.smallmat`), starting from per-leaf sufficient
    statistics. NUTS samples only the sds and the noise sd; :func:`draw_coefficients` then draws
    every coefficient exactly from its Gaussian conditional, top down, for each posterior draw.
``augmented``
    Student-t, Cauchy, Bernoulli, binomial, negative binomial and Poisson likelihoods. The same
    marginal likelihood, of per-leaf statistics weighted by per-row latent variables, which the
    blocked Gibbs sampler of :mod:`pandas_hier.backend.augmented` refreshes every iteration (the
    Poisson's sweep, :mod:`pandas_hier.backend.leafmh`, feeds it the leaves instead).
``centered`` / ``noncentered``
    Coefficients are random variables (per level). The Gaussian likelihood still uses sufficient
    statistics; Student-t and Cauchy likelihoods are evaluated per row.

Examples
--------
>>> from pandas_hier.backend.model import build_model
>>> from pandas_hier.design import prepare
>>> from pandas_hier.options import FitOptions
>>> import pandas_hier
>>> design = prepare(pandas_hier.datasets.load_salary(), "month", "salary",
...                  levels=["degree", "state", "county"], dropna=False, options=FitOptions())
>>> built = build_model(design.data, design.options, design.varying, design.parameterization)
>>> sorted(rv.name for rv in built.model.free_RVs)
['sd_county', 'sd_degree', 'sd_state', 'sigma']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pymc as pm
import pytensor.tensor as pt

from pandas_hier import families, names
from pandas_hier.backend.priors import _params, _rv, _sd_rv, extra_rvs
from pandas_hier.design import ModelData, structure_key
from pandas_hier.kernels import smallmat as sm
from pandas_hier.names import ScaleKind
from pandas_hier.options import FitOptions, Prior
from pandas_hier.stats import LeafStats

__all__ = ["BuiltModel", "build_model"]


@dataclass(frozen=True)
class BuiltModel:
    """A built PyMC model with what is needed to read its draws back.

    Attributes
    ----------
    model : pymc.Model
    parameterization : tuple of str
        Per level: ``"marginal"``, ``"centered"`` or ``"noncentered"``.
    varying : ndarray of bool (levels, d)
        Which coefficient varies at which level.
    global_prior : tuple (mean, sd) of ndarray (d,), or None
        The Normal prior of the global coefficients (marginal models).
    """

    model: pm.Model
    parameterization: tuple[str, ...]
    varying: np.ndarray
    global_prior: tuple[np.ndarray, np.ndarray] | None = None
    data_values: Mapping[str, np.ndarray] = field(default_factory=dict)
    structure: tuple = ()


def _level_scale(data, built_sds, depth: int, v: np.ndarray):
    """Lower-triangular scale matrix L (nested lists) of the offsets at level ``depth``."""
    d = data.d
    kind, value = built_sds[depth]
    entries: list = [[None] * d for _ in range(d)]
    if kind is ScaleKind.CHOL:
        for a, i in enumerate(v):
            for b, j in enumerate(v[: a + 1]):
                entries[i][j] = value[a, b]
        return entries
    for a, i in enumerate(v):
        entries[i][i] = value[..., a]
    return entries


def _build_sds(data: ModelData, opts: FitOptions, varying: np.ndarray) -> list:
    """Create the sd (or LKJ) random variables; one entry per level.

    Each entry is ``(ScaleKind, tensor)``: for ``LEVEL`` and ``PARENT`` the sds with the last axis
    over varying coefficients (``PARENT``: indexed to the level's groups), for ``CHOL`` the
    Cholesky factor.
    """
    out = []
    for depth, level in enumerate(data.levels):
        v = np.flatnonzero(varying[depth])
        dim = names.coef_dim(level)
        prior, default = opts.prior("sd", level)
        scale = data.coef_scale[v]
        if opts.correlated and len(v) >= 2:
            eta = opts.prior("corr")[0].params.get("eta", 2.0)
            # sds and the correlation's Cholesky factor apart (the LKJCholeskyCov model, cov =
            # diag(sd) C diag(sd) with C ~ LKJ(eta), parameterised as Stan does): sampling the
            # covariance's Cholesky entries directly couples the off-diagonal entries to the
            # sds in a funnel, which mixed badly when an sd was weakly identified (ESS 40).
            sd = _sd_rv(names.sd(level), prior, default, scale, dims=(dim,))
            corr_chol = pm.LKJCorr(names.lkj(level), n=len(v), eta=eta)
            chol = sd[:, None] * corr_chol
            pm.Deterministic(names.chol(level), chol, dims=(dim, names.coef_dim2(level)))
            pm.Deterministic(
                names.corr(level), corr_chol @ corr_chol.T, dims=(dim, names.coef_dim2(level))
            )
            out.append((ScaleKind.CHOL, chol))
        elif opts.sd_per == "parent" and depth > 0:
            parent_dim = data.levels[depth - 1]
            sd = _sd_rv(names.sd(level), prior, default, scale, dims=(parent_dim, dim))
            out.append((ScaleKind.PARENT, sd[data.parents[depth]]))
        else:
            sd = _sd_rv(names.sd(level), prior, default, scale, dims=(dim,))
            out.append((ScaleKind.LEVEL, sd))
    return out


def _global_normal(data: ModelData, opts: FitOptions) -> tuple[np.ndarray, np.ndarray]:
    means, sds = [], []
    for i in range(data.d):
        prior, default = opts.prior("intercept" if i == 0 else "slope")
        if prior.dist != "Normal":
            raise ValueError(
                "parameterization='marginal' needs Normal priors on the global coefficients "
                f"(got {prior!r}); use parameterization='centered' or 'noncentered' for others"
            )
        p = _params(prior, default, data.coef_scale[i])
        if default and i == 0:
            p["mu"] = data.intercept_mean
        means.append(p.get("mu", 0.0))
        sds.append(p.get("sigma", 1.0))
    return np.asarray(means, float), np.asarray(sds, float)


def _segment_sum_pt(stacked, parent: np.ndarray, n_parent: int):
    return pt.inc_subtensor(pt.zeros((n_parent, stacked.shape[1]))[parent], stacked)


def _flatten(P, h, c, d):
    cols = [P[i][j] for i in range(d) for j in range(i, d)] + list(h) + [c]
    return cols


def _unflatten(cols, d):
    P = [[None] * d for _ in range(d)]
    k = 0
    for i in range(d):
        for j in range(i, d):
            P[i][j] = P[j][i] = cols[k]
            k += 1
    h = cols[k : k + d]
    return P, h, cols[k + d]


def _leaf_potential(stats: LeafStats, sigma, log, d: int):
    inv = 1.0 / sigma**2
    P = [[stats.xtx[..., i, j] * inv for j in range(d)] for i in range(d)]
    h = [stats.xty[..., i] * inv for i in range(d)]
    c = -0.5 * stats.n * log(2 * np.pi * sigma**2) - 0.5 * stats.yty * inv
    return P, h, c


def _data_containers(data: ModelData, rows: bool) -> tuple[LeafStats, list, dict]:
    """Data as ``pm.Data`` containers, so that a compiled model can be reused with new values
    of the same structure (see ``structure_key``); returns the stats, parents and values."""
    values = {
        "hier_n": data.stats.n, "hier_xtx": data.stats.xtx,
        "hier_xty": data.stats.xty, "hier_yty": data.stats.yty,
        **{f"hier_parent_{i}": p for i, p in enumerate(data.parents)},
    }  # fmt: skip
    if rows:
        values.update(hier_X=data.X, hier_leaf=data.leaf, hier_y=data.y)
        if data.trials is not None:
            values["hier_trials"] = data.trials
        if data.offset is not None:
            values["hier_offset"] = data.offset
    shared = {k: pm.Data(k, v) for k, v in values.items()}
    stats = LeafStats(shared["hier_n"], shared["hier_xtx"], shared["hier_xty"], shared["hier_yty"])
    parents = [shared[f"hier_parent_{i}"] for i in range(len(data.parents))]
    return stats, parents, {"values": values, "shared": shared}


def _scale_tensor(data: ModelData, built_sds, depth: int, v: np.ndarray):
    """Level ``depth``'s offset scale as a ``(1, d, d)`` (shared) or ``(groups, d, d)`` tensor."""
    d = data.d
    kind, value = built_sds[depth]
    rows = np.asarray(v)[:, None]
    if kind is ScaleKind.CHOL:
        return pt.zeros((d, d))[rows, v[None, :]].set(value)[None]
    if value.ndim == 1:  # one sd per varying coefficient
        return pt.zeros((d, d))[v, v].set(value)[None]
    groups = data.sizes[depth]
    return pt.zeros((groups, d, d))[:, v, v].set(value)


def _marginal_loglik(
    data: ModelData,
    sds: list,
    global_prior,
    varying: np.ndarray,
    stats: LeafStats,
    parents,
    impl: str = "op",
) -> pt.TensorVariable:
    d = data.d
    model = pm.modelcontext(None)
    sigma = model[names.SIGMA] if names.SIGMA in model.named_vars else pt.constant(1.0)
    if impl == "op":
        from pandas_hier.backend.marginal_op import marginal_loglik

        Ls = [
            _scale_tensor(data, sds, depth, np.flatnonzero(varying[depth]))
            for depth in range(len(data.levels))
        ]
        return marginal_loglik(sigma, Ls, [kind for kind, _ in sds], stats, parents, *global_prior)
    P, h, c = _leaf_potential(stats, sigma, pt.log, d)
    for depth in reversed(range(len(data.levels))):
        L = _level_scale(data, sds, depth, np.flatnonzero(varying[depth]))
        P, h, c, _ = sm.integrate(P, h, c, L, pt.sqrt, pt.log, pt.maximum)
        n_up = data.sizes[depth - 1] if depth else 1
        cols = [pt.broadcast_to(x, (data.sizes[depth],)) for x in _flatten(P, h, c, d)]
        summed = _segment_sum_pt(pt.stack(cols, axis=1), parents[depth], n_up)
        P, h, c = _unflatten([summed[:, k] for k in range(len(cols))], d)
    m0, s0 = global_prior
    P, h, c, _ = sm.integrate(P, h, c, sm.diag(list(s0)), pt.sqrt, pt.log, pt.maximum)
    quad = sum(P[i][j] * m0[i] * m0[j] for i in range(d) for j in range(d))
    return (c + sum(h[i] * m0[i] for i in range(d)) - 0.5 * quad)[0]


def build_model(
    data: ModelData,
    opts: FitOptions,
    varying: np.ndarray,
    parameterization: Sequence[str],
    impl: str = "op",
) -> BuiltModel:
    """Build the PyMC model.

    Parameters
    ----------
    data : ModelData
    opts : FitOptions
    varying : ndarray of bool (levels, d)
        Which coefficient varies at which level.
    parameterization : sequence of str
        Per level, from :func:`pandas_hier.routes.resolve_parameterization`.
    impl : {"op", "graph"}
        How a marginal model computes its likelihood: ``"op"``, one compiled Op with an exact
        analytic gradient (:mod:`pandas_hier.kernels`; Python and numba backends), or
        ``"graph"``, the same algebra as an unrolled PyTensor graph (any backend, JAX included).

    Returns
    -------
    BuiltModel

    Examples
    --------
    >>> from pandas_hier.fitting import build  # builds ModelData from a frame, then calls this
    >>> type(build(df, "month", "salary", levels=["state", "county"]).model).__name__
    'Model'
    """
    coords = {k: list(v) for k, v in data.coords.items()}
    for depth, level in enumerate(data.levels):
        coefs = [data.coefs[i] for i in np.flatnonzero(varying[depth])]
        coords[names.coef_dim(level)] = coefs
        coords[names.coef_dim2(level)] = coefs
    marginal = all(p == "marginal" for p in parameterization)
    augmented = all(p == "augmented" for p in parameterization)
    family = families.get(opts.likelihood)
    key = (*structure_key(data, opts, varying, parameterization), impl)
    with pm.Model(coords=coords) as model:
        stats, parents, containers = _data_containers(data, rows=opts.likelihood != "normal")
        if family.scale:
            sigma_prior, default = opts.prior("sigma")
            _rv(names.SIGMA, sigma_prior, default, data.y_scale)
        sds = _build_sds(data, opts, varying)
        if marginal or augmented:
            # augmented: the same marginal likelihood, of the weighted statistics that the Gibbs
            # sampler (backend/augmented.py) writes into the containers; the family's extra
            # parameters are updated on the rows
            gp = _global_normal(data, opts)
            if augmented:
                extra_rvs(opts, family)
            loglik = _marginal_loglik(data, sds, gp, varying, stats, parents, impl)
            pm.Potential("marginal_loglik", loglik)
            return BuiltModel(model, tuple(parameterization), varying, gp, containers["values"], key)
        theta = _global_coefficients(data, opts)
        for depth, level in enumerate(data.levels):
            v = np.flatnonzero(varying[depth])
            theta = _level_coefficients(
                data, sds, depth, level, v, theta, parameterization[depth], parents[depth]
            )
        _likelihood(data, opts, theta, stats, containers["shared"])
    return BuiltModel(model, tuple(parameterization), varying, None, containers["values"], key)


def _global_coefficients(data: ModelData, opts: FitOptions):
    prior_i, default_i = opts.prior("intercept")
    if default_i:
        prior_i = Prior(prior_i.dist, **{**prior_i.params, "mu": data.intercept_mean})
    b0 = _rv("b_global_intercept", prior_i, default_i, data.coef_scale[0])
    parts = [b0[None]]
    if data.d > 1:
        prior_s, default_s = opts.prior("slope")
        b1 = _rv("b_global_slope", prior_s, default_s, data.coef_scale[1:], dims=("predictor",))
        parts.append(b1)
    theta = pt.concatenate(parts) if len(parts) > 1 else parts[0]
    return pm.Deterministic(names.GLOBAL, theta, dims=(names.COEF,))[None, :]


def _level_coefficients(data, sds, depth, level, v, parent_theta, how, parent_index):
    mu = parent_theta[parent_index]  # (G, d)
    kind, value = sds[depth]
    dims = (level, names.coef_dim(level))
    if len(v) == 0:
        return pm.Deterministic(names.b(level), mu, dims=(level, "coef"))
    if kind is ScaleKind.CHOL:
        if how == "centered":
            sub = pm.MvNormal(names.b_varying(level), mu=mu[:, v], chol=value, dims=dims)
        else:
            z = pm.Normal(names.z(level), 0.0, 1.0, dims=dims)
            sub = mu[:, v] + z @ value.T
    elif how == "centered":
        sub = pm.Normal(names.b_varying(level), mu=mu[:, v], sigma=value, dims=dims)
    else:
        z = pm.Normal(names.z(level), 0.0, 1.0, dims=dims)
        sub = mu[:, v] + z * value
    theta = pt.set_subtensor(mu[:, v], sub) if len(v) < data.d else sub
    return pm.Deterministic(names.b(level), theta, dims=(level, "coef"))


def _likelihood(data: ModelData, opts: FitOptions, theta, stats: LeafStats, shared) -> None:
    model = pm.modelcontext(None)
    family = families.get(opts.likelihood)
    sigma = model[names.SIGMA] if family.scale else None
    d = data.d
    if family.marginal:  # Gaussian: the leaf sufficient statistics, no per-row term
        P, h, c = _leaf_potential(stats, sigma, pt.log, d)
        quad = sum(theta[:, i] * P[i][j] * theta[:, j] for i in range(d) for j in range(d))
        lin = sum(h[i] * theta[:, i] for i in range(d))
        pm.Potential("loglik", pt.sum(c + lin - 0.5 * quad))
        return
    mu = pt.sum(theta[shared["hier_leaf"]] * shared["hier_X"], axis=1)
    if "hier_offset" in shared:
        mu = mu + shared["hier_offset"]
    extra = extra_rvs(opts, family)
    if "hier_trials" in shared:
        extra["trials"] = shared["hier_trials"]
    family.pymc_observed(pm, mu, sigma, shared["hier_y"], extra)
