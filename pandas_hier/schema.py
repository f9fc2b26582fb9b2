"""pandera schemas for input frames, encoded frames and lookup tables.

The schema factories are public so that the same rules can run in a user's own pipeline::

    import pandera.pandas as pa
    from pandas_hier.schema import encoded_schema
    encoded_schema(["state", "county"]).validate(df, lazy=True)   # raises pa.errors.SchemaErrors

Inside pandas-hier every validation is lazy (all failures collected) and pandera's
``SchemaErrors`` is turned into :class:`~pandas_hier.HierValidationError`, whose message names each
failing column with a count and some row labels and whose ``failure_cases`` holds every failing row.

Examples
--------
>>> import pandas as pd
>>> from pandas_hier.schema import input_schema
>>> input_schema(["state", "county"]).columns.keys()
dict_keys(['state', 'county'])
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pandas_hier import _codes
from pandas_hier.errors import HierValidationError

if TYPE_CHECKING:  # pragma: no cover
    from pandas_hier.encoding import Hierarchy

__all__ = [
    "check",
    "check_structure",
    "encoded_schema",
    "input_schema",
    "model_schema",
    "table_schema",
    "validate_tables",
]

_SHOW_ROWS = 5

# check name -> (what it means, what to do); used to write the error message.
_EXPLAIN: dict[str, tuple[str, str]] = {
    "column_in_dataframe": ("column is not in the frame", "check the spelling of levels="),
    "not_nullable": (
        "missing values",
        "fill them, or pass dropna=True to drop those rows (a warning states how many)",
    ),
    "hashable_labels": ("unhashable labels (lists, dicts, ...)", "convert them, e.g. to tuples"),
    "code_column_clash": (
        "a column of that name already exists",
        "pass suffix= to name code columns differently, or drop the column",
    ),
    "dtype('int64')": ("codes are not integers", "re-encode with df.hier.encode()"),
    "integer_codes": ("codes are not integers", "re-encode with df.hier.encode()"),
    "codes_contiguous": (
        "codes are not contiguous from 0 (rows filtered after encode?)",
        "re-encode with df.hier.encode()",
    ),
    "one_code_per_path": (
        "codes no longer match one label path each (labels edited after encode?)",
        "re-encode with df.hier.encode()",
    ),
    "one_parent": (
        "a child code maps to more than one parent code",
        "re-encode with df.hier.encode()",
    ),
    "parent_code_exists": (
        "parent codes not found in the parent level's table",
        "derive tables with df.hier.tables() instead of editing them",
    ),
    "greater_than_or_equal_to(0)": ("negative codes", "re-encode with df.hier.encode()"),
    "numeric": (
        "not a column of real numbers",
        "convert it, e.g. with pd.to_numeric (complex values: take .real or abs() explicitly)",
    ),
    "finite": ("infinite values", "remove or replace them"),
    "greater_than_or_equal_to(1)": ("counts below 1", "derive tables with df.hier.tables()"),
    "field_uniqueness": ("duplicate codes", "derive tables with df.hier.tables()"),
}


def _hashable(series: pd.Series) -> pd.Series | bool:
    if series.dtype != object:
        return True  # numeric, bool, string and categorical values are always hashable

    def ok(value: object) -> bool:
        try:
            hash(value)
        except TypeError:
            return False
        return True

    return series.map(ok).astype(bool)


def input_schema(levels: Sequence[Hashable]) -> pa.DataFrameSchema:
    """Schema of a raw frame: every level column exists, has no missing value, hashable labels.

    Parameters
    ----------
    levels : sequence of hashable
        Level column names, top first.

    Returns
    -------
    pandera.pandas.DataFrameSchema
        Other columns are allowed and unchecked.

    Examples
    --------
    >>> import pandas as pd
    >>> import pandera.pandas as pa
    >>> from pandas_hier.schema import input_schema
    >>> df = pd.DataFrame({"state": ["NY", None]})
    >>> try:
    ...     input_schema(["state"]).validate(df, lazy=True)
    ... except pa.errors.SchemaErrors as err:
    ...     print(err.failure_cases[["column", "check", "index"]].to_string(index=False))
    column        check  index
     state not_nullable      1
    """
    return pa.DataFrameSchema(
        {
            level: pa.Column(
                nullable=False,
                required=True,
                checks=pa.Check(_hashable, name="hashable_labels"),
                title=f"level {level!r}",
            )
            for level in levels
        },
        name="hierarchy input",
    )


def _finite(series: pd.Series) -> pd.Series | bool:
    if not _numeric(series):
        return True  # reported by the numeric check
    return pd.Series(np.isfinite(np.asarray(series, dtype=np.float64)), index=series.index) | series.isna()


def _numeric(series: pd.Series) -> bool:
    """Real numbers: numeric, and neither bool nor complex (a complex column would be cast to
    its real part with no more than numpy's warning)."""
    dtype = series.dtype
    return (
        pd.api.types.is_numeric_dtype(dtype)
        and not pd.api.types.is_bool_dtype(dtype)
        and not pd.api.types.is_complex_dtype(dtype)
    )


def model_schema(
    levels: Sequence[Hashable], x: Sequence[Hashable], y: Hashable
) -> pa.DataFrameSchema:
    """Schema of a frame to fit: the input rules for the levels, and numeric, finite, non-missing
    predictor and response columns.

    Parameters
    ----------
    levels : sequence of hashable
        Level columns, top first.
    x : sequence of hashable
        Predictor columns.
    y : hashable
        Response column.

    Returns
    -------
    pandera.pandas.DataFrameSchema

    Examples
    --------
    >>> from pandas_hier.schema import model_schema
    >>> list(model_schema(["state"], ["month"], "salary").columns)
    ['state', 'month', 'salary']
    """
    columns = dict(input_schema(levels).columns)
    for col in [*x, y]:
        columns[col] = pa.Column(
            nullable=False,
            required=True,
            checks=[pa.Check(_numeric, name="numeric"), pa.Check(_finite, name="finite")],
        )
    return pa.DataFrameSchema(columns, name="model data")


def _frame_check(name: str, column: str, fn) -> pa.Check:
    # Frame-level checks are tagged "name@column" so that their failures can be attributed to the
    # code column they concern when pandera's report is converted (see check()).
    return pa.Check(fn, name=f"{name}@{column}")


def _int_codes(series: pd.Series) -> bool:
    return pd.api.types.is_integer_dtype(series.dtype) and not pd.api.types.is_bool_dtype(
        series.dtype
    )


def _contiguous(series: pd.Series) -> bool:
    if not _int_codes(series) or series.isna().any() or series.empty:
        return bool(series.empty)
    codes = np.asarray(series, dtype=np.int64)
    if codes.min() < 0:
        return True  # reported by the >= 0 check
    return bool((np.bincount(codes) > 0).all())


def _usable(frame: pd.DataFrame, columns: Iterable) -> bool:
    # Row-level consistency checks only run where the basics hold; otherwise those failures
    # (missing columns or values, non-integer codes) are what gets reported.
    for col in columns:
        if col not in frame.columns or frame[col].isna().any():
            return False
    return True


def _path_consistency(levels: Sequence[Hashable], depth: int, code_cols: Sequence[str]):
    def fn(frame: pd.DataFrame) -> pd.Series | bool:
        cols = [*levels[: depth + 1], code_cols[depth]]
        if not _usable(frame, cols) or not _int_codes(frame[code_cols[depth]]):
            return True
        try:
            fresh, _ = _codes.path_codes(frame, levels[: depth + 1])[-1]
        except TypeError:
            return True  # unhashable labels are reported by the input checks
        have = pd.Series(np.asarray(frame[code_cols[depth]], dtype=np.int64), index=frame.index)
        path = pd.Series(fresh, index=frame.index)
        bad = (path.groupby(have.to_numpy()).transform("nunique") > 1) | (
            have.groupby(fresh).transform("nunique") > 1
        )
        return ~bad

    return fn


def _one_parent(child_col: str, parent_col: str):
    def fn(frame: pd.DataFrame) -> pd.Series | bool:
        if not _usable(frame, [child_col, parent_col]):
            return True
        parent = frame[parent_col]
        return ~(parent.groupby(frame[child_col].to_numpy()).transform("nunique") > 1)

    return fn


def encoded_schema(levels: Sequence[Hashable], suffix: str = "_idx") -> pa.DataFrameSchema:
    """Schema of an encoded frame.

    Besides the input rules, each level's code column must hold non-negative integers,
    contiguous from 0, with exactly one code per label path (in both directions), and each child
    code must map to exactly one parent code. Failing rows are those whose codes went stale, for
    example after labels were edited.

    Parameters
    ----------
    levels : sequence of hashable
        Level column names, top first.
    suffix : str, default "_idx"
        Code-column suffix.

    Returns
    -------
    pandera.pandas.DataFrameSchema

    Examples
    --------
    >>> import pandas as pd
    >>> import pandera.pandas as pa
    >>> from pandas_hier.schema import encoded_schema
    >>> df = pd.DataFrame({"a": ["x", "x"], "a_idx": [0, 1]})  # one label, two codes
    >>> try:
    ...     encoded_schema(["a"]).validate(df, lazy=True)
    ... except pa.errors.SchemaErrors as err:
    ...     print(sorted(set(err.failure_cases["check"])))
    ['one_code_per_path@a_idx']
    """
    levels = list(levels)
    code_cols = [f"{level}{suffix}" for level in levels]
    columns = dict(input_schema(levels).columns)
    for col in code_cols:
        columns[col] = pa.Column(
            nullable=False,
            required=True,
            checks=[
                pa.Check(_int_codes, name="integer_codes"),
                pa.Check(
                    lambda s: True if not _int_codes(s) else s >= 0,
                    name="greater_than_or_equal_to(0)",
                ),
                pa.Check(_contiguous, name="codes_contiguous"),
            ],
        )
    checks = [
        _frame_check("one_code_per_path", code_cols[d], _path_consistency(levels, d, code_cols))
        for d in range(len(levels))
    ]
    checks += [
        _frame_check("one_parent", code_cols[d], _one_parent(code_cols[d], code_cols[d - 1]))
        for d in range(1, len(levels))
    ]
    return pa.DataFrameSchema(columns, checks=checks, name="encoded hierarchy")


def table_schema(
    levels: Sequence[Hashable], level: Hashable, suffix: str = "_idx"
) -> pa.DataFrameSchema:
    """Schema of one lookup table as returned by :func:`pandas_hier.tables`.

    Parameters
    ----------
    levels : sequence of hashable
        All level names, top first.
    level : hashable
        The level whose table is checked.
    suffix : str, default "_idx"
        Code-column suffix.

    Returns
    -------
    pandera.pandas.DataFrameSchema
        Index: unique integer codes named after the level's code column, contiguous from 0.
        Columns: the path labels (no missing values), the parent code (below the top level,
        non-negative integers) and ``n_rows`` (at least 1).

    Examples
    --------
    >>> import pandas as pd
    >>> from pandas_hier.schema import table_schema
    >>> sorted(table_schema(["state", "county"], "county").columns)
    ['county', 'n_rows', 'state', 'state_idx']
    """
    levels = list(levels)
    depth = levels.index(level)
    columns: dict = {lv: pa.Column(nullable=False) for lv in levels[: depth + 1]}
    if depth:
        columns[f"{levels[depth - 1]}{suffix}"] = pa.Column(
            nullable=False, checks=[pa.Check(_int_codes, name="integer_codes"), pa.Check.ge(0)]
        )
    columns["n_rows"] = pa.Column("int64", checks=pa.Check.ge(1))
    return pa.DataFrameSchema(
        columns,
        index=pa.Index(
            "int64",
            unique=True,
            name=f"{level}{suffix}",
            checks=[pa.Check.ge(0), pa.Check(_contiguous, name="codes_contiguous")],
        ),
        strict=True,
        name=f"lookup table {level!r}",
    )


def validate_tables(
    tables: Mapping[Hashable, pd.DataFrame], levels: Sequence[Hashable], suffix: str = "_idx"
) -> Mapping[Hashable, pd.DataFrame]:
    """Check every lookup table and that every parent code exists in the parent's table.

    Parameters
    ----------
    tables : mapping of level -> DataFrame
        As returned by :func:`pandas_hier.tables`.
    levels : sequence of hashable
        Level names, top first.
    suffix : str, default "_idx"
        Code-column suffix.

    Returns
    -------
    mapping
        ``tables``, unchanged.

    Raises
    ------
    HierValidationError
        Listing the failures of all tables at once.

    Examples
    --------
    >>> import pandas as pd
    >>> import pandas_hier
    >>> from pandas_hier.schema import validate_tables
    >>> enc = pd.DataFrame({"a": ["x", "y"], "b": ["u", "v"]}).hier.encode(["a", "b"])
    >>> t = enc.hier.tables()
    >>> t["b"].loc[0, "a_idx"] = 7  # a parent code that does not exist
    >>> try:
    ...     validate_tables(t, ["a", "b"])
    ... except pandas_hier.HierValidationError as err:
    ...     print(err.failure_cases[["column", "check", "failure_case"]].to_string(index=False))
    column              check  failure_case
      a_idx parent_code_exists             7
    """
    problems: list[pd.DataFrame] = []
    levels = list(levels)
    for depth, level in enumerate(levels):
        table = tables[level]
        try:
            table_schema(levels, level, suffix).validate(table, lazy=True)
        except pa.errors.SchemaErrors as err:
            problems.append(_from_pandera(err.failure_cases).assign(table=level))
            continue
        if depth:
            parent_col = f"{levels[depth - 1]}{suffix}"
            parent_codes = table[parent_col].to_numpy()
            bad = (parent_codes < 0) | (parent_codes >= len(tables[levels[depth - 1]]))
            if bad.any():
                problems.append(
                    pd.DataFrame(
                        {
                            "column": parent_col,
                            "check": "parent_code_exists",
                            "index": table.index[bad],
                            "failure_case": parent_codes[bad],
                            "table": level,
                        }
                    )
                )
    if problems:
        cases = pd.concat(problems, ignore_index=True)
        raise HierValidationError(_message(cases, "lookup tables"), cases)
    return tables


def _from_pandera(cases: pd.DataFrame) -> pd.DataFrame:
    cases = cases.reset_index(drop=True)
    column = cases["column"].astype(object)
    check = cases["check"].astype(str)
    missing_col = check == "column_in_dataframe"
    column = column.where(~missing_col, cases["failure_case"])
    tagged = check.str.contains("@", regex=False)
    owner = check.str.rpartition("@")[2].where(tagged)
    keep = ~tagged | (column == owner)
    out = pd.DataFrame(
        {
            "column": column.where(~tagged, owner),
            "check": check.where(~tagged, check.str.rpartition("@")[0]),
            "index": cases["index"],
            "failure_case": cases["failure_case"],
        }
    )[keep.to_numpy()]
    return out.reset_index(drop=True)


def _message(cases: pd.DataFrame, what: str) -> str:
    lines = []
    for (column, name), group in cases.groupby(["column", "check"], sort=False, dropna=False):
        if name.startswith("label_kind_"):
            kind = name.removeprefix("label_kind_")
            meaning, advice = (
                f"labels are not of the kind seen in training ({kind})",
                "convert the column to the training data's dtype",
            )
        else:
            meaning, advice = _EXPLAIN.get(name, (f"failed check {name!r}", ""))
        rows = group["index"].dropna()
        where = ""
        if len(rows):
            shown = ", ".join(repr(r) for r in rows.iloc[:_SHOW_ROWS])
            more = f", ... ({len(rows) - _SHOW_ROWS} more)" if len(rows) > _SHOW_ROWS else ""
            where = f": {len(rows)} rows, e.g. rows {shown}{more}"
        table = ""
        if "table" in group.columns:
            table = f" (table of level {group['table'].iloc[0]!r})"
        lines.append(
            f"  - column {column!r}{table}: {meaning}{where}" + (f"; {advice}" if advice else "")
        )
    head = f"{len(lines)} problem{'s' if len(lines) != 1 else ''} in the {what}:"
    return "\n".join([head, *lines, "See the error's failure_cases for every failing row."])


def check(schema: pa.DataFrameSchema, df: pd.DataFrame, what: str = "data") -> pd.DataFrame:
    """Validate lazily; raise :class:`~pandas_hier.HierValidationError` listing every failure.

    Parameters
    ----------
    schema : pandera.pandas.DataFrameSchema
        Any of the schemas of this module (or a user's own).
    df : pandas.DataFrame
        Frame to check; not modified.
    what : str
        Words for the message's head, e.g. ``"hierarchy data"``.

    Returns
    -------
    pandas.DataFrame
        ``df`` itself.

    Examples
    --------
    >>> import pandas as pd
    >>> import pandas_hier
    >>> from pandas_hier.schema import check, input_schema
    >>> try:
    ...     check(input_schema(["state"]), pd.DataFrame({"state": [None, "NY"]}))
    ... except pandas_hier.HierValidationError as err:
    ...     print(str(err).splitlines()[1])
      - column 'state': missing values: 1 rows, e.g. rows 0; fill them, or pass dropna=True to drop those rows (a warning states how many)
    """
    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = _from_pandera(err.failure_cases)
        raise HierValidationError(_message(cases, what), cases) from None
    return df


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
    >>> from pandas_hier.schema import check_structure
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
        input_schema(hier.levels).validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        frames.append(_from_pandera(err.failure_cases))
    frames.append(
        pd.DataFrame(
            {"column": clashes, "check": "code_column_clash", "index": None, "failure_case": clashes},
            columns=["column", "check", "index", "failure_case"],
        )
    )
    cases = pd.concat([f for f in frames if len(f)], ignore_index=True)
    msg = _message(cases, "hierarchy data")
    if absent:
        msg += f"\nColumns in the frame: {list(df.columns)!r}"
    raise HierValidationError(msg, cases)
