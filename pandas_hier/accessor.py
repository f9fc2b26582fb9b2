"""The ``df.hier`` accessor: a thin, stateless facade over the public functions.

Each method is one call to a public function with the frame as its first argument; its
signature and docstring are derived from that function (:func:`pandas_hier._facade.facade`), so defaults are written
once. pandas builds a new accessor object on every ``df.hier`` access: it stores nothing but the
frame.

Examples
--------
>>> import inspect
>>> import pandas as pd
>>> import pandas_hier
>>> list(inspect.signature(pd.DataFrame.hier.encode).parameters)
['self', 'levels', 'suffix', 'dropna']
"""

from __future__ import annotations

import pandas as pd

from pandas_hier import encoding, fitting
from pandas_hier._facade import facade

__all__ = ["HierAccessor"]


@pd.api.extensions.register_dataframe_accessor("hier")
class HierAccessor:
    """Nested hierarchical regression tools on a DataFrame: ``df.hier.encode(...)`` and friends.

    ``df.hier.encode``, ``tables``, ``validate``, ``decode`` and ``fit`` are
    :func:`pandas_hier.encode`, :func:`~pandas_hier.tables`, :func:`~pandas_hier.validate`,
    :func:`~pandas_hier.decode` and :func:`~pandas_hier.fit` with the frame as first argument.

    Examples
    --------
    >>> import pandas as pd
    >>> import pandas_hier
    >>> df = pd.DataFrame({"state": ["NY", "CA"], "county": ["Kings", "Kings"]})
    >>> df.hier.encode(["state", "county"]).hier.tables()["county"]["n_rows"].tolist()
    [1, 1]
    """

    def __init__(self, pandas_obj: pd.DataFrame) -> None:
        self._obj = pandas_obj

    encode = facade(encoding.encode)
    tables = facade(encoding.tables)
    validate = facade(encoding.validate)
    decode = facade(encoding.decode)
    fit = facade(fitting.fit)
