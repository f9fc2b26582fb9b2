"""Element checks of numeric columns, for the pandera schemas of :mod:`pandas_hier.schema`:
real numbers, finite values, and what a likelihood needs of its response, trials and exposures."""

from __future__ import annotations

from collections.abc import Hashable

import numpy as np
import pandas as pd
import pandera.pandas as pa

__all__ = ["_as_float", "_at_most", "_finite", "_numeric", "_numeric_or_bool", "_whole"]


def _finite(series: pd.Series) -> pd.Series | bool:
    if not _numeric(series):
        return True  # reported by the numeric check
    return pd.Series(np.isfinite(np.asarray(series, dtype=np.float64)), index=series.index) | series.isna()


def _numeric(series: pd.Series) -> bool:
    """Real numbers: numeric, and neither bool nor complex (a complex column would be cast to
    its real part with no more than numpy's warning)."""
    dtype = series.dtype
    return (
        pd.api.types.is_numeric_dtype(dtype)
        and not pd.api.types.is_bool_dtype(dtype)
        and not pd.api.types.is_complex_dtype(dtype)
    )


def _numeric_or_bool(series: pd.Series) -> bool:
    return _numeric(series) or pd.api.types.is_bool_dtype(series.dtype)

def _as_float(series: pd.Series) -> pd.Series:
    """A numeric or bool column as float; anything else as NaN (reported by the numeric check)."""
    if not _numeric_or_bool(series):
        return pd.Series(np.nan, index=series.index)
    return series.astype(np.float64)


def _whole(name: str) -> pa.Check:
    def whole(s: pd.Series) -> pd.Series:
        v = _as_float(s)
        return (v == np.floor(v)) | ~np.isfinite(v)

    return pa.Check(whole, name=name)


def _at_most(frame: pd.DataFrame, y: Hashable, trials: Hashable) -> pd.Series | bool:
    if y not in frame.columns or trials not in frame.columns:
        return True
    a, b = _as_float(frame[y]), _as_float(frame[trials])
    return (a <= b) | a.isna() | b.isna()
