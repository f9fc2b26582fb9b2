"""The shrinkage plot: each group's own (no-pooling) estimate against its partially pooled one."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pandas_hier import families
from pandas_hier._params import Integer, validate_params
from pandas_hier.plots import _common

if TYPE_CHECKING:  # pragma: no cover
    from pandas_hier.result import HierFit

__all__ = ["no_pooling", "shrinkage"]

_IRLS_STEPS = 30
#: A link-scale estimate beyond this is separation (all 0s or all 1s, or no counts), not a value.
_ETA_MAX = 15.0


def no_pooling(
    fit: HierFit, level: Hashable | None = None, data: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Each group's own estimate of every coefficient, from its rows alone (no pooling).

    Least squares for location-scale likelihoods; for GLMs the maximum-likelihood fit of the
    group's rows on the link scale (iteratively reweighted least squares). A group with fewer
    rows than coefficients, a singular design or separated data gets NaN.

    Parameters
    ----------
    fit : HierFit
    level : hashable, optional
        Default the lowest level.
    data : pandas.DataFrame, optional
        Rows of training groups; default the fit's training rows (required after
        :func:`pandas_hier.load`).

    Returns
    -------
    pandas.DataFrame
        Indexed like ``fit.tables[level]``: one column per coefficient.

    Examples
    --------
    >>> from pandas_hier.plots.shrinkage import no_pooling
    >>> no_pooling(fit, "county").columns.tolist()
    ['intercept', 'month']
    """
    level = _common.check_level(fit, level)
    rows = _common.group_rows(fit, level, data, "no_pooling")
    n_groups = len(fit.tables[level])
    X = np.column_stack([np.ones(len(rows.y)), rows.x])
    family = families.get(fit.options.likelihood)
    if family.link == "identity":
        beta = _weighted_ls(X, rows.y, rows.weight, rows.group, n_groups)
    else:
        beta = _irls(X, rows, family.link, n_groups)
    return pd.DataFrame(beta, index=fit.tables[level].index, columns=_common.coef_names(fit))


def _weighted_ls(X, z, w, group, n_groups) -> np.ndarray:
    """Per group, the weighted least-squares coefficients (NaN where the design is singular)."""
    d = X.shape[1]
    xtx = np.zeros((n_groups, d, d))
    xtz = np.zeros((n_groups, d))
    for i in range(d):
        xtz[:, i] = np.bincount(group, w * X[:, i] * z, minlength=n_groups)
        for j in range(i, d):
            both = np.bincount(group, w * X[:, i] * X[:, j], minlength=n_groups)
            xtx[:, i, j] = xtx[:, j, i] = both
    ok = np.linalg.cond(xtx) < 1e10
    out = np.full((n_groups, d), np.nan)
    if ok.any():
        out[ok] = np.linalg.solve(xtx[ok], xtz[ok][..., None])[..., 0]
    return out


def _irls(X, rows, link: str, n_groups) -> np.ndarray:
    """Per group, the GLM's maximum-likelihood coefficients (logit: binomial with the row
    weights as trials; log: Poisson with the offset), NaN where they run off to infinity."""
    y, n, off = rows.y, rows.weight, rows.offset
    if link == "logit":
        eta = np.log((y * n + 0.5) / (n - y * n + 0.5))
    else:
        eta = np.log(y + 0.5 / np.exp(off))
    beta = np.zeros((n_groups, X.shape[1]))
    for _ in range(_IRLS_STEPS):
        if link == "logit":
            p = 1 / (1 + np.exp(-eta))
            w = np.maximum(n * p * (1 - p), 1e-10)
            z = eta + (y - p) * n / w
        else:
            mu = np.exp(eta + off)
            w = np.maximum(mu, 1e-10)
            z = eta + (y * np.exp(off) - mu) / w
        beta = _weighted_ls(X, z, w, rows.group, n_groups)
        eta = np.einsum("nd,nd->n", X, np.nan_to_num(beta)[rows.group])
    far = np.zeros(n_groups, bool)
    np.logical_or.at(far, rows.group, np.abs(eta) > _ETA_MAX)
    beta[far] = np.nan
    return beta


@validate_params({"data": [None, pd.DataFrame], "label": [Integer(0)]}, caller="plot_shrinkage")
def shrinkage(
    fit: HierFit,
    level: Hashable | None = None,
    coef: str | Sequence[str] | None = None,
    *,
    data: pd.DataFrame | None = None,
    label: int = 5,
):
    """Shrinkage plot: each group's no-pooling estimate (its own rows alone) against its
    partially pooled posterior mean, one panel per coefficient; marker area by group size.

    Points on the dashed diagonal are not pooled; a grey segment shows how far a group moved
    from its own estimate, toward its parent's mean (a black dash), typically more for small
    groups. The ``label`` most shrunk
    groups are labelled. Groups without a no-pooling estimate (fewer rows than coefficients,
    separated data) are left out and counted in the title. For a non-Gaussian likelihood the
    axes state the link scale.

    Parameters
    ----------
    fit : HierFit
    level : hashable, optional
        Default the lowest level.
    coef : str or list of str, optional
        Default every coefficient.
    data : pandas.DataFrame, optional
        The training rows; required after :func:`pandas_hier.load` (a saved fit keeps no rows).
    label : int, default 5
        How many of the most shrunk groups to label.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = fit.plot_shrinkage("county")
    >>> [ax.get_title() for ax in fig.axes]
    ['intercept', 'month']
    >>> import tempfile, pathlib
    >>> loaded = pandas_hier.load(fit.save(pathlib.Path(tempfile.mkdtemp()) / "f.hier"))
    >>> loaded.plot_shrinkage(data=df).axes[0].get_xlabel()
    'no pooling: own rows only'
    """
    level = _common.check_level(fit, level)
    coefs = _common.check_coefs(fit, coef)
    _common.needs_data(fit, data, "plot_shrinkage")
    own = no_pooling(fit, level, data)
    pooled = fit.coef(level)
    depth = fit.levels.index(level)
    top = fit.levels[0]
    colour_of = {g: f"C{i % 10}" for i, g in enumerate(dict.fromkeys(map(str, pooled[top])))}
    colours = np.array([colour_of[str(g)] for g in pooled[top]])
    n_rows = pooled["n_rows"].to_numpy(float)
    area = 12 + 160 * np.sqrt(n_rows / n_rows.max())
    names = [str(v) for v in pooled[level]]
    fig = _common.figure(0.8 + 3.6 * len(coefs), 4.2)
    axes = fig.subplots(1, len(coefs), squeeze=False)[0]
    scale = _common.scale_label(fit)
    parent = fit.coef(fit.levels[depth - 1]) if depth else None
    parent_col = fit.hierarchy.code_column(fit.levels[depth - 1]) if depth else None
    parent_codes = fit.tables[level][parent_col] if depth else None
    for ax, name in zip(axes, coefs, strict=True):
        x, y = own[name].to_numpy(), pooled[name].to_numpy()
        ok = np.isfinite(x)
        ax.scatter(x[ok], y[ok], s=area[ok], c=colours[ok], alpha=0.6, edgecolors="k",
                   linewidths=0.4)  # fmt: skip
        both = np.r_[x[ok], y]
        lo, hi = both.min(), both.max()
        ax.plot([lo, hi], [lo, hi], color="0.4", ls="--", lw=1)
        ax.vlines(x[ok], x[ok], y[ok], colors="0.6", lw=0.7, zorder=0)
        if parent is not None:
            towards = parent[name].to_numpy()[parent_codes.to_numpy()]
            ax.scatter(x[ok], towards[ok], marker="_", c="k", s=30, lw=0.8, zorder=1)
        shrunk = np.where(ok, np.abs(x - y), -np.inf)
        for i in np.argsort(-shrunk)[: min(label, int(ok.sum()))]:
            ax.annotate(names[i], (x[i], y[i]), fontsize=7, xytext=(3, 3),
                        textcoords="offset points")  # fmt: skip
        ax.set_title(name, fontsize=10)
        ax.set_xlabel("no pooling: own rows only" + (f"\n{scale}" if scale else ""))
        ax.set_ylabel("partial pooling: posterior mean" + (f"\n{scale}" if scale else ""))
        ax.tick_params(labelsize=8)
    left_out = int((~np.isfinite(own[coefs].to_numpy())).any(axis=1).sum())
    note = f"; {left_out} groups without an own estimate left out" if left_out else ""
    lines = f"; -: the {fit.levels[depth - 1]}'s mean" if depth else ""
    fig.suptitle(f"Shrinkage of {len(pooled)} {level} groups{note}\nmarker area: rows; grey: the "
                 f"move from the own estimate{lines}", fontsize=9)  # fmt: skip
    return fig
