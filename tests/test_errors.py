"""Tests of pandas_hier.errors: warnings are attributed to the caller's line."""

from __future__ import annotations

import warnings

import pytest
from helpers import LEVELS

import pandas_hier
from pandas_hier import DroppedRowsWarning

pytest.importorskip("pymc")


@pytest.mark.parametrize("call", ["accessor", "function"])
def test_warnings_point_at_the_callers_line(df, mock_sampler, call):
    """However deep in the library a warning arises, it names the user's own line."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        if call == "accessor":
            df.assign(salary=df["salary"].where(df.index != 3)).hier.fit(
                "month", "salary", levels=LEVELS, draws=20, chains=2, sampler="pymc",
                progressbar=False, dropna=True)  # fmt: skip
        else:
            pandas_hier.fit(df, "month", "salary", levels=LEVELS, draws=20, chains=2,
                            sampler="pymc", progressbar=False)  # fmt: skip
    ours = [w for w in seen if issubclass(w.category, (pandas_hier.HierSamplingWarning, DroppedRowsWarning))]
    assert ours and {w.filename for w in ours} == {__file__}, [(w.category, w.filename) for w in ours]
