"""pandas-hier on Dask DataFrames: ``ddf.hier.encode``, ``tables``, ``validate``, ``decode``, ``fit``.

Needs the ``dask`` extra (``pip install "pandas-hier[dask]"``). ``import pandas_hier`` does not
import Dask: the ``hier`` accessor is registered on Dask DataFrames as soon as
``dask.dataframe`` is imported, before or after ``pandas_hier``
(:mod:`pandas_hier._dask_hook`); ``import pandas_hier.dask_frame`` registers it explicitly.
The results equal the pandas path's on the same data: codes, lookup tables, standardisation and
per-leaf statistics (to floating-point tolerance), hence the fit. See ``docs/scale.md``.

Examples
--------
>>> import dask.dataframe as dd
>>> import pandas_hier
>>> pdf = pandas_hier.datasets.load_salary()
>>> ddf = dd.from_pandas(pdf, npartitions=4)
>>> levels = ["degree", "state", "county"]
>>> enc = ddf.hier.encode(levels).compute()
>>> enc["county_idx"].equals(pdf.hier.encode(levels)["county_idx"])
True
"""

from pandas_hier.dask_frame import accessor as _accessor  # noqa: F401  (registers ddf.hier)
from pandas_hier.dask_frame.api import decode, encode, fit, tables, validate

__all__ = ["decode", "encode", "fit", "tables", "validate"]
