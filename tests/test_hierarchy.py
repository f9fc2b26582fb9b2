"""Tests of pandas_hier.hierarchy: the levels recorded in DataFrame.attrs."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from helpers import LEVELS, encoding_frame

import pandas_hier
from pandas_hier import LevelsNotRecordedError


@pytest.fixture
def df() -> pd.DataFrame:
    """The six-row frame of the encoding tests (not the salary frame of conftest.py)."""
    return encoding_frame()


def test_levels_are_recorded_and_json_serialisable(df):
    enc = df.hier.encode(LEVELS)
    assert pandas_hier.hierarchy_of(enc).levels == tuple(LEVELS)
    json.dumps(enc.attrs)  # to_parquet serialises attrs as JSON; the record must survive that
    assert df.attrs == {}


def test_tables_need_levels_when_the_record_is_lost(df):
    enc = df.hier.encode(LEVELS)
    lost = enc.copy()
    lost.attrs = {}
    with pytest.raises(LevelsNotRecordedError, match=r"pass levels= explicitly"):
        lost.hier.tables()
    assert list(lost.hier.tables(levels=LEVELS)) == LEVELS
