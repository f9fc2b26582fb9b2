"""A merged :class:`~pandas_hier.dask_frame.summary.Summary` turned into what the pandas path
makes from a frame: the lookup tables, the :class:`~pandas_hier.design.Scaling` and the
:class:`~pandas_hier.design.Design` whose per-leaf statistics the sampler reads.

The standardisation is the pandas path's: the mean and the population sd of each column, here
from the per-leaf centred moments (``sd**2 = (sum of within-leaf co-moments + between-leaf
part) / n``), equal to floating-point tolerance. The model-scale statistics follow from the
leaf means and co-moments algebraically, never from raw sums of squares::

    a_g = (mean_g - centre) / sd,   C_g = comoment_g / (sd sd')
    X'X = [[n, n a_x'], [n a_x, C_xx + n a_x a_x']],  X'y = [n a_y, C_xy + n a_x a_y],
    y'y = C_yy + n a_y**2

Examples
--------
>>> import numpy as np, pandas as pd
>>> from pandas_hier.dask_frame.build import tables_from_summary
>>> from pandas_hier.dask_frame.summary import summarize
>>> part = pd.DataFrame({"state": ["NY", "NY", "CA"], "county": ["Kings", "Erie", "Kings"]})
>>> t = tables_from_summary(summarize(part, ["state", "county"]), pandas_hier.Hierarchy(("state", "county")))
>>> t["county"]
           state county  state_idx  n_rows
county_idx
0             CA  Kings          0       1
1             NY   Erie          1       1
2             NY  Kings          1       1
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pandas_hier import _codes, schema
from pandas_hier.design import Design, ModelData, Scaling, level_coords
from pandas_hier.routes import resolve_parameterization
from pandas_hier.hierarchy import Hierarchy
from pandas_hier.options import FitOptions, varying_mask
from pandas_hier.stats import LeafStats, check_float64

__all__ = ["design_from_summary", "leaf_codes", "tables_from_summary"]


def leaf_codes(summary, hier: Hierarchy) -> list[tuple[np.ndarray, int]]:
    """Per level, the code of each leaf of the summary's path, with the level's group count."""
    return _codes.path_codes(summary.labels, list(hier.levels))


def tables_from_summary(summary, hier: Hierarchy) -> dict:
    """The lookup tables :func:`pandas_hier.tables` gives for the rows of ``summary``."""
    paths = leaf_codes(summary, hier)
    labels = summary.labels.reset_index(drop=True)
    out = {}
    for depth, level in enumerate(hier.levels):
        codes, size = paths[depth]
        first = _codes.first_rows(codes, size)
        table = labels[list(hier.levels[: depth + 1])].iloc[first]
        table = table.set_axis(pd.RangeIndex(size, name=hier.code_columns[depth]), axis=0)
        table.attrs = {}
        if depth:
            parent_codes, parent_size = paths[depth - 1]
            table[hier.code_columns[depth - 1]] = parent_codes[first].astype(_codes.code_dtype(parent_size))
        table["n_rows"] = np.bincount(codes, summary.n, minlength=size).astype(np.int64)
        out[level] = table
    schema.validate_tables(out, hier.levels, hier.suffix)
    return out


def _moments(summary) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Total rows, column means and population sds (in the summary's units)."""
    n = summary.n.astype(np.float64)
    total = n.sum()
    centre = (n[:, None] * summary.mean).sum(axis=0) / total
    between = summary.mean - centre
    var = (np.einsum("gii->i", summary.comoment) + np.einsum("g,gi->i", n, between**2)) / total
    return total, centre, np.sqrt(np.maximum(var, 0.0))


def design_from_summary(summary, hier: Hierarchy, xs: list, y, opts: FitOptions) -> Design:
    """The :class:`~pandas_hier.design.Design` of a Gaussian fit from the merged summary of the
    columns ``[*xs, y]``: no training rows (``training`` is None), ``n_rows`` counted.

    Examples
    --------
    >>> import pandas as pd
    >>> from pandas_hier.dask_frame.build import design_from_summary
    >>> from pandas_hier.dask_frame.summary import summarize
    >>> from pandas_hier.options import FitOptions
    >>> df = pandas_hier.datasets.load_salary()
    >>> levels = ["degree", "state", "county"]
    >>> s = summarize(df, levels, ["month", "salary"])
    >>> design = design_from_summary(s, pandas_hier.Hierarchy(tuple(levels)), ["month"], "salary", FitOptions())
    >>> design.data.sizes, design.n_rows, design.training is None
    ((2, 10, 100), 2000, True)
    """
    if summary.n.sum() == 0:
        raise ValueError("no rows to fit")
    scale = summary.scale
    total, centre, sd = _moments(summary)
    const = [c for c, s in zip([*xs, y], sd, strict=True) if not s > 0]
    if const:
        raise ValueError(f"constant columns cannot be standardised or fitted: {const!r}")
    mean_raw, sd_raw = centre * scale, sd * scale
    p = len(xs)
    if opts.standardize:
        scaling = Scaling(tuple(map(float, mean_raw[:p])), tuple(map(float, sd_raw[:p])),
                          float(mean_raw[p]), float(sd_raw[p]))  # fmt: skip
        shift, unit = centre, sd
    else:
        scaling = Scaling(tuple(np.zeros(p)), tuple(np.ones(p)), 0.0, 1.0)
        shift, unit = np.zeros(p + 1), 1.0 / scale
    n = summary.n.astype(np.float64)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        a = (summary.mean - shift) / unit
        com = summary.comoment / np.outer(unit, unit)
        ssq = np.einsum("gii->i", com) + np.einsum("g,gi->i", n, a**2)
    check_float64(np.sqrt(ssq[:p])[None, :], np.sqrt(ssq[p:]), xs, y, opts.standardize)
    G, d = len(n), p + 1
    xtx = np.empty((G, d, d))
    xtx[:, 0, 0] = n
    xtx[:, 0, 1:] = xtx[:, 1:, 0] = n[:, None] * a[:, :p]
    xtx[:, 1:, 1:] = com[:, :p, :p] + np.einsum("g,gi,gj->gij", n, a[:, :p], a[:, :p])
    xty = np.column_stack([n * a[:, p], com[:, :p, p] + n[:, None] * a[:, :p] * a[:, p:]])
    yty = com[:, p, p] + n * a[:, p] ** 2

    tabs = tables_from_summary(summary, hier)
    sizes = tuple(len(tabs[lv]) for lv in hier.levels)
    parents = (np.zeros(sizes[0], np.int64),) + tuple(
        tabs[hier.levels[i]][hier.code_columns[i - 1]].to_numpy(np.int64) for i in range(1, len(sizes))
    )
    dim_coords, extra_coords = level_coords(hier, tabs)
    coefs = ("intercept", *map(str, xs))
    if opts.standardize:
        coef_scale, y_scale = np.ones(d), 1.0
    else:  # default priors scaled to the data, as the pandas path scales them
        coef_scale = np.r_[abs(mean_raw[p]) + sd_raw[p], sd_raw[p] / sd_raw[:p]]
        y_scale = float(sd_raw[p])
    data = ModelData(
        X=np.zeros((0, d)), y=np.zeros(0), leaf=np.zeros(0, np.int64), parents=parents,
        sizes=sizes, levels=tuple(map(str, hier.levels)), coefs=coefs,
        coords={**dim_coords, "coef": list(coefs), "predictor": list(coefs[1:])},
        coef_scale=coef_scale, y_scale=y_scale, stats=LeafStats(n, xtx, xty, yty),
    )  # fmt: skip
    varying = varying_mask(opts, hier.levels, coefs)
    rows = [tabs[lv]["n_rows"].to_numpy() for lv in hier.levels]
    return Design(
        data, varying, resolve_parameterization(opts, rows, varying=varying), opts, hier, tabs, scaling,
        extra_coords, tuple(xs), int(total), None,
    )  # fmt: skip
