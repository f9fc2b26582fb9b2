"""pandas-hier: nested hierarchical regression from pandas.

``import pandas_hier`` registers the ``df.hier`` accessor on every pandas DataFrame. Importing it
does not import PyMC: the modelling stack loads only when a model is built.

Examples
--------
>>> import pandas as pd
>>> import pandas_hier
>>> df = pd.DataFrame({"state": ["NY", "NY", "CA"], "county": ["Kings", "Erie", "Kings"]})
>>> enc = df.hier.encode(["state", "county"])
>>> enc["county_idx"].tolist()
[2, 1, 0]
"""

from pandas_hier import _dask_hook
from pandas_hier import accessor as _accessor  # noqa: F401  (registers df.hier)
from pandas_hier import datasets
from pandas_hier.encoding import Hierarchy, decode, encode, hierarchy_of, tables, validate
from pandas_hier.errors import (
    ColumnNotFoundError,
    ConvergenceWarning,
    DivergenceWarning,
    DroppedRowsWarning,
    HierError,
    HierFileError,
    HierSamplingWarning,
    HierValidationError,
    InvalidParameterError,
    LevelsNotRecordedError,
    NotEncodedError,
    SamplerNotInstalledError,
    StuckChainWarning,
    TreeDepthWarning,
)
from pandas_hier.fitting import HierFit, fit
from pandas_hier.loading import load
from pandas_hier.options import Prior

_dask_hook.install()  # ddf.hier once dask.dataframe is imported; Dask is not imported here

__version__ = "0.1.0"

__all__ = [
    "ColumnNotFoundError",
    "ConvergenceWarning",
    "DivergenceWarning",
    "DroppedRowsWarning",
    "HierError",
    "HierFileError",
    "HierFit",
    "HierSamplingWarning",
    "HierValidationError",
    "Hierarchy",
    "InvalidParameterError",
    "LevelsNotRecordedError",
    "NotEncodedError",
    "Prior",
    "SamplerNotInstalledError",
    "StuckChainWarning",
    "TreeDepthWarning",
    "__version__",
    "datasets",
    "decode",
    "encode",
    "fit",
    "hierarchy_of",
    "load",
    "tables",
    "validate",
]
