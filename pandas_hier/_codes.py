"""Vectorised label -> path-code arithmetic shared by ``schema`` and ``encoding``.

Pure numpy/pandas, no validation: callers guarantee the level columns exist and hold no missing
values. Nothing here loops over rows or groups in Python.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import pandas as pd

# Path keys whose range is at most this many times the row count (or below _DENSE_MIN) are compacted
# with a bincount, which is several times faster than hashing; wider keys fall back to factorize.
_DENSE_FACTOR = 4
_DENSE_MIN = 1 << 20


def _mixed_sort_key(value: object) -> tuple:
    # Labels of different types in one object column (1 and "1") cannot be compared directly;
    # order them by type first, then by value, then by repr as a last resort.
    return (type(value).__module__, type(value).__qualname__, value)


def label_codes(values: pd.Series) -> np.ndarray:
    """Integer codes of one level column, increasing with the label's sort order.

    Categorical columns follow their category order (unused categories leave gaps, which the
    path step removes); other columns follow sorted label order. Codes need not be contiguous.
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        return np.asarray(values.cat.codes, dtype=np.int64)
    try:
        codes, _ = pd.factorize(values, sort=True)
        return np.asarray(codes, dtype=np.int64)
    except TypeError:
        pass
    codes, uniques = pd.factorize(values, sort=False)
    objs = list(uniques)
    try:
        order = sorted(range(len(objs)), key=lambda i: _mixed_sort_key(objs[i]))
    except TypeError:
        order = sorted(range(len(objs)), key=lambda i: (_mixed_sort_key(objs[i])[:2], repr(objs[i])))
    rank = np.empty(len(objs), dtype=np.int64)
    rank[np.asarray(order, dtype=np.int64)] = np.arange(len(objs), dtype=np.int64)
    return rank[np.asarray(codes, dtype=np.int64)]


def compact(keys: np.ndarray) -> tuple[np.ndarray, int]:
    """Map non-negative int64 keys to contiguous codes 0..k-1 preserving their order."""
    n = keys.shape[0]
    if n == 0:
        return np.zeros(0, dtype=np.int64), 0
    span = int(keys.max()) + 1
    if span <= max(_DENSE_FACTOR * n, _DENSE_MIN):
        used = np.bincount(keys, minlength=span) > 0
        remap = np.cumsum(used, dtype=np.int64) - 1
        return remap[keys], int(remap[-1]) + 1
    codes, uniques = pd.factorize(keys, sort=True)
    return np.asarray(codes, dtype=np.int64), len(uniques)


def code_dtype(n_groups: int) -> np.dtype:
    """Smallest of int32/int64 that holds codes up to ``n_groups``."""
    return np.dtype(np.int32) if n_groups < np.iinfo(np.int32).max else np.dtype(np.int64)


def path_codes(frame: pd.DataFrame, levels: Sequence[Hashable]) -> list[tuple[np.ndarray, int]]:
    """Codes of every level path, in level order, each with its number of groups.

    The code at level ``l`` identifies the labels of levels ``0..l`` together; codes are contiguous
    from 0 and ordered by sorted label path, so they do not depend on row order.
    """
    out: list[tuple[np.ndarray, int]] = []
    parent: np.ndarray | None = None
    for level in levels:
        labels = label_codes(frame[level])
        if parent is None:
            keys = labels
        else:
            width = int(labels.max()) + 1 if labels.size else 1
            keys = parent * width + labels
        codes, n_groups = compact(keys)
        out.append((codes, n_groups))
        parent = codes
    return out


def first_rows(codes: np.ndarray, n_groups: int) -> np.ndarray:
    """Position of the first row of each group 0..n_groups-1 (codes must be contiguous)."""
    first = ~pd.Series(codes).duplicated(keep="first").to_numpy()
    pos = np.flatnonzero(first)
    out = np.empty(n_groups, dtype=np.int64)
    out[codes[pos]] = pos
    return out
