"""The forest plot: every group's total coefficients with their HDIs, grouped by parent."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import TYPE_CHECKING

import numpy as np

from pandas_hier._params import Real, validate_params
from pandas_hier.plots import _common

if TYPE_CHECKING:  # pragma: no cover
    from pandas_hier.result import HierFit

__all__ = ["forest"]


@validate_params({"hdi_prob": [Real(0, 1, closed="neither")]}, caller="plot_forest")
def forest(
    fit: HierFit,
    level: Hashable | None = None,
    coef: str | Sequence[str] | None = None,
    *,
    hdi_prob: float = 0.94,
):
    """Forest plot: each group's total coefficient (posterior mean and HDI), one panel per
    coefficient, ordered within parent groups.

    Rows are grouped by parent (alternately shaded, the parent's label on the right) and
    ordered within each parent by the first coefficient's posterior mean; each parent's own
    posterior mean is a vertical black segment across its block, so partial pooling toward it
    shows, and the global mean is a dotted line. Points are coloured by their top-level group.
    For a non-Gaussian likelihood the axis states the link scale.

    Parameters
    ----------
    fit : HierFit
    level : hashable, optional
        Level to show; default the lowest.
    coef : str or list of str, optional
        ``"intercept"`` and/or predictor names; default every coefficient.
    hdi_prob : float, default 0.94

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = fit.plot_forest("county", "month")
    >>> ax = fig.axes[0]
    >>> len(ax.get_yticklabels()) == len(fit.tables["county"]), ax.get_xlabel()
    (True, 'month (94% HDI)')
    """
    level = _common.check_level(fit, level)
    coefs = _common.check_coefs(fit, coef)
    depth = fit.levels.index(level)
    table = fit.coef(level, hdi_prob=hdi_prob)
    n = len(table)
    parent_col = fit.hierarchy.code_column(fit.levels[depth - 1]) if depth else None
    parents = fit.tables[level][parent_col].to_numpy() if depth else np.zeros(n, int)
    # parents in code order (sorted label paths); within each, by the first mean, largest on top
    order = np.lexsort((-table[coefs[0]].to_numpy(), parents))
    ypos = np.empty(n)
    ypos[order] = np.arange(n)[::-1]
    own = [str(v) for v in table[level]]
    size = _common.tick_fontsize(n)
    parent_labels = _common.path_labels(fit, fit.levels[depth - 1]) if depth else []
    left = _common.text_width(own, size)
    right = _common.text_width(parent_labels, size) if depth else 0.0
    fig = _common.figure(1.2 + left + right + 3.0 * len(coefs), 1.9 + n * size * 1.55 / 72)
    axes = fig.subplots(1, len(coefs), sharey=True, squeeze=False)[0]
    top = fit.levels[0]
    colour_of = {g: f"C{i % 10}" for i, g in enumerate(dict.fromkeys(map(str, table[top])))}
    colours = [colour_of[str(g)] for g in table[top]]
    glob = fit.summary(hdi_prob).query("parameter == 'b_global'").set_index("coef")["mean"]
    parent_mean = fit.coef(fit.levels[depth - 1]) if depth else None
    scale = _common.scale_label(fit)
    for ax, name in zip(axes, coefs, strict=True):
        _shade_parents(ax, ypos, parents, depth)
        ax.hlines(ypos, table[f"{name}_hdi_low"], table[f"{name}_hdi_high"], colors=colours, lw=1.2)
        ax.scatter(table[name], ypos, c=colours, s=14, zorder=3)
        if depth:
            for p in np.unique(parents):
                rows = ypos[parents == p]
                ax.vlines(parent_mean[name].iloc[p], rows.min() - 0.4, rows.max() + 0.4,
                          colors="k", lw=1.4, zorder=4)  # fmt: skip
        ax.axvline(glob[name], color="0.4", ls=":", lw=1)
        hdi = f"{round(hdi_prob * 100)}% HDI"
        ax.set_xlabel(f"{name} ({hdi})" if not scale else f"{name} ({hdi}), {scale}")
        ax.set_title(name, fontsize=10)
        ax.tick_params(axis="x", labelsize=8)
        ax.set_ylim(-0.7, n - 0.3)
    _label_rows(axes, ypos, own, size)
    if depth:
        _label_parents(axes[-1], ypos, parents, parent_labels, size)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], marker="o", ls="", color=c, label=g) for g, c in colour_of.items()]
    if depth:
        handles.append(Line2D([], [], color="k", lw=1.4, label=f"{fit.levels[depth - 1]} mean"))
    handles.append(Line2D([], [], color="0.4", ls=":", label="global mean"))
    if len(handles) <= 16:
        fig.legend(handles=handles, loc="outside lower center", ncols=min(len(handles), 4),
                   fontsize=8)  # fmt: skip
    fig.suptitle(f"{level}: {fit.y} ~ {' + '.join(map(str, fit.x)) or '1'}", fontsize=10)
    return fig


def _shade_parents(ax, ypos, parents, depth) -> None:
    if not depth:
        return
    for i, p in enumerate(np.unique(parents)):
        rows = ypos[parents == p]
        if i % 2:
            ax.axhspan(rows.min() - 0.5, rows.max() + 0.5, color="0.93", zorder=0, lw=0)


def _label_rows(axes, ypos, labels, size) -> None:
    step = _thinning(len(labels), size)
    keep = np.argsort(-ypos)[::step]
    axes[0].set_yticks(ypos[keep], [labels[i] for i in keep], fontsize=size)


def _label_parents(ax, ypos, parents, labels, size) -> None:
    """The parent's path at the centre of its block, on the right-hand axis."""
    codes = np.unique(parents)
    centres = np.array([ypos[parents == p].mean() for p in codes])
    right = ax.secondary_yaxis("right")
    step = _thinning(len(codes), size)
    right.set_yticks(centres[::step], [labels[p] for p in codes[::step]], fontsize=size)
    right.tick_params(axis="y", length=0)


def _thinning(n: int, size: float) -> int:
    """Show every k-th label where n labels of this size do not fit the tallest figure."""
    room = (_common.MAX_HEIGHT - 1.9) * 72 / (size * 1.3)
    return max(1, int(np.ceil(n / room)))
