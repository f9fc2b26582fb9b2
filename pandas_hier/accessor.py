"""The ``df.hier`` accessor: a thin, stateless facade over the public functions.

pandas builds a new accessor object on every ``df.hier`` access, so it stores nothing but the
frame; everything else comes from the frame (its columns and ``attrs``) or the arguments.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import pandas as pd

from pandas_hier import encoding
from pandas_hier import fitting as _fit


@pd.api.extensions.register_dataframe_accessor("hier")
class HierAccessor:
    """Nested hierarchical regression tools on a DataFrame: ``df.hier.encode(...)`` and friends.

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

    def encode(
        self,
        levels: Sequence[Hashable] | None = None,
        *,
        suffix: str | None = None,
        dropna: bool = False,
    ) -> pd.DataFrame:
        """Add integer code columns per level path; see :func:`pandas_hier.encode`.

        Examples
        --------
        >>> import pandas as pd
        >>> import pandas_hier
        >>> df = pd.DataFrame({"state": ["NY", "CA"], "county": ["Kings", "Kings"]})
        >>> df.hier.encode(["state", "county"])["county_idx"].tolist()
        [1, 0]
        """
        return encoding.encode(self._obj, levels, suffix=suffix, dropna=dropna)

    def tables(
        self, levels: Sequence[Hashable] | None = None, *, suffix: str | None = None
    ) -> dict[Hashable, pd.DataFrame]:
        """Lookup table per level; see :func:`pandas_hier.tables`.

        Examples
        --------
        >>> import pandas as pd
        >>> import pandas_hier
        >>> enc = pd.DataFrame({"a": ["x", "y"], "b": ["u", "v"]}).hier.encode(["a", "b"])
        >>> list(enc.hier.tables())
        ['a', 'b']
        """
        return encoding.tables(self._obj, levels, suffix=suffix)

    def validate(
        self, levels: Sequence[Hashable] | None = None, *, suffix: str | None = None
    ) -> pd.DataFrame:
        """Validate a raw or encoded frame; returns it for chaining. See :func:`pandas_hier.validate`.

        Examples
        --------
        >>> import pandas as pd
        >>> import pandas_hier
        >>> enc = pd.DataFrame({"a": ["x", "y"]}).hier.encode(["a"])
        >>> enc.hier.validate() is enc
        True
        """
        return encoding.validate(self._obj, levels, suffix=suffix)

    def decode(
        self,
        level: Hashable,
        codes,
        *,
        levels: Sequence[Hashable] | None = None,
        suffix: str | None = None,
    ) -> pd.DataFrame:
        """Path labels for codes of one level; see :func:`pandas_hier.decode`.

        Examples
        --------
        >>> import pandas as pd
        >>> import pandas_hier
        >>> enc = pd.DataFrame({"a": ["x", "y"]}).hier.encode(["a"])
        >>> enc.hier.decode("a", [1])["a"].tolist()
        ['y']
        """
        return encoding.decode(self._obj, level, codes, levels=levels, suffix=suffix)

    def fit(
        self,
        x: Hashable | Sequence[Hashable],
        y: Hashable,
        *,
        levels: Sequence[Hashable] | None = None,
        draws: int = 1000,
        tune: int = 1000,
        chains: int = 4,
        sampler: str = "nutpie",
        method: str = "nuts",
        iterations: int = 10_000,
        random_seed: int | None = None,
        progressbar: bool = True,
        dropna: bool = False,
        **options,
    ) -> _fit.HierFit:
        """Fit the nested hierarchical model; see :func:`pandas_hier.fit`.

        Examples
        --------
        >>> import pandas_hier
        >>> enc = pandas_hier.datasets.load_salary().hier.encode(["degree", "state", "county"])
        >>> fit = enc.hier.fit("month", "salary", draws=200, tune=200, chains=2,
        ...                    progressbar=False)  # doctest: +SKIP
        """
        return _fit.fit(
            self._obj, x, y, levels=levels, draws=draws, tune=tune, chains=chains,
            sampler=sampler, method=method, iterations=iterations, random_seed=random_seed,
            progressbar=progressbar, dropna=dropna, **options,
        )  # fmt: skip
