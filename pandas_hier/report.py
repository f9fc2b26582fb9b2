"""Error reporting: pandera's failure report turned into :class:`~pandas_hier.HierValidationError`.

Every validation in pandas-hier is lazy (all failures collected); :func:`check` runs a schema and,
on failure, writes one message that names each failing column with what went wrong, how many
rows and some row labels, and what to do; ``failure_cases`` keeps every failing row.

Examples
--------
>>> import pandas as pd
>>> from pandas_hier.report import from_pandera, message
>>> cases = pd.DataFrame({"column": ["month"], "check": ["finite"], "index": [7],
...                       "failure_case": [float("inf")]})
>>> print(message(from_pandera(cases), "data to fit"))
1 problem in the data to fit:
  - column 'month': infinite values: 1 rows, e.g. rows 7; remove or replace them
See the error's failure_cases for every failing row.
"""

from __future__ import annotations

import pandas as pd
import pandera.pandas as pa

from pandas_hier._params import close_match
from pandas_hier.errors import HierValidationError

__all__ = ["check", "from_pandera", "message"]

_SHOW_ROWS = 5

# check name -> (what it means, what to do); used to write the error message.
_REENCODE = "re-encode with df.hier.encode()"
_EXPLAIN: dict[str, tuple[str, str]] = {
    "column_in_dataframe": ("column is not in the frame", "check the spelling"),
    "not_nullable": (
        "missing values",
        "fill them, or pass dropna=True to drop those rows (a warning states how many)",
    ),
    "hashable_labels": ("unhashable labels (lists, dicts, ...)", "convert them, e.g. to tuples"),
    "code_column_clash": (
        "a column of that name already exists",
        "pass suffix= to name code columns differently, or drop the column",
    ),
    "dtype('int64')": ("codes are not integers", _REENCODE),
    "integer_codes": ("codes are not integers", _REENCODE),
    "codes_contiguous": ("codes are not contiguous from 0 (rows filtered after encode?)", _REENCODE),
    "one_code_per_path": (
        "codes no longer match one label path each (labels edited after encode?)", _REENCODE
    ),
    "one_parent": ("a child code maps to more than one parent code", _REENCODE),
    "parent_code_exists": (
        "parent codes not found in the parent level's table",
        "derive tables with df.hier.tables() instead of editing them",
    ),
    "greater_than_or_equal_to(0)": ("negative codes", _REENCODE),
    "numeric": (
        "not a column of real numbers",
        "convert it, e.g. with pd.to_numeric (complex values: take .real or abs() explicitly)",
    ),
    "finite": ("infinite values", "remove or replace them"),
    "0 or 1": ("values other than 0 and 1", "this likelihood needs a 0/1 (or bool) outcome"),
    "a whole number": ("values that are not whole numbers", "counts and trials must be whole numbers"),
    ">= 0": ("negative counts", "counts must be 0 or more"),
    ">= 1": ("trials below 1", "every row needs at least one trial"),
    "> 0": ("exposures of 0 or less", "exposures must be positive"),
    "at most the trials": ("more successes than trials", "check the response and trials= columns"),
    "greater_than_or_equal_to(1)": ("counts below 1", "derive tables with df.hier.tables()"),
    "field_uniqueness": ("duplicate codes", "derive tables with df.hier.tables()"),
}


def from_pandera(cases: pd.DataFrame) -> pd.DataFrame:
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


#: Checks whose failing values say what is wrong (a response of 2 for a 0/1 outcome).
_SHOW_VALUES = {"0 or 1", "a whole number", ">= 0", ">= 1", "> 0"}


def message(cases: pd.DataFrame, what: str, columns=None) -> str:
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
            missing_column = name == "column_in_dataframe" and columns is not None
            guess = close_match(column, list(columns)) if missing_column else None
            if guess is not None:
                advice += f" (did you mean {guess!r}?)"
        rows = group["index"].dropna()
        where = ""
        if len(rows):
            shown = ", ".join(repr(r) for r in rows.iloc[:_SHOW_ROWS])
            more = f", ... ({len(rows) - _SHOW_ROWS} more)" if len(rows) > _SHOW_ROWS else ""
            where = f": {len(rows)} rows, e.g. rows {shown}{more}"
            if name in _SHOW_VALUES:
                values = ", ".join(repr(v) for v in group["failure_case"].iloc[:_SHOW_ROWS])
                where += f" (values {values})"
        table = ""
        if "table" in group.columns:
            table = f" (table of level {group['table'].iloc[0]!r})"
        lines.append(
            f"  - column {column!r}{table}: {meaning}{where}" + (f"; {advice}" if advice else "")
        )
    head = f"{len(lines)} problem{'s' if len(lines) != 1 else ''} in the {what}:"
    return "\n".join([head, *lines, "See the error's failure_cases for every failing row."])


def check(
    schema: pa.DataFrameSchema, df: pd.DataFrame, what: str = "data", columns=None
) -> pd.DataFrame:
    """Validate lazily; raise :class:`~pandas_hier.HierValidationError` listing every failure.

    Parameters
    ----------
    schema : pandera.pandas.DataFrameSchema
        Any of the schemas of this module (or a user's own).
    df : pandas.DataFrame
        Frame to check; not modified.
    what : str
        Words for the message's head, e.g. ``"hierarchy data"``.
    columns : sequence, optional
        Where to look for a close match to an absent column (default ``df.columns``).

    Returns
    -------
    pandas.DataFrame
        ``df`` itself.

    Examples
    --------
    >>> import pandas as pd
    >>> import pandas_hier
    >>> from pandas_hier.report import check
    >>> from pandas_hier.schema import input_schema
    >>> try:
    ...     check(input_schema(["state"]), pd.DataFrame({"state": [None, "NY"]}))
    ... except pandas_hier.HierValidationError as err:
    ...     print(str(err).splitlines()[1])
      - column 'state': missing values: 1 rows, e.g. rows 0; fill them, or pass dropna=True to drop those rows (a warning states how many)
    """
    try:
        schema.validate(df, lazy=True)
    except pa.errors.SchemaErrors as err:
        cases = from_pandera(err.failure_cases)
        known = df.columns if columns is None else columns
        raise HierValidationError(message(cases, what, known), cases) from None
    return df
