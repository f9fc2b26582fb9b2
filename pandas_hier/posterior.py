"""Posterior assembly: from the sampler's draws to the fit's labelled DataTree.

In a marginal model only the sds and the noise sd were sampled: every coefficient is then drawn
exactly, top down, from its Gaussian conditional given each posterior draw
(:func:`draw_coefficients`, the compiled kernel of :mod:`pandas_hier.kernels`). Everything is
mapped back to the original scale (:class:`~pandas_hier.design.Scaling`), and a pooling factor
is computed per group and varying coefficient. Nothing here imports PyMC.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pandas_hier import names
from pandas_hier.design import Design, ModelData
from pandas_hier.names import ScaleKind

__all__ = ["assemble", "draw_coefficients", "scale_draws"]


def scale_draws(post, design: Design) -> list[tuple[ScaleKind, np.ndarray]]:
    """Per level, the kind of its offset scale and its draws ``(S, ...)`` from a model-scale
    dataset (the one reading of scales that drawing and prediction share).

    Examples
    --------
    >>> import numpy as np, xarray as xr, pandas_hier
    >>> from pandas_hier.design import prepare
    >>> from pandas_hier.options import FitOptions
    >>> design = prepare(pandas_hier.datasets.load_salary(), "month", "salary",
    ...                  levels=["degree", "state", "county"], dropna=False,
    ...                  options=FitOptions(sd_per="parent"))
    >>> post = xr.Dataset({"sd_degree": (("chain", "draw", "c"), np.ones((1, 3, 2))),
    ...                    "sd_state": (("chain", "draw", "p", "c"), np.ones((1, 3, 2, 2))),
    ...                    "sd_county": (("chain", "draw", "p2", "c"), np.ones((1, 3, 10, 2)))})
    >>> [(kind.value, x.shape) for kind, x in scale_draws(post, design)]
    [('level', (3, 2)), ('parent', (3, 2, 2)), ('parent', (3, 10, 2))]
    """
    opts = design.options
    out = []
    for depth, level in enumerate(design.data.levels):
        k = int(design.varying[depth].sum())
        kind = names.scale_kind(sd_per=opts.sd_per, correlated=opts.correlated, depth=depth, n_varying=k)
        if k == 0:
            S = post.sizes["chain"] * post.sizes["draw"]
            out.append((ScaleKind.LEVEL, np.zeros((S, 0))))
        else:
            out.append((kind, _draws(post, names.chol(level) if kind.triangular else names.sd(level))))
    return out


def _draws(ds, name: str) -> np.ndarray:
    da = ds[name]
    return da.to_numpy().reshape((da.shape[0] * da.shape[1], *da.shape[2:]))  # shape[2:] may hold 0


def assemble(trace, design: Design, built, rng: np.random.Generator):
    """The fit's DataTree from the sampler's draws: coefficients drawn exactly (marginal models),
    everything back on the original scale, pooling factors, read-only arrays.

    Parameters
    ----------
    trace : xarray.DataTree
        The sampler's output (``posterior`` on the model's scale, ``sample_stats``).
    design : Design
    built : BuiltModel
        What was sampled (parameterisation, varying coefficients, global prior).
    rng : numpy.random.Generator
        For the exact coefficient draws.

    Returns
    -------
    xarray.DataTree
        Groups ``posterior`` (original scale), ``model_scale`` (the sampled draws), ``pooling``
        and, if the sampler reported them, ``sample_stats``.
    """
    import xarray as xr

    data, scaling, extra_coords = design.data, design.scaling, design.extra_coords

    post = trace["posterior"].to_dataset()
    # A reused compiled model carries the coords of the fit it was compiled for: relabel.
    post = post.assign_coords({k: v for k, v in data.coords.items() if k in post.dims})
    chains, draws = post.sizes["chain"], post.sizes["draw"]
    levels = data.levels
    marginal = all(p == "marginal" for p in built.parameterization)
    if marginal:
        sigma = _draws(post, names.SIGMA)
        thetas = draw_coefficients(data, built, sigma, scale_draws(post, design), rng)
    else:
        thetas = [_draws(post, names.GLOBAL)] + [_draws(post, names.b(lv)) for lv in levels]

    t0, M = scaling.coef_map()
    sdf = scaling.sd_factor()
    shape = (chains, draws)
    out: dict = {}
    out[names.GLOBAL] = (("chain", "draw", "coef"), (thetas[0] @ M.T + t0).reshape(*shape, -1))
    for depth, lv in enumerate(levels):
        out[names.b(lv)] = (
            ("chain", "draw", lv, "coef"),
            (thetas[depth + 1] @ M.T + t0).reshape(*shape, data.sizes[depth], -1),
        )
    pooling = {}
    for depth, lv in enumerate(levels):
        v = np.flatnonzero(built.varying[depth])
        dim = names.coef_dim(lv)
        if names.sd(lv) in post:
            sd = post[names.sd(lv)].to_numpy() * sdf[v]
            dims = ("chain", "draw", *post[names.sd(lv)].dims[2:])
            out[names.sd(lv)] = (dims, sd)
        if names.corr(lv) in post:
            out[names.corr(lv)] = (("chain", "draw", dim, names.coef_dim2(lv)), post[names.corr(lv)].to_numpy())
        # pooling factor per group and varying coefficient: posterior variance of the group's
        # offset from its parent over the prior variance (1 = fully pooled, 0 = not at all)
        parent = thetas[depth][:, data.parents[depth]] if depth else thetas[0][:, None, :]
        offset = thetas[depth + 1][..., v] - parent[..., v]
        if names.sd(lv) in post:
            tau = _draws(post, names.sd(lv))
            tau2 = (tau**2).mean(0)
            tau2 = tau2[data.parents[depth]] if tau2.ndim == 2 else tau2[None, :]
            pooling[lv] = np.clip(offset.var(0) / np.maximum(tau2, 1e-300), 0.0, 1.0)
        else:
            pooling[lv] = np.ones((data.sizes[depth], 0))
    if names.SIGMA in post:
        out[names.SIGMA] = (("chain", "draw"), post[names.SIGMA].to_numpy() * scaling.y_sd)
    for extra in (names.NU, names.ALPHA):
        if extra in post:
            out[extra] = (("chain", "draw"), post[extra].to_numpy())

    coords = {
        "chain": post["chain"].to_numpy(),
        "draw": post["draw"].to_numpy(),
        "coef": list(data.coefs),
        **{lv: np.asarray(data.coords[lv]) for lv in levels},
        **{names.coef_dim(lv): [data.coefs[i] for i in np.flatnonzero(built.varying[d])] for d, lv in enumerate(levels)},
        **{names.coef_dim2(lv): [data.coefs[i] for i in np.flatnonzero(built.varying[d])] for d, lv in enumerate(levels)},
    }
    used = {dim for dims, _ in out.values() for dim in dims}
    posterior = xr.Dataset(out, coords={k: v for k, v in coords.items() if k in used})
    posterior = posterior.assign_coords({k: v for k, v in extra_coords.items()})
    posterior.attrs = {"created_by": "pandas-hier", "scale": "original"}
    pooling_ds = xr.Dataset(
        {names.pooling(lv): ((lv, names.coef_dim(lv)), pooling[lv]) for lv in levels},
        coords={k: v for k, v in coords.items() if k in levels or k in {names.coef_dim(lv) for lv in levels}},
    )
    groups = {"posterior": posterior, "model_scale": post, "pooling": pooling_ds}
    if "sample_stats" in trace.children:
        groups["sample_stats"] = trace["sample_stats"].to_dataset()
    tree = xr.DataTree.from_dict(groups)
    for node in tree.subtree:
        for var in node.dataset.data_vars.values():
            var.values.flags.writeable = False
    return tree


def draw_coefficients(
    data: ModelData,
    built,
    sigma: np.ndarray,
    sd_draws: Sequence[tuple[ScaleKind, np.ndarray]],
    rng: np.random.Generator,
    chunk: int = 256,
) -> list[np.ndarray]:
    """Exact draws of every coefficient of a marginal model, one per posterior draw.

    For each posterior draw of the sds and the noise sd, the coefficients are drawn top down
    from their Gaussian conditionals (compiled kernel, :mod:`pandas_hier.kernels`).

    Parameters
    ----------
    data : ModelData
    built : BuiltModel
        A model built with the marginal parameterization.
    sigma : ndarray (S,)
        Posterior draws of the noise sd (model scale).
    sd_draws : sequence of (ScaleKind, ndarray)
        Per level, draws of the offsets' scale (:func:`scale_draws`): ``LEVEL``: sds
        ``(S, k)``; ``PARENT``: ``(S, n_parent, k)``; ``CHOL``: Cholesky factors ``(S, k, k)``.
    rng : numpy.random.Generator
    chunk : int
        Draws processed at once (bounds memory at ``chunk x groups x d^2`` floats).

    Returns
    -------
    list of ndarray
        ``[global (S, d), level 1 (S, G1, d), ...]`` on the model's scale.

    Examples
    --------
    >>> import numpy as np, pandas_hier
    >>> from pandas_hier.fitting import build
    >>> from pandas_hier.design import prepare
    >>> from pandas_hier.options import FitOptions
    >>> design = prepare(pandas_hier.datasets.load_salary(), "month", "salary",
    ...                  levels=["degree", "state", "county"], dropna=False, options=FitOptions())
    >>> built = build(pandas_hier.datasets.load_salary(), "month", "salary",
    ...               levels=["degree", "state", "county"])
    >>> S = 5
    >>> scales = [(ScaleKind.LEVEL, np.full((S, 2), 0.5))] * 3
    >>> thetas = draw_coefficients(design.data, built, np.full(S, 0.2), scales, np.random.default_rng(0))
    >>> [t.shape for t in thetas]
    [(5, 2), (5, 2, 2), (5, 10, 2), (5, 100, 2)]
    """
    from pandas_hier.kernels import kernel

    S, d = sigma.shape[0], data.d
    off = np.cumsum([0, *data.sizes]).astype(np.int64)
    root = int(off[-1])
    parents = np.concatenate(data.parents).astype(np.int64)
    kinds = np.array([kind.triangular for kind, _ in sd_draws], np.int64)
    m0, s0 = built.global_prior
    st = data.stats
    out = [np.empty((S, d))] + [np.empty((S, g, d)) for g in data.sizes]
    draw = kernel(d).draw
    for start in range(0, S, chunk):
        sl = slice(start, min(start + chunk, S))
        scales = [_scale_draws(data, built, kind, x[sl], depth)
                  for depth, (kind, x) in enumerate(sd_draws)]  # fmt: skip
        loff = np.cumsum([0, *[x.shape[1] for x in scales]]).astype(np.int64)
        eps = rng.standard_normal((sl.stop - sl.start, root + 1, d))
        theta = draw(
            np.ascontiguousarray(sigma[sl], dtype=np.float64), np.concatenate(scales, axis=1),
            loff, kinds, np.asarray(st.n, np.float64), st.xtx, st.xty, st.yty, parents, off,
            np.asarray(m0, np.float64), np.asarray(s0, np.float64), eps,
        )  # fmt: skip
        out[0][sl] = theta[:, root]
        for depth in range(len(data.sizes)):
            out[depth + 1][sl] = theta[:, off[depth] : off[depth + 1]]
    return out


def _scale_draws(data: ModelData, built, kind: ScaleKind, draws: np.ndarray, depth: int):
    """Per-draw scale matrices of level ``depth``: ``(S, 1, d, d)`` or ``(S, groups, d, d)``."""
    v = np.flatnonzero(built.varying[depth])
    S = draws.shape[0]
    if kind is ScaleKind.PARENT:  # (S, n_parent, k) -> per group
        per_group = draws[:, data.parents[depth], :]
        L = np.zeros((S, per_group.shape[1], data.d, data.d))
        L[:, :, v, v] = per_group
        return L
    L = np.zeros((S, 1, data.d, data.d))
    if kind is ScaleKind.CHOL:
        L[:, 0, v[:, None], v[None, :]] = draws
    else:
        L[:, 0, v, v] = draws
    return L
