"""Tests of pandas_hier._labels_json: each label type round-trips via save/load or is refused."""

from __future__ import annotations

import collections
import decimal
import enum
import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from helpers import LEVELS, _rewrite
from hypothesis import example, given
from hypothesis import strategies as st

import pandas_hier
from conftest import mock_fit
from pandas_hier import HierFileError
from pandas_hier._labels_json import LabelError, table_from_json, table_to_json

pytest.importorskip("pymc")


def _typed(value):
    """A label with its type spelled out, recursively (1, 1.0, True and np.int8(1) differ)."""
    if type(value) is tuple:
        return ("tuple", tuple(_typed(v) for v in value))
    if type(value) is frozenset:
        return ("frozenset", sorted(map(repr, (_typed(v) for v in value))))
    if isinstance(value, float) and value != value:
        return (type(value).__name__, "nan")
    return (type(value).__name__, repr(value))


def assert_tables_identical(got: pd.DataFrame, want: pd.DataFrame) -> None:
    # pandas' assert_frame_equal cannot compare frozenset values: check its parts one by one
    assert list(got.columns) == list(want.columns)
    pd.testing.assert_index_equal(got.index, want.index)
    assert [str(t) for t in got.dtypes] == [str(t) for t in want.dtypes]
    for name in want.columns:
        a, b = got[name], want[name]
        if isinstance(b.dtype, pd.CategoricalDtype):
            assert a.dtype == b.dtype and a.cat.categories.dtype == b.cat.categories.dtype, name
            np.testing.assert_array_equal(a.cat.codes, b.cat.codes)
            a, b = a.cat.categories.to_series(), b.cat.categories.to_series()
        assert [_typed(v) for v in a.tolist()] == [_typed(v) for v in b.tolist()], name


def _objects(values) -> pd.Series:
    out = np.empty(len(values), dtype=object)
    for i, v in enumerate(values):
        out[i] = v
    return pd.Series(out, dtype=object)


# Per case: level column -> the labels of its groups (in sorted order of the original names:
# 2 degrees, 2 state names, 5 county names), as a Series whose dtype the column gets.
CASES = {
    "tuple": {
        "state": _objects([("s", 1), ("s", 2)]),
        "county": _objects([("c", (0, "x")), ("c", (1, None)), ("d", (0, "x")), ("d",), ()]),
    },
    "bool": {"degree": pd.Series([False, True])},
    "int64": {"state": pd.Series([-(10**15), 10**15], dtype="int64"), "county": pd.Series([3, 1, 2, -7, 0], dtype="int64")},
    "int8": {"county": pd.Series([-128, 0, 127, 5, -5], dtype="int8")},
    "uint64": {"county": pd.Series([0, 2**63, 2**64 - 1, 1, 2], dtype="uint64")},
    "numpy ints in object": {"county": _objects([np.int8(-1), np.uint16(7), np.int64(2**40), np.int32(0), np.uint64(2**64 - 1)])},
    "python big ints": {"county": _objects([-(2**70), 0, 2**70, 2**64, 1])},
    "float": {"state": pd.Series([-0.5, 1e300]), "county": pd.Series([0.1, 0.2, 0.3, -1e30, 7.0], dtype="float32")},
    "nullable": {"degree": pd.Series([False, True], dtype="boolean"), "county": pd.Series([5, 6, 7, 8, 9], dtype="Int64")},
    "category with unused": {
        "degree": pd.Series(pd.Categorical(["d1", "d2"], categories=["d0", "d1", "d2"])),
        "state": pd.Series(pd.Categorical([20, 10], categories=[30, 20, 10, 40], ordered=True)),
        "county": pd.Series(pd.Categorical(["a", "b", "c", "d", "e"], categories=["zz", "a", "b", "c", "d", "e", "unused"])),
    },
    "string dtypes": {
        "degree": pd.Series(["x", "y"], dtype="str"),
        "state": pd.Series(["x", "y"], dtype="string[python]"),
        "county": pd.Series(["x", "y", "z", "", "ß"], dtype="string[pyarrow]"),
    },
    "object mixing 1 and '1'": {"state": _objects([1, "1"]), "county": _objects([2, "2", 2.5, True, "True"])},
    "unicode and empty": {"state": pd.Series(["", " "]), "county": pd.Series(["", "ü", "日本 😀", "\t", "a/b"])},
    "bytes, frozensets, numpy str": {
        "state": _objects([b"\x00a", b""]),
        "county": _objects([frozenset({1, "a"}), np.str_("s"), ("t", b"x", frozenset()), np.bool_(False), np.float32(0.5)]),
    },
}


def _relabel(df: pd.DataFrame, columns: dict) -> pd.DataFrame:
    out = df.copy()
    for column, labels in columns.items():
        codes = pd.factorize(df[column], sort=True)[0]
        out[column] = labels.take(codes).set_axis(df.index)
    return out


@pytest.mark.parametrize("case", CASES)
def test_labels_round_trip_with_type_and_dtype(case, salary, tmp_path):
    df = _relabel(salary, CASES[case])
    for column, labels in CASES[case].items():
        assert df[column].dtype == labels.dtype  # the case tests what it says
    fit = mock_fit(df, random_seed=1)
    path = fit.save(tmp_path / "fit.hier")
    same = pandas_hier.load(path)
    for level in LEVELS:
        assert_tables_identical(same.tables[level], fit.tables[level])
    # every training row is found in the loaded tables (unseen="error" raises otherwise)
    pd.testing.assert_frame_equal(same.predict(df, unseen="error"), fit.predict(df, unseen="error"))
    if case == "tuple":
        with zipfile.ZipFile(path) as zf:
            spec = json.loads(zf.read("spec.json"))
        assert {"tuple": ["s", 1]} in spec["tables"]["state"]["columns"]["state"]["values"]


def test_tuple_level_names_round_trip(salary, tmp_path):
    df = salary.rename(columns={"county": ("county", 1)})
    levels = ["degree", "state", ("county", 1)]
    fit = mock_fit(df, levels=levels, random_seed=1)
    same = pandas_hier.load(fit.save(tmp_path / "fit.hier"))
    assert same.levels == tuple(levels)
    assert_tables_identical(same.tables[("county", 1)], fit.tables[("county", 1)])
    pd.testing.assert_frame_equal(same.predict(df), fit.predict(df))


class Colour(enum.Enum):
    RED = 1
    BLUE = 2


Site = collections.namedtuple("Site", "region number")


REFUSED = {
    "Decimal": [decimal.Decimal(i) for i in range(5)],
    "Colour": [Colour.RED, Colour.BLUE, Colour.RED, Colour.BLUE, Colour.RED],  # an Enum would load back as its value
    "Site": [Site("a", i) for i in range(5)],  # a namedtuple as a plain tuple
    "Timestamp": [("c", pd.Timestamp("2026-01-01")), ("c", 1), ("c", 2), ("c", 3), ("c", 4)],  # inside a tuple
}


@pytest.mark.parametrize("kind", REFUSED)
def test_unsupported_labels_are_refused_at_save_time(kind, salary, tmp_path):
    df = _relabel(salary, {"county": _objects(REFUSED[kind])})
    fit = mock_fit(df, draws=10)
    with pytest.raises(HierFileError) as info:
        fit.save(tmp_path / "fit.hier")
    msg = str(info.value)
    assert msg.startswith(f"cannot save to {tmp_path / 'fit.hier'}: level column 'county' holds a label")
    assert f"of type {kind}" in msg
    assert "labels must be JSON-representable" in msg and "df['county'].astype(str)" in msg
    assert not any(tmp_path.iterdir())  # nothing written


def test_refusal_names_the_containing_label():
    table = pd.DataFrame({"g": _objects([("a", decimal.Decimal("1"))])})
    with pytest.raises(LabelError, match=r"level column 'g' .*Decimal\('1'\) of type Decimal \(inside the label \('a', Decimal\('1'\)\) of type tuple\)"):
        table_to_json(table, levels=["g"])


# ---------------------------------------------------------------- property test of the codec


_scalars = st.one_of(
    st.text(max_size=4), st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.booleans(),
    st.none(), st.binary(max_size=3),
    st.integers(-128, 127).map(np.int8), st.integers(0, 2**64 - 1).map(np.uint64),
    st.floats(width=32).map(np.float32), st.booleans().map(np.bool_), st.text(max_size=3).map(np.str_),
)  # fmt: skip


_labels = st.recursive(
    _scalars,
    lambda inner: st.one_of(st.tuples(inner, inner), st.lists(inner, max_size=3).map(tuple),
                            st.frozensets(st.one_of(st.text(max_size=2), st.integers()), max_size=3)),
    max_leaves=6,
)  # fmt: skip


def _column(draw, n: int) -> pd.Series:
    kind = draw(st.sampled_from(["object", "int8", "int64", "uint64", "float32", "float64", "bool",
                                 "str", "string", "category", "category_int"]))  # fmt: skip
    if kind == "object":
        return _objects(draw(st.lists(_labels, min_size=n, max_size=n)))
    if kind in ("int8", "int64", "uint64"):
        info = np.iinfo(kind)
        return pd.Series(draw(st.lists(st.integers(int(info.min), int(info.max)), min_size=n, max_size=n)), dtype=kind)
    if kind in ("float32", "float64"):
        width = 32 if kind == "float32" else 64
        return pd.Series(draw(st.lists(st.floats(width=width), min_size=n, max_size=n)), dtype=kind)
    if kind == "bool":
        return pd.Series(draw(st.lists(st.booleans(), min_size=n, max_size=n)), dtype=bool)
    if kind in ("str", "string"):
        return pd.Series(draw(st.lists(st.text(max_size=4), min_size=n, max_size=n)), dtype=kind)
    pool = st.text(max_size=3) if kind == "category" else st.integers(-5, 5)
    values = draw(st.lists(pool, min_size=n, max_size=n))
    unused = draw(st.lists(pool, max_size=2))
    cats = draw(st.permutations(list(dict.fromkeys(values + unused))))
    return pd.Series(pd.Categorical(values, categories=cats, ordered=draw(st.booleans())))


@st.composite
def _tables(draw) -> pd.DataFrame:
    n = draw(st.integers(1, 6))
    columns = [_column(draw, n) for _ in range(draw(st.integers(1, 3)))]
    table = pd.DataFrame({f"c{i}": col for i, col in enumerate(columns)})
    table.index = pd.RangeIndex(n, name="c_idx")
    return table


@given(_tables())
@example(pd.DataFrame({"c0": pd.Series([np.str_("\x00"), np.str_("a\x00")], dtype=object)},
                      index=pd.RangeIndex(2, name="c_idx")))  # str() of np.str_ drops NULs
def test_table_codec_round_trips_every_supported_label(table):
    text = json.dumps(table_to_json(table), allow_nan=True)
    assert_tables_identical(table_from_json(json.loads(text), {}), table)


def test_version_1_tables_still_load(salary, tmp_path):
    """Format version 1 wrote tuples as lists and categories without their dtype."""

    def v1(table: pd.DataFrame) -> dict:  # the version-1 writer, verbatim
        cols = {}
        for name, col in table.items():
            entry: dict = {"dtype": str(col.dtype)}
            if isinstance(col.dtype, pd.CategoricalDtype):
                entry["categories"] = col.cat.categories.tolist()
                entry["ordered"] = bool(col.cat.ordered)
            values = col.astype(object).tolist()
            entry["values"] = [v.item() if isinstance(v, np.generic) else v for v in values]
            cols[str(name)] = entry
        return {"index_name": table.index.name, "columns": cols, "order": [str(c) for c in table.columns]}

    df = _relabel(salary, {**CASES["tuple"], "degree": CASES["category with unused"]["degree"]})
    fit = mock_fit(df, random_seed=1)
    path = fit.save(tmp_path / "new.hier")
    old = _rewrite(path, tmp_path / "old.hier", spec_edit=lambda spec: spec.update(
        tables={str(lv): v1(fit.tables[lv]) for lv in LEVELS}))  # fmt: skip
    same = pandas_hier.load(old)
    for level in LEVELS:
        assert_tables_identical(same.tables[level], fit.tables[level])
    pd.testing.assert_frame_equal(same.predict(df, unseen="error"), fit.predict(df, unseen="error"))
