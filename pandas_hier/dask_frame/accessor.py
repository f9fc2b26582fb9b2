"""The ``ddf.hier`` accessor on Dask DataFrames: the same stateless facade as ``df.hier``.

``ddf.hier.encode``, ``tables``, ``validate``, ``decode`` and ``fit`` are one call each to
:mod:`pandas_hier.dask_frame.api`, with signatures and docstrings derived from those functions.

Examples
--------
>>> import inspect
>>> import dask.dataframe as dd
>>> import pandas_hier.dask_frame
>>> list(inspect.signature(dd.DataFrame.hier.encode).parameters)
['self', 'levels', 'suffix', 'dropna']
"""

from __future__ import annotations

from dask.dataframe.extensions import register_dataframe_accessor

from pandas_hier._facade import facade
from pandas_hier.dask_frame import api

__all__ = ["DaskHierAccessor"]


@register_dataframe_accessor("hier")
class DaskHierAccessor:
    """``ddf.hier``: :func:`~pandas_hier.dask_frame.encode`, :func:`~pandas_hier.dask_frame.tables`,
    :func:`~pandas_hier.dask_frame.validate`, :func:`~pandas_hier.dask_frame.decode` and
    :func:`~pandas_hier.dask_frame.fit` with the Dask frame as first argument.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import pandas_hier.dask_frame
    >>> pdf = pd.DataFrame({"state": ["NY", "CA"], "county": ["Kings", "Kings"]})
    >>> dd.from_pandas(pdf, npartitions=2).hier.encode(["state", "county"]).hier.tables()["state"]
              state  n_rows
    state_idx
    0            CA       1
    1            NY       1
    """

    def __init__(self, dask_obj) -> None:
        self._obj = dask_obj

    encode = facade(api.encode)
    tables = facade(api.tables)
    validate = facade(api.validate)
    decode = facade(api.decode)
    fit = facade(api.fit)
