"""The JSON form of the lookup tables in a saved fit: every label loads back as itself.

A table is stored column by column: the column's dtype (a string dtype also with its storage
and missing-value marker; a categorical with its categories, their dtype and whether they are
ordered) and one JSON value per row. Labels that JSON holds as they are (``str``, ``int``,
``float``, ``bool``, ``None``) are written plainly; the others as one-key objects::

    {"tuple": [...]}                          ("a", 1)
    {"frozenset": [...]}                      frozenset({1, 2}), items in a fixed order
    {"bytes": "6869"}                         b"hi", as hex
    {"numpy": "int16", "value": 3}            numpy scalars in object columns

Anything else (timestamps, decimals, enums, named tuples, arbitrary objects) is refused with
:class:`LabelError`, which names the column, the label and its type. Every table is also read
back before it is written: a table that would not load back unchanged is refused likewise.

Files of format version 1 stored tuples as JSON lists and categories without their dtype; both
still load (a list can only have been a tuple, since labels are hashable).

Examples
--------
>>> import json
>>> import pandas as pd
>>> from pandas_hier._labels_json import table_from_json, table_to_json
>>> t = pd.DataFrame({"site": pd.Series([("a", 1), ("b", 2)], dtype=object), "n_rows": [3, 4]})
>>> record = table_to_json(t)
>>> record["columns"]["site"]["values"]
[{'tuple': ['a', 1]}, {'tuple': ['b', 2]}]
>>> back = table_from_json(json.loads(json.dumps(record)), {})
>>> back["site"].tolist()
[('a', 1), ('b', 2)]
"""

from __future__ import annotations

import json
from collections.abc import Collection, Hashable, Mapping

import numpy as np
import pandas as pd

__all__ = ["LabelError", "decode_value", "encode_value", "table_from_json", "table_to_json"]

#: Label types written as plain JSON values (exact types: a subclass would load as its base).
_PLAIN = (str, int, float, bool, type(None))
SUPPORTED = (
    "str, int, float, bool, None, bytes, numpy numbers and strings, or tuples and frozensets "
    "of these (in object, numeric, bool, string or category columns)"
)


class LabelError(ValueError):
    """A label (or a column) that would not load back from the file unchanged."""


def _describe(value: object) -> str:
    text = repr(value)
    text = text if len(text) <= 80 else text[:77] + "..."
    return f"{text} of type {type(value).__name__}"


def _refusal(column: Hashable, noun: str, problem: str) -> LabelError:
    return LabelError(
        f"{noun} {column!r} {problem}; labels must be JSON-representable: {SUPPORTED}. "
        f"Convert them, e.g. df[{column!r}] = df[{column!r}].astype(str), and fit again"
    )


def encode_value(value: object) -> object:
    """The JSON value of one label; raises :class:`LabelError` (with the value) if there is none.

    Examples
    --------
    >>> import numpy as np
    >>> encode_value(("a", (1, None)))
    {'tuple': ['a', {'tuple': [1, None]}]}
    >>> encode_value(np.int8(3))
    {'numpy': 'int8', 'value': 3}
    """
    kind = type(value)
    if kind in _PLAIN:
        return value
    if kind is tuple:
        return {"tuple": [encode_value(v) for v in value]}
    if kind is frozenset:
        items = [encode_value(v) for v in value]
        return {"frozenset": sorted(items, key=lambda v: json.dumps(v, sort_keys=True))}
    if kind is bytes:
        return {"bytes": value.hex()}
    if isinstance(value, np.generic):
        if value.dtype.kind == "U":
            # str() of a numpy string drops trailing NUL characters; join keeps every one
            return {"numpy": "str_", "value": "".join((value,))}
        if value.dtype.kind in "biuf" and value.dtype.itemsize <= 8:
            return {"numpy": value.dtype.name, "value": value.item()}
    raise LabelError(value)


def decode_value(obj: object) -> object:
    """The label whose JSON value is ``obj`` (inverse of :func:`encode_value`).

    Examples
    --------
    >>> decode_value({"tuple": ["a", {"numpy": "int8", "value": 3}]})
    ('a', np.int8(3))
    >>> decode_value(["a", 1])  # format version 1 stored tuples as lists
    ('a', 1)
    """
    if isinstance(obj, list):
        return tuple(decode_value(v) for v in obj)
    if not isinstance(obj, dict):
        return obj
    if obj.keys() == {"tuple"}:
        return tuple(decode_value(v) for v in obj["tuple"])
    if obj.keys() == {"frozenset"}:
        return frozenset(decode_value(v) for v in obj["frozenset"])
    if obj.keys() == {"bytes"}:
        return bytes.fromhex(obj["bytes"])
    if obj.keys() == {"numpy", "value"}:
        if obj["numpy"] == "str_":
            return np.str_(obj["value"])
        dtype = np.dtype(obj["numpy"])
        if dtype.kind in "biuf":
            return dtype.type(obj["value"])
    raise ValueError(f"unknown label encoding {obj!r}")


def _dtype_to_json(dtype) -> dict:
    if isinstance(dtype, pd.StringDtype):
        na = "NaN" if isinstance(dtype.na_value, float) else "NA"
        return {"dtype": str(dtype), "storage": dtype.storage, "na_value": na}
    return {"dtype": str(dtype)}


def _dtype_from_json(entry: Mapping):
    if "storage" in entry:
        na_value = np.nan if entry["na_value"] == "NaN" else pd.NA
        return pd.StringDtype(entry["storage"], na_value=na_value)
    return pd.api.types.pandas_dtype(entry["dtype"])


def _objects(values: list) -> np.ndarray:
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):  # element by element: tuples must not become a 2-D array
        out[i] = v
    return out


def _labels(values: list, dtype) -> pd.Index:
    if dtype is None:  # format version 1: the dtype is inferred, as it was when written
        return pd.Index(values, tupleize_cols=False)
    if dtype == object:
        return pd.Index(_objects(values), dtype=object, tupleize_cols=False)
    return pd.Index(values, dtype=dtype)


def _encoded(name: Hashable, values: list, noun: str) -> list:
    out = []
    for label in values:
        try:
            out.append(encode_value(label))
        except LabelError as err:
            bad = err.args[0]
            inside = "" if bad is label else f" (inside the label {_describe(label)})"
            raise _refusal(
                name, noun, f"holds a label this file format cannot store: {_describe(bad)}{inside}"
            ) from None
    return out


def _column_to_json(name: Hashable, col: pd.Series, noun: str) -> dict:
    if isinstance(col.dtype, pd.CategoricalDtype):
        cats = col.cat.categories
        labels = _encoded(name, cats.tolist(), noun)
        return {
            "dtype": "category",
            "categories": labels,
            "categories_dtype": _dtype_to_json(cats.dtype),
            "ordered": bool(col.cat.ordered),
            "values": [labels[c] for c in col.cat.codes.tolist()],
        }
    return {**_dtype_to_json(col.dtype), "values": _encoded(name, col.tolist(), noun)}


def _column_from_json(entry: Mapping) -> pd.Series:
    values = [decode_value(v) for v in entry["values"]]
    if entry["dtype"] == "category":
        dtype_entry = entry.get("categories_dtype")
        cats = _labels([decode_value(v) for v in entry["categories"]],
                       None if dtype_entry is None else _dtype_from_json(dtype_entry))  # fmt: skip
        code_of = {label: code for code, label in enumerate(cats.tolist())}
        codes = np.array([code_of[v] for v in values], dtype=np.int64)
        dtype = pd.CategoricalDtype(cats, ordered=entry["ordered"])
        return pd.Series(pd.Categorical.from_codes(codes, dtype=dtype))
    dtype = _dtype_from_json(entry)
    if dtype == object:
        return pd.Series(_objects(values), dtype=object)
    return pd.Series(values, dtype=dtype)


def _same(a: object, b: object) -> bool:
    """Equal and of the same type, elements of tuples included (1, 1.0 and True differ)."""
    if type(a) is not type(b):
        return False
    if type(a) is tuple:
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return a == b or (a != a and b != b)  # NaN equals itself here


def _difference(a: pd.Series, b: pd.Series) -> str | None:
    """How ``b`` (read back) differs from ``a`` (the original), or None."""
    if a.dtype != b.dtype:
        return f"its dtype {a.dtype} would load back as {b.dtype}"
    if isinstance(a.dtype, pd.CategoricalDtype):
        ca, cb = a.cat.categories, b.cat.categories
        if ca.dtype != cb.dtype:
            return f"its categories' dtype {ca.dtype} would load back as {cb.dtype}"
        pairs = zip(ca.tolist(), cb.tolist(), strict=True)
        if a.cat.codes.tolist() != b.cat.codes.tolist():
            return "its category codes would change"
    else:
        pairs = zip(a.tolist(), b.tolist(), strict=True)
    for x, y in pairs:
        if not _same(x, y):
            return f"the label {_describe(x)} would load back as {_describe(y)}"
    return None


def table_to_json(table: pd.DataFrame, levels: Collection[Hashable] = ()) -> dict:
    """The JSON record of a lookup table.

    Raises :class:`LabelError` naming the column (a "level column" if it is in ``levels``) and
    a label that could not be stored, or how the column would not load back unchanged.

    Examples
    --------
    >>> import pandas as pd
    >>> t = pd.DataFrame({"when": pd.to_datetime(["2026-01-01"])})
    >>> table_to_json(t, levels=["when"])
    Traceback (most recent call last):
    ...
    pandas_hier._labels_json.LabelError: level column 'when' holds a label this file format cannot store: Timestamp('2026-01-01 00:00:00') of type Timestamp; labels must be JSON-representable: ...
    """
    def noun(name: Hashable) -> str:
        return "level column" if name in levels else "column"

    cols = {str(name): _column_to_json(name, col, noun(name)) for name, col in table.items()}
    order = [str(c) for c in table.columns]
    record = {"index_name": table.index.name, "columns": cols, "order": order}
    back = table_from_json(json.loads(json.dumps(record, allow_nan=True)), {})
    for (name, col), (_, col_back) in zip(table.items(), back.items(), strict=True):
        problem = _difference(col, col_back)
        if problem:
            raise _refusal(name, noun(name), f"would not load back unchanged: {problem}")
    return record


def table_from_json(record: Mapping, level_names: Mapping[str, Hashable]) -> pd.DataFrame:
    """The lookup table of a record written by :func:`table_to_json` (or by format version 1).

    ``level_names`` maps the names as stored (strings) to the level names; other columns keep
    their stored name. Raises ``KeyError`` or ``ValueError`` if the record is damaged.
    """
    data = {
        level_names.get(name, name): _column_from_json(record["columns"][name])
        for name in record["order"]
    }
    frame = pd.DataFrame(data)
    frame.index = pd.RangeIndex(len(frame), name=record["index_name"])
    return frame
