"""Small multiples of groups: each group's rows with its posterior mean line and HDI band."""

from __future__ import annotations

import textwrap
from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pandas_hier import families, names
from pandas_hier._params import Integer, Real, close_match, validate_params
from pandas_hier.errors import ColumnNotFoundError, InvalidParameterError
from pandas_hier.intervals import hdi
from pandas_hier.plots import _common

if TYPE_CHECKING:  # pragma: no cover
    from pandas_hier.result import HierFit

__all__ = ["groups"]

_GRID = 40


def _pick(fit, level, chosen, max_groups: int) -> list[int]:
    """Codes of the groups to show: the largest ``max_groups`` (in code order), or the named
    ones (a label path, a tuple of labels, or the own label where it is unique)."""
    table = fit.tables[level]
    if chosen is None:
        n_rows = table["n_rows"].to_numpy()
        return sorted(np.argsort(-n_rows, kind="stable")[:max_groups].tolist())
    chosen = [chosen] if isinstance(chosen, (str, tuple)) else list(chosen)
    if len(chosen) > max_groups:
        raise InvalidParameterError(
            f"plot_groups: groups names {len(chosen)} groups, more than max_groups={max_groups}; "
            "raise max_groups or name fewer groups"
        )
    paths = _common.path_labels(fit, level)
    own = [str(v) for v in table[level]]
    codes = []
    for g in chosen:
        key = " / ".join(map(str, g)) if isinstance(g, tuple) else str(g)
        if key in paths:
            codes.append(paths.index(key))
            continue
        hits = [i for i, o in enumerate(own) if o == key]
        if len(hits) > 1:
            raise InvalidParameterError(
                f"plot_groups: group {g!r} is ambiguous at level {level!r}: name one of "
                f"{[paths[i] for i in hits]!r}"
            )
        if not hits:
            guess = close_match(key, paths + own)
            hint = f"; did you mean {guess!r}?" if guess is not None else "."
            raise ColumnNotFoundError(
                f"plot_groups: unknown {level!r} group {g!r}{hint} Groups are named by their "
                f"path, such as {paths[0]!r}"
            )
        codes.append(hits[0])
    return list(dict.fromkeys(codes))


@validate_params(
    {"max_groups": [Integer(1, 100)], "hdi_prob": [Real(0, 1, closed="neither")],
     "data": [None, pd.DataFrame], "x": [None, str]},
    caller="plot_groups",
)  # fmt: skip
def groups(
    fit: HierFit,
    level: Hashable | None = None,
    groups: Sequence | None = None,
    max_groups: int = 12,
    *,
    data: pd.DataFrame | None = None,
    x: str | None = None,
    hdi_prob: float = 0.94,
):
    """Each group's rows against one predictor, with the posterior mean of the response and
    its HDI band (other predictors held at the group's mean), one panel per group.

    The line and band are on the response's scale (a probability for logit likelihoods, a rate
    per unit exposure for log-link likelihoods with exposure), and so are the points
    (``y / trials``, ``y / exposure``). A fit without predictors shows the rows in order.

    Parameters
    ----------
    fit : HierFit
    level : hashable, optional
        Default the lowest level.
    groups : label or list of labels, optional
        Groups to show, by path (``"degree / Ohio / Clay"``), tuple of labels, or own label
        where unique; default the ``max_groups`` groups with the most rows.
    max_groups : int, default 12
    data : pandas.DataFrame, optional
        The rows to show; default the training rows (required after :func:`pandas_hier.load`).
    x : str, optional
        The predictor on the horizontal axis; default the first.
    hdi_prob : float, default 0.94

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = fit.plot_groups("state")
    >>> [ax.get_title() for ax in fig.axes]
    ['Alabama\\n(degree)', 'Georgia\\n(degree)', 'Alabama\\n(no degree)', 'Georgia\\n(no degree)']
    """
    level = _common.check_level(fit, level)
    preds = list(map(str, fit.x))
    if x is not None and x not in preds:
        guess = close_match(x, preds)
        hint = f"; did you mean {guess!r}?" if guess is not None else "."
        raise ColumnNotFoundError(
            f"plot_groups: unknown predictor {x!r}{hint} Choose from {preds!r}"
        )
    j = preds.index(x) if x is not None else 0 if preds else None
    codes = _pick(fit, level, groups, max_groups)
    rows = _common.group_rows(fit, level, data, "plot_groups")
    family = families.get(fit.options.likelihood)
    post = fit.idata["posterior"][names.b(str(level))]
    b = post.to_numpy().reshape(-1, *post.shape[2:])  # (draws, groups, coefs)
    ncols = min(4, len(codes))
    nrows = -(-len(codes) // ncols)
    fig = _common.figure(0.6 + 2.7 * ncols, 0.9 + 2.4 * nrows)
    axes = fig.subplots(nrows, ncols, sharex=True, sharey=True, squeeze=False).ravel()
    table = fit.tables[level]
    depth = fit.levels.index(level)
    for ax, code in zip(axes, codes, strict=False):
        mine = rows.group == code
        xs = rows.x[mine]
        if j is None:
            pos, grid = np.arange(mine.sum()), np.array([0.0, max(mine.sum() - 1, 1)])
            eta = np.repeat(b[:, code, :1], 2, axis=1)
        else:
            pos = xs[:, j]
            lo, hi = (pos.min(), pos.max()) if len(pos) else (0.0, 1.0)
            grid = np.linspace(lo, hi if hi > lo else lo + 1, _GRID)
            held = xs.mean(axis=0) if len(xs) else np.zeros(len(preds))
            X = np.tile(np.r_[1.0, held], (len(grid), 1))
            X[:, 1 + j] = grid
            eta = b[:, code, :] @ X.T
        mu = family.inverse_link(eta)
        band = hdi(mu, hdi_prob, axis=0)
        ax.fill_between(grid, band[0], band[1], color="C0", alpha=0.25, lw=0)
        ax.plot(grid, mu.mean(axis=0), color="C0", lw=1.5)
        ax.scatter(pos, rows.y[mine], s=10, color="k", alpha=0.7, zorder=3)
        title = textwrap.shorten(str(table[level].iloc[code]), 32)
        if depth:
            parent = " / ".join(map(str, table.iloc[code][list(fit.levels[:depth])]))
            title += "\n(" + textwrap.shorten(parent, 40) + ")"
        ax.set_title(title, fontsize=8)
        ax.tick_params(labelsize=7)
    for ax in axes[len(codes) :]:
        ax.set_visible(False)
    for ax in axes[(nrows - 1) * ncols :]:
        ax.set_xlabel(preds[j] if j is not None else "row", fontsize=8)
    for ax in axes[::ncols]:
        ax.set_ylabel(_common.response_label(fit), fontsize=8)
    shown = "" if groups is not None or len(codes) == len(table) else " (the largest by rows)"
    fig.suptitle(
        f"{len(codes)} of {len(table)} {level} groups{shown}: rows, posterior mean and "
        f"{round(hdi_prob * 100)}% HDI of the mean", fontsize=9,
    )  # fmt: skip
    return fig
