"""Tests of pandas_hier.report: every problem in the data is reported at once."""

from __future__ import annotations

import pytest
from helpers import LEVELS

from pandas_hier import HierValidationError

pytest.importorskip("pymc")


def test_every_data_problem_is_reported_at_once(df):
    bad = df.assign(salary=df["salary"].astype(object))
    bad.loc[[1, 4], "salary"] = None
    bad.loc[2, "state"] = None
    with pytest.raises(HierValidationError) as info:
        bad.hier.fit(["month", "tenure"], "salary", levels=LEVELS, sampler="pymc")
    msg = str(info.value)
    assert "column 'tenure': column is not in the frame; check the spelling" in msg
    with pytest.raises(HierValidationError, match=r"column 'monht': column is not in the frame; check the spelling \(did you mean 'month'\?\)"):
        df.hier.fit("monht", "salary", levels=LEVELS)
    assert "column 'salary': missing values: 2 rows, e.g. rows 1, 4" in msg
    assert "column 'state': missing values: 1 rows, e.g. rows 2" in msg
