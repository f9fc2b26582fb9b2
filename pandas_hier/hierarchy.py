"""The levels of a nested hierarchy (:class:`Hierarchy`) and where a frame records them.

``encode`` records its levels in ``DataFrame.attrs`` as a plain JSON-able dict (so that
``to_parquet`` keeps working); :func:`hierarchy_of` reads it back as the frozen
:class:`Hierarchy`.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import pandas as pd

from pandas_hier.errors import LevelsNotRecordedError

__all__ = ["ATTRS_KEY", "Hierarchy", "hierarchy_of"]

#: Key under which ``encode`` records its levels in ``DataFrame.attrs``. The record is a plain
#: JSON-able dict so that frames keep working with ``to_parquet`` (which serialises ``attrs``).
ATTRS_KEY = "pandas_hier"
_DEFAULT_SUFFIX = "_idx"


@dataclass(frozen=True)
class Hierarchy:
    """The levels of a nested hierarchy, top first, and the suffix of their code columns.

    Parameters
    ----------
    levels : tuple of hashable
        Level column names from the top of the tree (for example ``("degree", "state",
        "county")``); each level is nested in the one before it.
    suffix : str, default "_idx"
        Appended to a level's name to name its integer code column.

    Examples
    --------
    >>> from pandas_hier import Hierarchy
    >>> h = Hierarchy(("degree", "state", "county"))
    >>> h.code_columns
    ('degree_idx', 'state_idx', 'county_idx')
    >>> h.parent("county")
    'state'
    """

    levels: tuple[Hashable, ...]
    suffix: str = _DEFAULT_SUFFIX

    def __post_init__(self) -> None:
        levels = tuple(self.levels)
        object.__setattr__(self, "levels", levels)
        if not levels:
            raise ValueError("levels must name at least one column, e.g. ['state', 'county']")
        dupes = sorted({repr(x) for x in levels if levels.count(x) > 1})
        if dupes:
            raise ValueError(f"levels must be distinct; repeated: {', '.join(dupes)}")
        if not isinstance(self.suffix, str) or not self.suffix:
            raise ValueError(f"suffix must be a non-empty string, got {self.suffix!r}")

    @property
    def code_columns(self) -> tuple[str, ...]:
        """Names of the integer code columns, one per level, in level order."""
        return tuple(f"{level}{self.suffix}" for level in self.levels)

    def code_column(self, level: Hashable) -> str:
        """Name of the code column of ``level``."""
        return self.code_columns[self.position(level)]

    def position(self, level: Hashable) -> int:
        """Depth of ``level`` (0 for the top); raises ``KeyError`` listing the valid levels."""
        try:
            return self.levels.index(level)
        except ValueError:
            raise KeyError(
                f"unknown level {level!r}; the levels are {list(self.levels)!r}"
            ) from None

    def parent(self, level: Hashable) -> Hashable | None:
        """The level above ``level``, or ``None`` for the top level."""
        pos = self.position(level)
        return self.levels[pos - 1] if pos else None

    def to_attrs(self) -> dict:
        """The JSON-able record stored in ``DataFrame.attrs``."""
        return {"levels": list(self.levels), "suffix": self.suffix}

    @classmethod
    def from_attrs(cls, record: Mapping) -> Hierarchy:
        """Inverse of :meth:`to_attrs`."""
        return cls(tuple(record["levels"]), record.get("suffix", _DEFAULT_SUFFIX))


def hierarchy_of(
    df: pd.DataFrame, levels: Sequence[Hashable] | None = None, suffix: str | None = None
) -> Hierarchy:
    """The hierarchy a frame was encoded with, or the one given explicitly.

    Parameters
    ----------
    df : pandas.DataFrame
        A frame, usually the output of :func:`encode`.
    levels : sequence of hashable, optional
        Levels to use instead of the frame's record.
    suffix : str, optional
        Code-column suffix; defaults to the recorded one, else ``"_idx"``.

    Returns
    -------
    Hierarchy

    Raises
    ------
    LevelsNotRecordedError
        If ``levels`` is not given and the frame carries no record (for example after a pandas
        operation dropped ``attrs``).

    Examples
    --------
    >>> import pandas as pd
    >>> import pandas_hier
    >>> enc = pd.DataFrame({"a": ["x", "y"], "b": ["u", "v"]}).hier.encode(["a", "b"])
    >>> pandas_hier.hierarchy_of(enc).levels
    ('a', 'b')
    """
    record = df.attrs.get(ATTRS_KEY)
    recorded = Hierarchy.from_attrs(record) if isinstance(record, Mapping) else None
    if levels is None:
        if recorded is None:
            raise LevelsNotRecordedError(
                "this frame does not record its hierarchy levels (encode() stores them in "
                "DataFrame.attrs, and some pandas operations such as merge or concat drop them); "
                "pass levels= explicitly, e.g. levels=['degree', 'state', 'county']"
            )
        levels = recorded.levels
    if isinstance(levels, (str, bytes)) or not isinstance(levels, Sequence):
        raise TypeError(
            f"levels must be a list of column names from the top of the tree, got {levels!r}"
        )
    if suffix is None:
        suffix = recorded.suffix if recorded is not None else _DEFAULT_SUFFIX
    return Hierarchy(tuple(levels), suffix)
