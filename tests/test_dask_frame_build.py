"""A merged summary gives the pandas path's Design: scaling, statistics, tables, coordinates."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import pandas_hier
from pandas_hier.dask_frame.build import design_from_summary, tables_from_summary
from pandas_hier.dask_frame.summary import merge, summarize
from pandas_hier.design import prepare
from pandas_hier.options import FitOptions

LEVELS = ["degree", "state", "county"]
HIER = pandas_hier.Hierarchy(tuple(LEVELS))


def _both(df, xs, opts):
    parts = np.array_split(np.arange(len(df)), 5)
    s = merge([summarize(df.iloc[p], LEVELS, [*xs, "salary"]) for p in parts])
    return prepare(df, xs, "salary", levels=LEVELS, dropna=False, options=opts), design_from_summary(
        s, HIER, xs, "salary", opts
    )


@pytest.mark.parametrize("standardize", [True, False])
@pytest.mark.parametrize("offset", [0.0, 1e6])
def test_design_equals_the_pandas_design(standardize, offset):
    df = pandas_hier.datasets.load_salary().sample(frac=1, random_state=3)
    df = df.assign(salary=df["salary"] + offset, other=np.arange(len(df)) % 7 + offset)
    ref, got = _both(df, ["month", "other"], FitOptions(standardize=standardize))
    np.testing.assert_allclose(got.scaling.x_mean, ref.scaling.x_mean, rtol=1e-12)
    np.testing.assert_allclose(got.scaling.x_sd, ref.scaling.x_sd, rtol=1e-9)
    np.testing.assert_allclose([got.scaling.y_mean, got.scaling.y_sd],
                               [ref.scaling.y_mean, ref.scaling.y_sd], rtol=1e-9)  # fmt: skip
    for field in ("n", "xtx", "xty", "yty"):
        a, b = getattr(ref.data.stats, field), getattr(got.data.stats, field)
        np.testing.assert_allclose(b, a, rtol=1e-8, atol=1e-8 * np.abs(a).max())
    np.testing.assert_allclose(got.data.coef_scale, ref.data.coef_scale, rtol=1e-9)
    for lv in LEVELS:
        pd.testing.assert_frame_equal(got.tables[lv], ref.tables[lv])
        np.testing.assert_array_equal(got.data.coords[lv], ref.data.coords[lv])
    assert got.parameterization == ref.parameterization and got.n_rows == ref.n_rows
    assert all((a == b).all() for a, b in zip(got.data.parents, ref.data.parents, strict=True))


def test_constant_column_and_overflow_are_refused():
    df = pandas_hier.datasets.load_salary().assign(month=3.0)
    s = summarize(df, LEVELS, ["month", "salary"])
    with pytest.raises(ValueError, match="constant columns .*'month'"):
        design_from_summary(s, HIER, ["month"], "salary", FitOptions())
    big = pandas_hier.datasets.load_salary().assign(salary=lambda d: d["salary"] * 1e200)
    s = summarize(big, LEVELS, ["month", "salary"])
    with pytest.raises(ValueError, match="cannot be summed in float64"):
        design_from_summary(s, HIER, ["month"], "salary", FitOptions(standardize=False))
    design_from_summary(s, HIER, ["month"], "salary", FitOptions())  # standardised: fine


def test_tables_count_rows_across_partitions():
    df = pandas_hier.datasets.load_salary()
    s = merge([summarize(df.iloc[:700], LEVELS), summarize(df.iloc[700:], LEVELS)])
    got = tables_from_summary(s, HIER)
    for lv, table in pandas_hier.tables(df.hier.encode(LEVELS)).items():
        pd.testing.assert_frame_equal(got[lv], table)
