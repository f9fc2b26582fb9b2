"""Labels -> integer codes per level path, lookup tables, decoding.

Pure functions on DataFrames; none of them mutates its input. The accessor methods
``df.hier.encode``, ``df.hier.tables``, ``df.hier.validate`` and ``df.hier.decode`` are one call
each to the functions here.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pandas_hier import _codes, display, progress, report, schema
from pandas_hier._params import Boolean, validate_params
from pandas_hier.errors import DroppedRowsWarning, HierValidationError, NotEncodedError, warn
from pandas_hier.hierarchy import ATTRS_KEY, Hierarchy, hierarchy_of

#: The arguments these functions declare (levels are checked by Hierarchy and the schemas).
_FRAME: dict = {"df": [pd.DataFrame], "suffix": [None, str]}
_ENCODE: dict = {**_FRAME, "dropna": [Boolean()]}

__all__ = [
    "ATTRS_KEY", "Hierarchy", "check_structure", "decode", "encode", "hierarchy_of", "tables",
    "validate",
]  # fmt: skip


def check_structure(df: pd.DataFrame, hier: Hierarchy, replaceable: Iterable[str] = ()) -> None:
    """Cheap up-front checks before encoding: level columns exist; code columns clash with none.

    When either fails, the full input schema runs as well, so that missing or unhashable labels
    in the columns that do exist are reported in the same error.

    Parameters
    ----------
    df : pandas.DataFrame
        Frame about to be encoded.
    hier : Hierarchy
        Levels and suffix.
    replaceable : iterable of str
        Existing columns that may be overwritten (code columns of an earlier encode).

    Raises
    ------
    HierValidationError
        Listing every absent level column, every clashing code column and every bad label.

    Examples
    --------
    >>> import pandas as pd
    >>> import pandas_hier
    >>> from pandas_hier.encoding import check_structure
    >>> df = pd.DataFrame({"state": ["NY", None], "state_idx": [0, 0]})
    >>> try:
    ...     check_structure(df, pandas_hier.Hierarchy(("state", "county")))
    ... except pandas_hier.HierValidationError as err:
    ...     print(err.failure_cases[["column", "check"]].to_string(index=False))
       column               check
       county column_in_dataframe
        state        not_nullable
    state_idx   code_column_clash
    """
    replaceable = set(replaceable)
    clashes = [
        col
        for col in hier.code_columns
        if (col in df.columns and col not in replaceable) or col in hier.levels
    ]
    absent = [lv for lv in hier.levels if lv not in df.columns]
    if not clashes and not absent:
        return
    frames = []
    try:
        schema.input_schema(hier.levels).validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        frames.append(report.from_pandera(err.failure_cases))
    frames.append(
        pd.DataFrame(
            {"column": clashes, "check": "code_column_clash", "index": None, "failure_case": clashes},
            columns=["column", "check", "index", "failure_case"],
        )
    )
    cases = pd.concat([f for f in frames if len(f)], ignore_index=True)
    msg = report.message(cases, "hierarchy data", df.columns)
    if absent:
        msg += f"\nColumns in the frame: {list(df.columns)!r}"
    raise HierValidationError(msg, cases)


def _drop_missing(df: pd.DataFrame, hier: Hierarchy, dropna: bool) -> pd.DataFrame:
    missing = df[list(hier.levels)].isna().any(axis=1)
    n_missing = int(missing.sum())
    if n_missing == 0:
        return df
    if not dropna:
        # Let the schema report every missing value in every level, with the row labels.
        report.check(schema.input_schema(hier.levels), df, "hierarchy data")
        raise AssertionError("unreachable: the input schema accepted missing level values")
    warn_dropped(n_missing, len(df), [lv for lv in hier.levels if df[lv].isna().any()])
    return df.loc[~missing]


def warn_dropped(n_dropped: int, n_rows: int, columns: Sequence[Hashable]) -> None:
    """The one :class:`~pandas_hier.DroppedRowsWarning` of ``dropna=True`` (encode and fit)."""
    warn(
        f"dropna=True dropped {n_dropped} of {n_rows} rows with a missing value in {list(columns)!r}",
        DroppedRowsWarning,
    )


@validate_params(_ENCODE, caller="encode")
def encode(
    df: pd.DataFrame,
    levels: Sequence[Hashable] | None = None,
    *,
    suffix: str | None = None,
    dropna: bool = False,
) -> pd.DataFrame:
    """Add one integer code column per level path; return a new frame.

    The code of level ``l`` identifies the labels of all levels down to ``l``: a county name
    reused in two states is two groups. Codes are contiguous from 0 and ordered by sorted label
    path (categorical levels follow their category order, and unused categories make no group),
    so they do not depend on row order. The levels are recorded in the result's ``attrs`` so that
    :func:`tables`, :func:`validate` and ``fit`` need no repetition.

    Parameters
    ----------
    df : pandas.DataFrame
        Input frame. It is never modified.
    levels : sequence of hashable, optional
        Level columns from the top of the tree, e.g. ``["degree", "state", "county"]``.
        Defaults to the levels recorded by an earlier ``encode`` (re-encoding, for example after
        filtering rows).
    suffix : str, optional
        Suffix of the code columns (``"county" -> "county_idx"``); default ``"_idx"``.
    dropna : bool, default False
        Rows with a missing level value are an error by default. With ``dropna=True`` they are
        dropped and a :class:`~pandas_hier.DroppedRowsWarning` states how many.

    Returns
    -------
    pandas.DataFrame
        A new frame: the input's rows (all of them unless ``dropna=True``), its columns, and the
        code columns (int32, or int64 for more than 2**31 groups).

    Raises
    ------
    HierValidationError
        Listing every problem at once: level columns that do not exist, missing level values
        (with the row labels), unhashable labels, or code-column names that clash with existing
        columns.
    LevelsNotRecordedError
        If ``levels`` is omitted and the frame records none.

    See Also
    --------
    tables : one lookup table per level, derived from an encoded frame.
    validate : check an encoded frame, e.g. for codes gone stale after labels were edited.

    Examples
    --------
    >>> import pandas as pd
    >>> import pandas_hier
    >>> df = pd.DataFrame({
    ...     "state": ["NY", "NY", "CA", "CA"],
    ...     "county": ["Kings", "Erie", "Kings", "Kings"],
    ... })
    >>> enc = df.hier.encode(["state", "county"])
    >>> enc
      state county  state_idx  county_idx
    0    NY  Kings          1           2
    1    NY   Erie          1           1
    2    CA  Kings          0           0
    3    CA  Kings          0           0
    >>> "state_idx" in df.columns  # the caller's frame is untouched
    False
    """
    hier = hierarchy_of(df, levels, suffix)
    own_codes = set(hierarchy_of(df).code_columns) if ATTRS_KEY in df.attrs else set()
    check_structure(df, hier, replaceable=own_codes)
    work = _drop_missing(df, hier, dropna)
    try:
        with progress.step(f"encoding {len(work):,} rows"):
            paths = _codes.path_codes(work, hier.levels)
    except TypeError:
        # Unhashable labels: let the schema point at every offending row.
        report.check(schema.input_schema(hier.levels), work, "hierarchy data")
        raise
    new_cols = {
        col: pd.Series(codes.astype(_codes.code_dtype(n)), index=work.index, copy=False)
        for col, (codes, n) in zip(hier.code_columns, paths, strict=True)
    }
    # Drop code columns of an earlier encoding; with copy-on-write this copies no data.
    stale = [c for c in own_codes if c in work.columns and c not in new_cols]
    out = work.drop(columns=stale) if stale else work
    out = out.assign(**new_cols)
    out.attrs = {**df.attrs, ATTRS_KEY: hier.to_attrs()}
    return out


def _checked(df: pd.DataFrame, levels, suffix) -> tuple[Hierarchy, list[np.ndarray], list[int]]:
    hier = hierarchy_of(df, levels, suffix)
    absent = [c for c in hier.code_columns if c not in df.columns]
    if absent:
        raise NotEncodedError(
            f"code columns {absent!r} are missing: encode the frame first, e.g. "
            f"df.hier.encode({list(hier.levels)!r})"
        )
    report.check(schema.encoded_schema(hier.levels, hier.suffix), df, "encoded frame")
    codes = [np.asarray(df[c], dtype=np.int64) for c in hier.code_columns]
    sizes = [int(c.max()) + 1 if c.size else 0 for c in codes]
    return hier, codes, sizes


def _tables(df: pd.DataFrame, hier: Hierarchy, codes, sizes) -> dict[Hashable, pd.DataFrame]:
    """Lookup tables from code arrays already known to be valid (see :func:`tables`)."""
    out: dict[Hashable, pd.DataFrame] = {}
    for depth, level in enumerate(hier.levels):
        first = _codes.first_rows(codes[depth], sizes[depth])
        index = pd.RangeIndex(sizes[depth], name=hier.code_columns[depth])
        table = df[list(hier.levels[: depth + 1])].iloc[first].set_axis(index, axis=0)
        table.attrs = {}
        if depth:
            parent_col = hier.code_columns[depth - 1]
            table[parent_col] = codes[depth - 1][first].astype(df[parent_col].dtype)
        table["n_rows"] = np.bincount(codes[depth], minlength=sizes[depth]).astype(np.int64)
        out[level] = table
    schema.validate_tables(out, hier.levels, hier.suffix)
    return out


def _encode_with_tables(df: pd.DataFrame, hier: Hierarchy) -> tuple[pd.DataFrame, dict]:
    """:func:`encode` and :func:`tables` in one step, for callers that encode and need the
    tables at once (``fit``): the codes were just made, so they are not validated again (which
    costs more than encoding on millions of rows)."""
    enc = encode(df, hier.levels, suffix=hier.suffix)
    codes = [np.asarray(enc[c], dtype=np.int64) for c in hier.code_columns]
    sizes = [int(c.max()) + 1 if c.size else 0 for c in codes]
    return enc, _tables(enc, hier, codes, sizes)


@validate_params(_FRAME, caller="tables")
def tables(
    df: pd.DataFrame,
    levels: Sequence[Hashable] | None = None,
    *,
    suffix: str | None = None,
) -> dict[Hashable, pd.DataFrame]:
    """One lookup table per level, derived from an encoded frame alone.

    Parameters
    ----------
    df : pandas.DataFrame
        Output of :func:`encode` (or any frame with valid code columns).
    levels : sequence of hashable, optional
        Needed only when the frame lost its record of the levels.
    suffix : str, optional
        Code-column suffix, when it differs from the recorded one.

    Returns
    -------
    pandas_hier.display.Tables
        A ``dict`` of level -> DataFrame that displays compactly. In level order. Each table is indexed by the level's code (index name = code column)
        and has the labels of the whole path (one column per level down to this one, with the
        frame's dtypes), the parent's code column (absent at the top level), and ``n_rows``.

    Raises
    ------
    NotEncodedError
        If the code columns are absent.
    HierValidationError
        If the codes are stale (no longer one code per label path, or not contiguous).

    Examples
    --------
    >>> import pandas as pd
    >>> import pandas_hier
    >>> df = pd.DataFrame({"state": ["NY", "NY", "CA"], "county": ["Kings", "Erie", "Kings"]})
    >>> t = df.hier.encode(["state", "county"]).hier.tables()
    >>> t["county"]
               state county  state_idx  n_rows
    county_idx
    0             CA  Kings          0       1
    1             NY   Erie          1       1
    2             NY  Kings          1       1
    >>> print(repr(t).splitlines()[0])
    Lookup tables: state (2 groups) > county (3 groups)
    """
    return display.Tables(_tables(df, *_checked(df, levels, suffix)))


@validate_params(_FRAME, caller="validate")
def validate(
    df: pd.DataFrame,
    levels: Sequence[Hashable] | None = None,
    *,
    suffix: str | None = None,
) -> pd.DataFrame:
    """Check a frame against the input schema and, if it has code columns, the encoded schema.

    Parameters
    ----------
    df : pandas.DataFrame
        Raw or encoded frame.
    levels : sequence of hashable, optional
        Defaults to the frame's record.
    suffix : str, optional
        Code-column suffix, when it differs from the recorded one.

    Returns
    -------
    pandas.DataFrame
        ``df`` itself, unchanged, so that ``validate`` can sit in a method chain.

    Raises
    ------
    HierValidationError
        Listing every failure at once with the failing rows in ``failure_cases``.

    Examples
    --------
    >>> import pandas as pd
    >>> import pandas_hier
    >>> enc = pd.DataFrame({"a": ["x", "y"], "b": ["u", "v"]}).hier.encode(["a", "b"])
    >>> edited = enc.assign(a=["x", "x"])  # labels edited: one path now has two codes
    >>> try:
    ...     edited.hier.validate()
    ... except pandas_hier.HierValidationError as err:
    ...     print(sorted(set(err.failure_cases["check"])))
    ['one_code_per_path']
    """
    hier = hierarchy_of(df, levels, suffix)
    present = [c for c in hier.code_columns if c in df.columns]
    if present:
        report.check(schema.encoded_schema(hier.levels, hier.suffix), df, "encoded frame")
    else:
        report.check(schema.input_schema(hier.levels), df, "hierarchy data")
    return df


@validate_params(_FRAME, caller="decode")
def decode(
    df: pd.DataFrame,
    level: Hashable,
    codes,
    *,
    levels: Sequence[Hashable] | None = None,
    suffix: str | None = None,
) -> pd.DataFrame:
    """Labels of the whole path for integer codes of one level.

    Parameters
    ----------
    df : pandas.DataFrame
        An encoded frame (its lookup tables are derived on the fly).
    level : hashable
        The level the codes belong to.
    codes : array-like of int
        Codes of that level.
    levels, suffix : optional
        As in :func:`tables`.

    Returns
    -------
    pandas.DataFrame
        One row per code, one column per level down to ``level``.

    Raises
    ------
    KeyError
        For an unknown level, or codes outside ``0..n_groups-1`` (listing them).

    Examples
    --------
    >>> import pandas as pd
    >>> import pandas_hier
    >>> enc = pd.DataFrame({"a": ["x", "y"], "b": ["u", "v"]}).hier.encode(["a", "b"])
    >>> pandas_hier.decode(enc, "b", [1, 0])
       a  b
    0  y  v
    1  x  u
    """
    return decode_with(tables(df, levels, suffix=suffix), hierarchy_of(df, levels, suffix), level, codes)


def decode_with(tabs: dict, hier: Hierarchy, level: Hashable, codes) -> pd.DataFrame:
    """:func:`decode` given the frame's lookup tables and hierarchy (shared with Dask frames)."""
    table = tabs[hier.levels[hier.position(level)]]
    codes = np.asarray(codes)
    bad = codes[(codes < 0) | (codes >= len(table))] if codes.size else codes
    if bad.size:
        raise KeyError(
            f"codes {sorted(set(bad.tolist()))[:10]!r} are not codes of level {level!r} "
            f"(valid: 0..{len(table) - 1})"
        )
    return table.iloc[codes][list(hier.levels[: hier.position(level) + 1])].reset_index(drop=True)
