"""Exception and warning classes of pandas-hier.

Every error names the level or column it is about and, where rows are at fault, carries them as a
DataFrame in ``failure_cases`` so that a notebook user can look at them directly.

Examples
--------
>>> import pandas as pd
>>> import pandas_hier
>>> df = pd.DataFrame({"state": ["NY", None], "county": ["Kings", "Erie"]})
>>> try:
...     df.hier.encode(["state", "county"])
... except pandas_hier.HierValidationError as err:
...     print(err.failure_cases[["column", "check", "index"]].to_string(index=False))
column      check  index
 state not_nullable      1
"""

from __future__ import annotations

import os
import warnings

import pandas as pd

__all__ = [
    "ColumnNotFoundError",
    "ConvergenceWarning",
    "DivergenceWarning",
    "DroppedRowsWarning",
    "HierError",
    "HierFileError",
    "HierSamplingWarning",
    "HierValidationError",
    "InvalidParameterError",
    "LevelsNotRecordedError",
    "NotEncodedError",
    "SamplerNotInstalledError",
    "StuckChainWarning",
    "TreeDepthWarning",
]


class HierError(Exception):
    """Base class of every exception raised by pandas-hier."""


class HierValidationError(HierError, ValueError):
    """Data failed one or more checks; every failure is reported at once.

    Parameters
    ----------
    message : str
        Human-readable summary naming each failing column or level.
    failure_cases : pandas.DataFrame
        One row per failure with at least the columns ``column`` (the column or level at fault),
        ``check`` (the rule that failed), ``index`` (the row label in the checked frame, or
        missing for frame-wide failures) and ``failure_case`` (the offending value).

    Examples
    --------
    >>> import pandas as pd
    >>> import pandas_hier
    >>> df = pd.DataFrame({"state": ["NY"]})
    >>> try:
    ...     df.hier.encode(["state", "county"])
    ... except pandas_hier.HierValidationError as err:
    ...     print(err.failure_cases["failure_case"].tolist())
    ['county']
    """

    def __init__(self, message: str, failure_cases: pd.DataFrame | None = None) -> None:
        super().__init__(message)
        if failure_cases is None:
            failure_cases = pd.DataFrame(columns=["column", "check", "index", "failure_case"])
        self.failure_cases = failure_cases

    @property
    def columns(self) -> list:
        """The distinct columns or levels named in ``failure_cases``, in order of appearance."""
        return list(pd.unique(self.failure_cases["column"].dropna()))


class InvalidParameterError(HierError, ValueError, TypeError):
    """An argument breaks its declared constraints (wrong type, out of range, not one of the
    choices); the message names the function, the argument, the value and what would be valid,
    with a close match for a misspelt choice. Both a ValueError and a TypeError.

    Examples
    --------
    >>> import pandas_hier
    >>> issubclass(pandas_hier.InvalidParameterError, ValueError)
    True
    """


class ColumnNotFoundError(InvalidParameterError, KeyError):
    """A column argument names a column that is not in the frame; also a KeyError."""

    def __str__(self) -> str:  # KeyError would repr() the message
        return str(self.args[0]) if self.args else ""


class HierFileError(HierError, OSError):
    """A file is not a loadable pandas-hier fit: truncated, foreign, or of a newer format.

    The message names the file and the problem.

    Examples
    --------
    >>> import pandas_hier
    >>> try:
    ...     pandas_hier.load("no-such-file.hier")
    ... except pandas_hier.HierFileError as err:
    ...     print(err)
    no-such-file.hier: no such file
    """


class LevelsNotRecordedError(HierError, KeyError):
    """The frame does not record its hierarchy levels and none were passed.

    ``encode`` stores its levels in ``DataFrame.attrs``; pandas operations such as ``merge`` or
    ``concat`` of differently-encoded frames can drop that record. Pass ``levels=`` explicitly.
    """

    def __str__(self) -> str:  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


class NotEncodedError(HierError, KeyError):
    """An operation needs the integer code columns that ``encode`` adds, and they are absent."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


class DroppedRowsWarning(UserWarning):
    """Rows were dropped on the caller's request (for example ``dropna=True``); the count is stated."""


class HierSamplingWarning(UserWarning):
    """Base class of the warnings issued after sampling; each says what to try.

    Examples
    --------
    Turning them into errors (skipped as a doctest: a real fit runs in
    :func:`pandas_hier.fit`'s example):

    >>> import warnings
    >>> import pandas_hier
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("error", pandas_hier.HierSamplingWarning)  # fail on bad fits
    ...     fit = df.hier.fit("month", "salary")  # doctest: +SKIP
    """


class DivergenceWarning(HierSamplingWarning):
    """Some post-warm-up transitions diverged; the message names the level they concentrate at."""


class ConvergenceWarning(HierSamplingWarning):
    """r_hat above 1.01 or bulk/tail ESS below 100 per chain for some parameters."""


class StuckChainWarning(HierSamplingWarning):
    """A chain stopped moving: its step size collapsed or it kept hitting the maximum tree depth.

    The message names the chain, the parameter it is stuck on and what to do. The fit's draws
    include the stuck chain, so its r_hat is large too; ``fit.diagnostics.stuck_chains`` lists
    the chains.
    """


class TreeDepthWarning(HierSamplingWarning):
    """Most draws of the chains hit NUTS's maximum tree depth: sampling was slow and may not have
    explored the posterior; the message says what to try."""


class SamplerNotInstalledError(HierError, ImportError):
    """The requested sampler's package is missing; the message names the extra to install."""


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__)) + os.sep


def warn(message: str, category: type[Warning]) -> None:
    """Issue a warning attributed to the caller's own line: the first frame outside pandas-hier
    (however deep inside the package the warning arises, and whether the caller used
    ``df.hier.fit`` or ``pandas_hier.fit``)."""
    warnings.warn(message, category, skip_file_prefixes=(_PACKAGE_DIR,))
