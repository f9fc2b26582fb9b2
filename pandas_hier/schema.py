"""pandera schemas for input frames, encoded frames and lookup tables.

The schema factories are public so that the same rules can run in a user's own pipeline::

    import pandera.pandas as pa
    from pandas_hier.schema import encoded_schema
    encoded_schema(["state", "county"]).validate(df, lazy=True)   # raises pa.errors.SchemaErrors

Inside pandas-hier every validation is lazy (all failures collected) and pandera's
``SchemaErrors`` is turned into :class:`~pandas_hier.HierValidationError` by
:mod:`pandas_hier.report`.

Examples
--------
>>> import pandas as pd
>>> from pandas_hier.schema import input_schema
>>> input_schema(["state", "county"]).columns.keys()
dict_keys(['state', 'county'])
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pandas_hier import _codes, report
from pandas_hier._numeric_checks import (
    _as_float,
    _at_most,
    _finite,
    _numeric,
    _numeric_or_bool,
    _whole,
)
from pandas_hier.errors import HierValidationError

__all__ = [
    "encoded_schema",
    "input_schema",
    "model_schema",
    "table_schema",
    "validate_tables",
]

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


def model_schema(
    levels: Sequence[Hashable],
    x: Sequence[Hashable],
    y: Hashable,
    outcome: str = "real",
    trials: Hashable | None = None,
    exposure: Hashable | None = None,
) -> pa.DataFrameSchema:
    """Schema of a frame to fit: the input rules for the levels, and numeric, finite, non-missing
    predictor and response columns; the response as the likelihood needs it.

    Parameters
    ----------
    levels : sequence of hashable
        Level columns, top first.
    x : sequence of hashable
        Predictor columns.
    y : hashable
        Response column.
    outcome : {"real", "binary", "count", "successes"}
        What the response must be (:attr:`pandas_hier.families.Family.outcome`): any real
        number; 0 or 1 (or bool); a whole number >= 0; a whole number from 0 to ``trials``.
    trials : hashable, optional
        Column of binomial trials: whole numbers >= 1.
    exposure : hashable, optional
        Column of exposures (counts per unit of exposure): positive and finite.

    Returns
    -------
    pandera.pandas.DataFrameSchema

    Examples
    --------
    >>> from pandas_hier.schema import model_schema
    >>> list(model_schema(["state"], ["month"], "salary").columns)
    ['state', 'month', 'salary']
    >>> "0 or 1" in [c.name for c in model_schema(["g"], ["x"], "y", "binary").columns["y"].checks]
    True
    """
    columns = dict(input_schema(levels).columns)
    real = [pa.Check(_numeric, name="numeric"), pa.Check(_finite, name="finite")]
    for col in x:
        columns[col] = pa.Column(nullable=False, required=True, checks=list(real))
    y_checks = [pa.Check(_numeric_or_bool, name="numeric"), pa.Check(_finite, name="finite")]
    if outcome == "binary":
        y_checks.append(pa.Check(lambda s: _as_float(s).isin([0.0, 1.0]), element_wise=False, name="0 or 1"))
    elif outcome in ("count", "successes"):
        y_checks += [_whole("a whole number"), pa.Check(lambda s: _as_float(s) >= 0, name=">= 0")]
    columns[y] = pa.Column(nullable=False, required=True, checks=y_checks)
    frame_checks = []
    if trials is not None:
        columns[trials] = pa.Column(nullable=False, required=True, checks=[
            *real, _whole("a whole number"), pa.Check(lambda s: _as_float(s) >= 1, name=">= 1"),
        ])  # fmt: skip
        frame_checks.append(_frame_check("at most the trials", y, lambda f: _at_most(f, y, trials)))
    if exposure is not None:
        columns[exposure] = pa.Column(nullable=False, required=True, checks=[
            *real, pa.Check(lambda s: _as_float(s) > 0, name="> 0"),
        ])  # fmt: skip
    return pa.DataFrameSchema(columns, checks=frame_checks, name="model data")


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
            problems.append(report.from_pandera(err.failure_cases).assign(table=level))
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
        raise HierValidationError(report.message(cases, "lookup tables"), cases)
    return tables
