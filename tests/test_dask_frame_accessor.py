"""``ddf.hier`` is a stateless facade: signatures and docstrings derived from the functions."""

from __future__ import annotations

import inspect

import dask.dataframe as dd
import pandas as pd

import pandas_hier
from pandas_hier.dask_frame import api
from pandas_hier.dask_frame.accessor import DaskHierAccessor


def test_methods_mirror_the_functions():
    for name in ("encode", "tables", "fit"):
        method, func = getattr(DaskHierAccessor, name), getattr(api, name)
        assert list(inspect.signature(method).parameters)[1:] == list(inspect.signature(func).parameters)[1:]
        assert method.__doc__ == func.__doc__
    # fit takes exactly pandas_hier.fit's parameters and defaults
    ours = list(inspect.signature(api.fit).parameters.values())[1:]
    assert ours == list(inspect.signature(pandas_hier.fit).parameters.values())[1:]


def test_accessor_holds_only_the_frame():
    ddf = dd.from_pandas(pd.DataFrame({"a": ["x", "y"]}), npartitions=1)
    assert vars(ddf.hier).keys() == {"_obj"} and ddf.hier._obj is ddf
    assert ddf.hier.encode(["a"]).compute()["a_idx"].tolist() == [0, 1]
