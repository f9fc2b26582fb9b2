"""One partition summarised, and summaries merged: the one pass of the Dask path (numpy/pandas only).

A :class:`Summary` holds, per leaf path present in some rows, the path's labels, its row count
and, for value columns (predictors and response), the means and the centred sums of cross
products. Partitions are summarised independently (:func:`summarize`) and merged in any order
and grouping (:func:`merge`, Chan, Golub and LeVeque's pairwise update), so the statistics are
centred per leaf and safe for columns with a large offset (``1e9 + noise``). Each column is held
in units of a power of two (its largest magnitude rounded up), so that values near the float64
limit neither overflow when squared nor lose a bit when rescaled.

Leaves are ordered by sorted label path, as :func:`pandas_hier._codes.path_codes` orders them
on a whole frame: the position of a leaf in a merged summary is its code.

Examples
--------
>>> import pandas as pd
>>> from pandas_hier.dask_frame.summary import merge, summarize
>>> a = pd.DataFrame({"g": ["b", "a"], "x": [1.0, 2.0]})
>>> b = pd.DataFrame({"g": ["b"], "x": [3.0]}, index=[2])
>>> s = merge([summarize(a, ["g"], ["x"]), summarize(b, ["g"], ["x"])])
>>> s.labels["g"].tolist(), s.n.tolist(), (s.mean[:, 0] * s.scale[0]).tolist()
(['a', 'b'], [1, 2], [2.0, 2.0])
>>> (s.comoment[:, 0, 0] * s.scale[0] ** 2).tolist()  # centred sums of squares per leaf
[0.0, 2.0]
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
import pandera.pandas as pa
from numba import njit
from pandas.api.types import is_bool_dtype, is_numeric_dtype

from pandas_hier import _codes

__all__ = ["Summary", "merge", "summarize"]

#: Failure cases kept per partition and (column, check): a column of the wrong type on a
#: billion rows must not bring a billion failure rows to the client.
MAX_CASES = 1000


@dataclass(frozen=True)
class Summary:
    """Per-leaf counts and centred moments of some rows (see the module docstring).

    Attributes
    ----------
    labels : pandas.DataFrame
        One row per leaf path, level columns only, in sorted path order; the index holds the
        label of the first row of each path.
    n : ndarray of int64 (G,)
    mean : ndarray (G, k)
        Per leaf, the means of the ``k`` value columns, in units of ``scale``.
    comoment : ndarray (G, k, k)
        Per leaf, ``sum((z - mean)(z - mean)')``, in units of ``scale_i * scale_j``.
    scale : ndarray (k,)
        Powers of two.
    n_rows : int
        Rows read, including dropped ones.
    dropped : int
        Rows dropped for a missing value (``dropna=True``).
    dropped_columns : tuple
        Columns in which those rows had a missing value.
    failures : pandas.DataFrame or None
        pandera failure cases of rows that broke the schema (then the moments are empty).
    """

    labels: pd.DataFrame
    n: np.ndarray
    mean: np.ndarray
    comoment: np.ndarray
    scale: np.ndarray
    n_rows: int = 0
    dropped: int = 0
    dropped_columns: tuple = ()
    failures: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def n_leaves(self) -> int:
        """Number of leaf paths."""
        return len(self.n)


def _empty(labels: pd.DataFrame, k: int, **kw) -> Summary:
    return Summary(
        labels.iloc[:0], np.zeros(0, np.int64), np.zeros((0, k)), np.zeros((0, k, k)), np.ones(k),
        **kw,
    )  # fmt: skip


def _pow2(maxabs: np.ndarray) -> np.ndarray:
    """The smallest power of two at or above each magnitude (1 for 0)."""
    _, exp = np.frexp(np.where(maxabs > 0, maxabs, 1.0))
    return np.ldexp(1.0, np.where(maxabs > 0, exp, 0))


def _numeric(part: pd.DataFrame, values: Sequence[Hashable]) -> bool:
    """Value columns of a real (or bool) dtype: checked on dtypes, at no cost per row."""
    for col in values:
        dtype = part[col].dtype
        if not (is_numeric_dtype(dtype) or is_bool_dtype(dtype)) or dtype.kind == "c":
            return False
    return True


@njit(cache=True, nogil=True)
def _leaf_moments(leaf, z, inv_scale, n_leaves):
    """Per leaf: row count, first row, means and centred co-moments of ``z * inv_scale``."""
    n_rows, k = z.shape
    n = np.zeros(n_leaves, np.int64)
    first = np.full(n_leaves, -1, np.int64)
    mean = np.zeros((n_leaves, k))
    for r in range(n_rows):
        g = leaf[r]
        if first[g] < 0:
            first[g] = r
        n[g] += 1
        for i in range(k):
            mean[g, i] += z[r, i] * inv_scale[i]
    for g in range(n_leaves):
        for i in range(k):
            mean[g, i] /= max(n[g], 1)
    com = np.zeros((n_leaves, k, k))
    dev = np.empty(k)
    for r in range(n_rows):
        g = leaf[r]
        for i in range(k):
            dev[i] = z[r, i] * inv_scale[i] - mean[g, i]
        for i in range(k):
            for j in range(i + 1):
                com[g, i, j] += dev[i] * dev[j]
    for i in range(k):
        for j in range(i):
            com[:, j, i] = com[:, i, j]
    return n, first, mean, com


def _failures(schema: pa.DataFrameSchema, part: pd.DataFrame) -> pd.DataFrame | None:
    try:
        schema.validate(part, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = err.failure_cases
        return cases.groupby(["column", "check"], sort=False, dropna=False).head(MAX_CASES)
    return None


def summarize(
    part: pd.DataFrame,
    levels: Sequence[Hashable],
    values: Sequence[Hashable] = (),
    *,
    dropna: bool = False,
    schema: Callable[[], pa.DataFrameSchema] | None = None,
) -> Summary:
    """Summarise the rows of one partition.

    Parameters
    ----------
    part : pandas.DataFrame
        The rows (never modified).
    levels : sequence of hashable
        Level columns, top first.
    values : sequence of hashable
        Value columns (predictors, then the response); none for encoding alone.
    dropna : bool
        Drop rows with a missing level or value (counted in ``dropped``); otherwise they fail.
    schema : callable, optional
        Builds the pandera schema run on the partition when a cheap check fails (missing
        values, non-numeric or infinite values, unhashable labels), so that ``failures`` lists
        every problem of the partition. Default: :func:`pandas_hier.schema.input_schema`.

    Returns
    -------
    Summary

    Examples
    --------
    >>> import pandas as pd
    >>> from pandas_hier.dask_frame.summary import summarize
    >>> from pandas_hier.schema import model_schema
    >>> part = pd.DataFrame({"g": ["a", None, "a"], "x": [1.0, 2.0, float("inf")], "y": 0.0})
    >>> s = summarize(part, ["g"], ["x", "y"], schema=lambda: model_schema(["g"], ["x"], "y", "real"))
    >>> print(s.failures[["column", "check", "index"]].to_string(index=False))
    column        check  index
         g not_nullable      1
         x       finite      2
    """
    from pandas_hier import schema as schemas

    levels, values = list(levels), list(values)
    k = len(values)
    cols = [*levels, *dict.fromkeys(values)]
    build_schema = schema or (lambda: schemas.input_schema(levels))
    absent = [c for c in cols if c not in part.columns]
    n_rows = len(part)
    if absent:
        return _empty(part.iloc[:0, :0], k, n_rows=n_rows, failures=_failures(build_schema(), part))
    work = part[cols]
    dropped, dropped_cols = 0, ()
    missing = work.isna().to_numpy().any(axis=1)
    if missing.any() and dropna:
        dropped = int(missing.sum())
        dropped_cols = tuple(c for c in cols if work[c].isna().any())
        work = work.loc[~missing]
    labels = work[levels]
    ok = (dropna or not missing.any()) and _numeric(work, values)
    z = work[values].to_numpy(np.float64) if ok else None
    maxabs = np.max(np.abs(z), axis=0) if ok and len(z) and k else np.zeros(k)
    ok = ok and bool(np.isfinite(maxabs).all())
    try:
        paths = _codes.path_codes(labels, levels) if ok else None
    except TypeError:  # unhashable labels
        paths = None
    if paths is None:
        cases = _failures(build_schema(), work)
        if cases is None:  # the cheap checks are stricter than the schema in no case we know
            raise AssertionError(f"a partition failed a cheap check but passed {build_schema()!r}")
        return _empty(labels, k, n_rows=n_rows, failures=cases)
    leaf, n_leaves = paths[-1]
    scale = _pow2(maxabs)
    n, first, mean, com = _leaf_moments(leaf, np.ascontiguousarray(z), 1.0 / scale, n_leaves)
    out_labels = labels.iloc[first]
    out_labels.attrs = {}
    return Summary(out_labels, n, mean, com, scale, n_rows, dropped, dropped_cols)


def merge(summaries: Sequence[Summary]) -> Summary:
    """Merge summaries of disjoint rows into one, leaves in sorted path order.

    Examples
    --------
    >>> import pandas as pd
    >>> from pandas_hier.dask_frame.summary import merge, summarize
    >>> parts = [pd.DataFrame({"a": ["y", "x"]}), pd.DataFrame({"a": ["x"]}, index=[2])]
    >>> s = merge([summarize(p, ["a"]) for p in parts])
    >>> s.labels, s.n.tolist()
    (   a
    1  x
    0  y, [2, 1])
    """
    summaries = list(summaries)
    failures = [s.failures for s in summaries if s.failures is not None]
    dropped_cols = dict.fromkeys(c for s in summaries for c in s.dropped_columns)
    kw = {
        "n_rows": sum(s.n_rows for s in summaries),
        "dropped": sum(s.dropped for s in summaries),
        "dropped_columns": tuple(dropped_cols),
        "failures": pd.concat(failures, ignore_index=True) if failures else None,
    }
    good = [s for s in summaries if s.failures is None and len(s.labels.columns)]
    k = summaries[0].mean.shape[1]
    if failures or not good:
        labels = good[0].labels if good else summaries[0].labels
        return _empty(labels, k, **kw)
    levels = list(good[0].labels.columns)
    labels = pd.concat([s.labels for s in good])
    scale = np.max([s.scale for s in good], axis=0)
    n_i = np.concatenate([s.n for s in good])
    mean_i = np.concatenate([s.mean * (s.scale / scale) for s in good])
    com_i = np.concatenate([s.comoment * np.outer(s.scale / scale, s.scale / scale) for s in good])
    if not len(labels):
        return _empty(labels, k, **kw)
    g, n_leaves = _codes.path_codes(labels, levels)[-1]
    n = np.bincount(g, n_i, minlength=n_leaves).astype(np.int64)
    mean = np.empty((n_leaves, k))
    for i in range(k):
        mean[:, i] = np.bincount(g, n_i * mean_i[:, i], minlength=n_leaves) / np.maximum(n, 1)
    delta = mean_i - mean[g]
    com = np.empty((n_leaves, k, k))
    for i in range(k):
        for j in range(i, k):
            terms = com_i[:, i, j] + n_i * delta[:, i] * delta[:, j]
            com[:, i, j] = com[:, j, i] = np.bincount(g, terms, minlength=n_leaves)
    return Summary(labels.iloc[_codes.first_rows(g, n_leaves)], n, mean, com, scale, **kw)
