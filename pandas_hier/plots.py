"""Figures of a :class:`~pandas_hier.HierFit` (matplotlib, imported lazily)."""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING

import numpy as np

from pandas_hier._params import close_match
from pandas_hier.errors import ColumnNotFoundError

if TYPE_CHECKING:  # pragma: no cover
    from pandas_hier.fitting import HierFit

__all__ = ["forest"]


def forest(
    fit: HierFit,
    level: Hashable | None = None,
    coef: str = "intercept",
    *,
    hdi_prob: float = 0.94,
    ax=None,
):
    """Forest plot of one coefficient per group: posterior mean and HDI, grouped by parent.

    Each group's total coefficient (original scale) is a point with its HDI; groups are
    coloured by their top-level group, and the parent's posterior mean is drawn as a tick so
    that partial pooling toward the parent is visible.

    Parameters
    ----------
    fit : HierFit
    level : hashable, optional
        Level to show; default the lowest.
    coef : str, default "intercept"
        ``"intercept"`` or a predictor name.
    hdi_prob : float, default 0.94
    ax : matplotlib Axes, optional

    Returns
    -------
    matplotlib.axes.Axes

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> ax = forest(fit, "county", "month")
    >>> len(ax.get_yticklabels()) == len(fit.tables["county"])
    True
    """
    import matplotlib.pyplot as plt

    table = fit.coef(level, hdi_prob=hdi_prob)
    level = fit.levels[-1] if level is None else level
    if coef not in table.columns:
        choices = ["intercept", *map(str, fit.x)]
        guess = close_match(coef, choices)
        hint = f"; did you mean {guess!r}?" if guess is not None else "."
        raise ColumnNotFoundError(f"unknown coefficient {coef!r}{hint} Choose from {choices!r}")
    depth = fit.levels.index(level)
    if ax is None:
        height = min(0.18 * len(table) + 1.2, 30)
        _, ax = plt.subplots(figsize=(7, height))
    ypos = np.arange(len(table))[::-1]
    top = fit.levels[0]
    colours = {g: f"C{i % 10}" for i, g in enumerate(dict.fromkeys(table[top]))}
    for (g, part), y in zip(table.groupby(top, sort=False), [None] * table[top].nunique(), strict=True):
        del y
        rows = ypos[table.index.get_indexer(part.index)]
        ax.hlines(rows, part[f"{coef}_hdi_low"], part[f"{coef}_hdi_high"], color=colours[g], lw=1.2)
        ax.plot(part[coef], rows, "o", color=colours[g], ms=3.5, label=str(g))
    if depth:
        parent = fit.levels[depth - 1]
        parent_mean = fit.coef(parent)[coef].to_numpy()
        codes = fit.tables[level][f"{parent}{fit.hierarchy.suffix}"].to_numpy()
        ax.plot(parent_mean[codes], ypos, "|", color="k", ms=6, label=f"{parent} mean")
    labels = [" / ".join(map(str, r)) for r in table[list(fit.levels[: depth + 1])].itertuples(index=False)]
    ax.set_yticks(ypos, labels, fontsize=6 if len(table) > 40 else 8)
    ax.set_xlabel(f"{coef} ({int(hdi_prob * 100)}% HDI)")
    ax.set_title(f"{coef} by {level}: {fit.y} ~ {' + '.join(map(str, fit.x))}")
    ax.legend(fontsize=7, loc="best")
    ax.figure.tight_layout()
    return ax
