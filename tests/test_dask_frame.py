"""The package entry: importing it registers ``ddf.hier`` and exposes the three functions."""

from __future__ import annotations

import dask.dataframe as dd

import pandas_hier.dask_frame
from pandas_hier.dask_frame import api


def test_entry_registers_the_accessor_and_exports_the_functions():
    assert hasattr(dd.DataFrame, "hier")
    assert (pandas_hier.dask_frame.encode, pandas_hier.dask_frame.fit) == (api.encode, api.fit)
    assert pandas_hier.dask_frame.__all__ == ["decode", "encode", "fit", "tables", "validate"]
