"""Tests of pandas_hier.schema: the pandera schemas of input frames and lookup tables."""

from __future__ import annotations

import pandas as pd
import pytest
from helpers import LEVELS, encoding_frame

import pandas_hier
from pandas_hier import HierValidationError


@pytest.fixture
def df() -> pd.DataFrame:
    """The six-row frame of the encoding tests (not the salary frame of conftest.py)."""
    return encoding_frame()


def test_unhashable_labels_are_reported_with_rows():
    df = pd.DataFrame({"g": pd.Series([["a"], "b", {"c": 1}], dtype=object)})
    with pytest.raises(HierValidationError, match="unhashable labels") as info:
        df.hier.encode(["g"])
    assert sorted(info.value.failure_cases["index"]) == [0, 2]


def test_lookup_table_schema_catches_tampering(df):
    tabs = df.hier.encode(LEVELS).hier.tables()
    tabs["county"].loc[0, "state_idx"] = 42
    tabs["state"].loc[1, "n_rows"] = 0
    with pytest.raises(HierValidationError) as info:
        pandas_hier.schema.validate_tables(tabs, LEVELS)
    cases = info.value.failure_cases
    assert set(zip(cases["table"], cases["check"], strict=True)) == {
        ("county", "parent_code_exists"),
        ("state", "greater_than_or_equal_to(1)"),
    }


def test_public_schemas_work_in_a_plain_pandera_pipeline(df):
    import pandera.pandas as pa

    schema = pandas_hier.schema.encoded_schema(LEVELS)
    enc = df.hier.encode(LEVELS)
    assert schema.validate(enc) is not None
    with pytest.raises(pa.errors.SchemaErrors):
        schema.validate(enc.assign(county_idx=0), lazy=True)
