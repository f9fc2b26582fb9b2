"""What every plot of a fit shares: argument checks, group labels, the scale note, the rows of
one level's groups, and figure sizes that grow with the number of groups (capped).

Everything here uses only :class:`~pandas_hier.HierFit`'s public interface.

Examples
--------
>>> from pandas_hier.plots import _common
>>> _common.check_level(fit, "county"), _common.check_level(fit, None)
('county', 'county')
>>> _common.tick_fontsize(10), _common.tick_fontsize(500)
(9, 5)
"""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pandas_hier import families
from pandas_hier._params import close_match
from pandas_hier.errors import ColumnNotFoundError, InvalidParameterError

__all__ = [
    "GroupRows",
    "check_coefs",
    "check_level",
    "coef_names",
    "figure",
    "group_rows",
    "path_labels",
    "scale_label",
    "needs_data",
    "response_label",
    "tick_fontsize",
    "unknown",
]

#: The tallest figure a plot makes, in inches; beyond it tick labels are thinned.
MAX_HEIGHT = 40.0


def unknown(what: str, value, choices: list) -> ColumnNotFoundError:
    guess = close_match(value, [str(c) for c in choices])
    hint = f"; did you mean {guess!r}?" if guess is not None else "."
    return ColumnNotFoundError(f"unknown {what} {value!r}{hint} Choose from {choices!r}")


def check_level(fit, level: Hashable | None) -> Hashable:
    """``level``, or the lowest level for None; an unknown level names a close match."""
    if level is None:
        return fit.levels[-1]
    if level not in fit.levels:
        raise unknown("level", level, list(fit.levels))
    return level


def coef_names(fit) -> list[str]:
    """``"intercept"`` and the predictors, as the coefficient tables name them."""
    return ["intercept", *map(str, fit.x)]


def check_coefs(fit, coef) -> list[str]:
    """The coefficients to show: all for None, one for a string, or a list of them."""
    choices = coef_names(fit)
    wanted = choices if coef is None else [coef] if isinstance(coef, str) else list(coef)
    if not wanted:
        raise InvalidParameterError(f"coef must name at least one of {choices!r}, got []")
    for c in wanted:
        if c not in choices:
            raise unknown("coefficient", c, choices)
    return list(dict.fromkeys(wanted))


def scale_label(fit) -> str:
    """What the coefficients' axis means: ``""`` for an identity link, else the link scale
    (``"logit link scale (log-odds)"``)."""
    family = families.get(fit.options.likelihood)
    if family.link == "identity":
        return ""
    unit = {"logit": "log-odds", "log": "log rate"}.get(family.link, family.link)
    return f"{family.link} link scale ({unit})"


def response_label(fit) -> str:
    """The response as a plot shows it (proportion or rate for binomial or exposure data)."""
    opts = fit.options
    if opts.trials is not None:
        return f"{fit.y} / {opts.trials} (proportion)"
    if opts.exposure is not None:
        return f"{fit.y} / {opts.exposure} (rate)"
    family = families.get(opts.likelihood)
    return f"{fit.y} (probability)" if family.link == "logit" else str(fit.y)


def path_labels(fit, level: Hashable) -> list[str]:
    """Each group's label path at ``level`` (``"degree / Ohio / Clay"``), in code order."""
    depth = fit.levels.index(level)
    table = fit.tables[level][list(fit.levels[: depth + 1])]
    return [" / ".join(map(str, row)) for row in table.itertuples(index=False)]


def tick_fontsize(n: int) -> int:
    """Tick label size in points for ``n`` labels along one axis."""
    return 9 if n <= 30 else 8 if n <= 60 else 7 if n <= 120 else 6 if n <= 250 else 5


def text_width(labels, fontsize: float) -> float:
    """Rough width in inches of the longest label (for sizing the figure before layout)."""
    longest = max((len(str(s)) for s in labels), default=0)
    return 0.6 * fontsize / 72 * longest


def figure(width: float, height: float):
    """A constrained-layout Figure that pyplot does not manage (returning it from a notebook
    cell shows it once; ``savefig`` works without a pyplot backend)."""
    from matplotlib.figure import Figure

    return Figure(figsize=(width, min(height, MAX_HEIGHT)), layout="constrained")


def adopt(fig, title: str):
    """An arviz-plots figure made ours: constrained layout, a title, released by pyplot."""
    import matplotlib.pyplot as plt

    plt.close(fig)
    fig.set_layout_engine("constrained")
    fig.suptitle(title, fontsize=10)
    return fig


def needs_data(fit, data, caller: str) -> None:
    """A fit loaded from a file holds no training rows: ``data=`` is then required."""
    if data is None and fit.training is None:
        raise InvalidParameterError(
            f"{caller}: data is required for a fit loaded from a file, which holds no training "
            "rows; pass the training frame (or rows of training groups) as data="
        )
    if data is not None and not isinstance(data, pd.DataFrame):
        raise InvalidParameterError(
            f"{caller}: data must be None or a pandas DataFrame, got {type(data).__name__}"
        )


@dataclass(frozen=True)
class GroupRows:
    """The rows behind one level's groups: predictors, response (as a proportion or rate
    where the fit has trials or exposure), the row weights (trials, else 1), the log
    exposure offset (else 0) and each row's group code at the level."""

    x: np.ndarray
    y: np.ndarray
    weight: np.ndarray
    offset: np.ndarray
    group: np.ndarray


def group_rows(fit, level: Hashable, data: pd.DataFrame | None, caller: str) -> GroupRows:
    """The training rows (or ``data``'s rows) with their group codes at ``level``."""
    needs_data(fit, data, caller)
    depth = fit.levels.index(level)
    if data is None:
        t = fit.training
        x, y, group = np.asarray(t.x, float), np.asarray(t.y, float), np.asarray(t.leaf)
        for lv in reversed(fit.levels[depth + 1 :]):  # leaf codes up to the level, via parents
            parent = fit.levels[fit.levels.index(lv) - 1]
            group = fit.tables[lv][fit.hierarchy.code_column(parent)].to_numpy()[group]
        trials, exposure = t.trials, t.exposure
    else:
        enc = fit.encode(data)
        group = enc[fit.hierarchy.code_column(level)].to_numpy()
        if (bad := group < 0).any():
            raise InvalidParameterError(
                f"{caller}: {int(bad.sum())} rows of data have a {level!r} group not seen in "
                f"training or a missing level value (first at index {data.index[bad][0]!r}); "
                "plots of a fit's groups need rows of its training groups"
            )
        missing = [c for c in (*fit.x, fit.y) if c not in data.columns]
        if missing:
            raise unknown("column of data", missing[0], list(data.columns))
        x, y = data[list(fit.x)].to_numpy(float), data[fit.y].to_numpy(float)
        opts = fit.options
        trials = None if opts.trials is None else data[opts.trials].to_numpy(float)
        exposure = None if opts.exposure is None else data[opts.exposure].to_numpy(float)
    weight = np.ones(len(y)) if trials is None else np.asarray(trials, float)
    offset = np.zeros(len(y)) if exposure is None else np.log(np.asarray(exposure, float))
    if trials is not None:
        y = y / np.where(weight > 0, weight, 1.0)
    if exposure is not None:
        y = y / np.exp(offset)
    return GroupRows(x.reshape(len(y), -1), y, weight, offset, np.asarray(group, np.int64))
