"""Tests of pandas_hier.encoding: the rules of df.hier.encode / tables / validate / decode."""

from __future__ import annotations

import copy
import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import LEVELS, encoding_frame

import pandas_hier
from pandas_hier import (
    DroppedRowsWarning,
    HierValidationError,
    NotEncodedError,
)


@pytest.fixture
def df() -> pd.DataFrame:
    """The six-row frame of the encoding tests (not the salary frame of conftest.py)."""
    return encoding_frame()


# ---------------------------------------------------------------- codes


def test_codes_identify_the_level_path(df):
    enc = df.hier.encode(LEVELS)
    # Kings appears in (no, NY), (yes, NY) and (yes, CA): three different county groups.
    paths = enc[LEVELS].apply(tuple, axis=1)
    assert enc.groupby("county_idx").apply(lambda g: paths[g.index].nunique()).eq(1).all()
    assert enc["county_idx"].nunique() == paths.nunique() == 5
    assert enc["state_idx"].nunique() == enc[["degree", "state"]].drop_duplicates().shape[0] == 4


def test_codes_are_contiguous_and_follow_sorted_paths(df):
    enc = df.hier.encode(LEVELS)
    for depth, col in enumerate(["degree_idx", "state_idx", "county_idx"]):
        path = enc[LEVELS[: depth + 1]].apply(tuple, axis=1)
        expected = {p: i for i, p in enumerate(sorted(set(path)))}
        assert enc[col].tolist() == [expected[p] for p in path]


def test_result_is_new_frame_with_int32_codes_and_same_index(df):
    enc = df.hier.encode(LEVELS)
    assert enc is not df
    assert list(enc.columns) == [*df.columns, "degree_idx", "state_idx", "county_idx"]
    assert all(enc[c].dtype == np.int32 for c in ["degree_idx", "state_idx", "county_idx"])
    pd.testing.assert_index_equal(enc.index, df.index)
    pd.testing.assert_frame_equal(enc[df.columns], df)


def test_codes_do_not_depend_on_row_order(df):
    enc = df.hier.encode(LEVELS)
    shuffled = df.sample(frac=1.0, random_state=3).hier.encode(LEVELS)
    pd.testing.assert_frame_equal(shuffled.loc[enc.index], enc, check_like=False)


def test_custom_suffix(df):
    enc = pandas_hier.encode(df, LEVELS, suffix="_code")
    assert {"degree_code", "state_code", "county_code"} <= set(enc.columns)
    assert enc.hier.tables()["county"].index.name == "county_code"


def test_empty_frame_encodes_to_no_groups():
    empty = pd.DataFrame({"a": pd.Series([], dtype=str), "b": pd.Series([], dtype=str)})
    enc = empty.hier.encode(["a", "b"])
    assert len(enc) == 0 and enc["b_idx"].dtype == np.int32
    assert len(enc.hier.tables()["b"]) == 0


# ---------------------------------------------------------------- level dtypes


def test_categorical_levels_follow_category_order_and_drop_unused():
    df = pd.DataFrame(
        {"size": pd.Categorical(["small", "large", "small"], categories=["small", "medium", "large"])}
    )
    enc = df.hier.encode(["size"])
    assert enc["size_idx"].tolist() == [0, 1, 0]  # category order, "medium" unused: no group
    table = enc.hier.tables()["size"]
    assert table["size"].tolist() == ["small", "large"]
    assert isinstance(table["size"].dtype, pd.CategoricalDtype)


@pytest.mark.parametrize(
    "values, dtype",
    [
        ([3, 1, 3], "int64"),
        ([True, False, True], "bool"),
        (["b", "a", "b"], "str"),
        (["b", "a", "b"], "string"),
        (["b", "a", "b"], object),
    ],
)
def test_level_dtypes_keep_their_values_in_tables(values, dtype):
    df = pd.DataFrame({"g": pd.Series(values, dtype=dtype)})
    table = df.hier.encode(["g"]).hier.tables()["g"]
    assert table["g"].tolist() == sorted(set(values))
    assert table["g"].dtype == df["g"].dtype
    assert table["n_rows"].tolist() == [1, 2]


def test_one_and_string_one_are_different_labels():
    df = pd.DataFrame({"g": pd.Series([1, "1", 1, "a"], dtype=object)})
    enc = df.hier.encode(["g"])
    assert enc["g_idx"].nunique() == 3
    table = enc.hier.tables()["g"]
    labels = table["g"].tolist()
    assert 1 in labels and "1" in labels
    assert [type(v) for v in labels].count(int) == 1
    assert enc.loc[0, "g_idx"] == enc.loc[2, "g_idx"] != enc.loc[1, "g_idx"]


# ---------------------------------------------------------------- re-encoding


def test_reencode_without_levels_after_filtering(df):
    enc = df.hier.encode(LEVELS)
    filtered = enc[enc["state"] == "NY"]
    with pytest.raises(HierValidationError, match="not contiguous"):
        filtered.hier.tables()
    again = filtered.hier.encode()
    assert sorted(again["county_idx"].unique()) == list(range(again["county_idx"].nunique()))
    assert list(again.columns) == list(enc.columns)


def test_encode_twice_with_other_levels_replaces_own_code_columns(df):
    enc = df.hier.encode(LEVELS).hier.encode(["state", "county"])
    assert "degree_idx" not in enc.columns
    assert pandas_hier.hierarchy_of(enc).levels == ("state", "county")


# ---------------------------------------------------------------- input errors


def test_absent_columns_are_all_listed(df):
    with pytest.raises(HierValidationError) as info:
        df.hier.encode(["degree", "region", "town"])
    err = info.value
    assert set(err.failure_cases.loc[err.failure_cases.check == "column_in_dataframe", "column"]) == {
        "region",
        "town",
    }
    assert "column 'region': column is not in the frame" in str(err)
    assert "Columns in the frame: ['degree', 'state', 'county', 'month', 'salary']" in str(err)


def test_missing_values_error_names_column_count_and_rows(df):
    bad = df.copy()
    bad.loc[[11, 14], "state"] = None
    bad.loc[15, "county"] = np.nan
    with pytest.raises(HierValidationError) as info:
        bad.hier.encode(LEVELS)
    msg = str(info.value)
    assert "2 problems in the hierarchy data" in msg
    assert "column 'state': missing values: 2 rows, e.g. rows 11, 14" in msg
    assert "column 'county': missing values: 1 rows, e.g. rows 15" in msg
    assert "dropna=True" in msg
    cases = info.value.failure_cases
    assert sorted(cases.loc[cases.column == "state", "index"]) == [11, 14]


def test_absent_columns_and_missing_values_reported_together(df):
    bad = df.copy()
    bad.loc[12, "state"] = None
    with pytest.raises(HierValidationError) as info:
        bad.hier.encode(["degree", "state", "town"])
    assert set(info.value.columns) == {"state", "town"}


def test_many_failing_rows_are_abbreviated(df):
    bad = pd.concat([df] * 3, ignore_index=True)
    bad["county"] = None
    with pytest.raises(HierValidationError, match=r"18 rows, e.g. rows 0, 1, 2, 3, 4, \.\.\. \(13 more\)"):
        bad.hier.encode(LEVELS)


def test_code_column_clash_is_an_error(df):
    clash = df.assign(county_idx=99)
    with pytest.raises(HierValidationError, match="column 'county_idx': a column of that name already exists; pass suffix="):
        clash.hier.encode(LEVELS)


@pytest.mark.parametrize(
    "levels, match",
    [
        ([], "at least one column"),
        (["state", "state"], "distinct"),
        ("state", "list of column names"),
    ],
)
def test_bad_levels_argument(df, levels, match):
    with pytest.raises((ValueError, TypeError), match=match):
        df.hier.encode(levels)


def test_encode_rejects_non_frames():
    with pytest.raises(TypeError, match="encode: df must be a DataFrame, got Series"):
        pandas_hier.encode(pd.Series([1, 2]), ["a"])


# ---------------------------------------------------------------- dropna


def test_dropna_drops_and_warns_with_count(df):
    bad = df.copy()
    bad.loc[[11, 14], "county"] = None
    with pytest.warns(DroppedRowsWarning, match=r"dropped 2 of 6 rows with a missing value in \['county'\]"):
        enc = bad.hier.encode(LEVELS, dropna=True)
    assert list(enc.index) == [10, 12, 13, 15]
    assert enc["county_idx"].max() == enc["county_idx"].nunique() - 1


def test_dropna_without_missing_values_is_silent(df):
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        enc = df.hier.encode(LEVELS, dropna=True)
    assert len(enc) == len(df)


# ---------------------------------------------------------------- tables


def test_tables_shape_and_content(df):
    tabs = df.hier.encode(LEVELS).hier.tables()
    assert list(tabs) == LEVELS
    degree, state, county = tabs["degree"], tabs["state"], tabs["county"]
    assert list(degree.columns) == ["degree", "n_rows"]
    assert list(state.columns) == ["degree", "state", "degree_idx", "n_rows"]
    assert list(county.columns) == ["degree", "state", "county", "state_idx", "n_rows"]
    assert county.index.name == "county_idx"
    assert county["n_rows"].sum() == len(df)
    # parent code points at the parent row with the same labels
    joined = county.join(state, on="state_idx", suffixes=("", "_parent"))
    assert (joined["state"] == joined["state_parent"]).all()
    assert (joined["degree"] == joined["degree_parent"]).all()
    kings = county[(county.degree == "no") & (county.state == "NY") & (county.county == "Kings")]
    assert kings["n_rows"].tolist() == [2]


def test_tables_on_unencoded_frame_says_encode_first(df):
    with pytest.raises(NotEncodedError, match=r"encode the frame first, e.g. df.hier.encode\(\['degree', 'state', 'county'\]\)"):
        df.hier.tables(levels=LEVELS)


def test_decode_returns_paths(df):
    enc = df.hier.encode(LEVELS)
    decoded = pandas_hier.decode(enc, "county", enc["county_idx"])
    pd.testing.assert_frame_equal(decoded, enc[LEVELS].reset_index(drop=True))
    with pytest.raises(KeyError, match=r"codes \[5, 9\] are not codes of level 'county' \(valid: 0..4\)"):
        enc.hier.decode("county", [0, 5, 9])
    with pytest.raises(KeyError, match="unknown level 'town'"):
        enc.hier.decode("town", [0])


# ---------------------------------------------------------------- stale codes


def test_validate_passes_on_fresh_frames_and_returns_them(df):
    enc = df.hier.encode(LEVELS)
    assert enc.hier.validate() is enc
    assert df.hier.validate(LEVELS) is df


def test_validate_catches_labels_edited_after_encode(df):
    enc = df.hier.encode(LEVELS)
    edited = enc.copy()
    edited.loc[13, "state"] = "NY"  # (no, CA, Marin) -> (no, NY, Marin), codes unchanged
    with pytest.raises(HierValidationError) as info:
        edited.hier.validate()
    cases = info.value.failure_cases
    assert "codes no longer match one label path each" in str(info.value)
    stale = cases[cases.check == "one_code_per_path"]
    assert set(stale["column"]) == {"state_idx"}
    assert 13 in set(stale["index"])


def test_validate_catches_child_with_two_parents(df):
    enc = df.hier.encode(LEVELS)
    edited = enc.copy()
    edited.loc[10, "state_idx"] = enc.loc[13, "state_idx"]
    with pytest.raises(HierValidationError) as info:
        edited.hier.validate()
    checks = set(info.value.failure_cases["check"])
    assert {"one_parent", "one_code_per_path"} <= checks
    parent_rows = info.value.failure_cases.query("check == 'one_parent'")
    assert set(parent_rows["column"]) == {"county_idx"}


def test_validate_catches_non_integer_and_negative_codes(df):
    enc = df.hier.encode(LEVELS)
    with pytest.raises(HierValidationError, match="codes are not integers"):
        enc.assign(state_idx=enc["state_idx"].astype(float)).hier.validate()
    with pytest.raises(HierValidationError, match="negative codes"):
        enc.assign(degree_idx=enc["degree_idx"] - 1).hier.validate()


def test_tables_refuse_stale_codes(df):
    enc = df.hier.encode(LEVELS)
    edited = enc.assign(county="Kings")
    with pytest.raises(HierValidationError, match="re-encode with df.hier.encode()"):
        edited.hier.tables()


# ---------------------------------------------------------------- no mutation


def _snapshot(frame: pd.DataFrame):
    return frame.copy(deep=True), copy.deepcopy(frame.attrs), frame.dtypes.copy(), frame.index


@pytest.mark.parametrize(
    "call",
    [
        lambda d: d.hier.encode(LEVELS),
        lambda d: d.hier.encode(LEVELS, dropna=True),
        lambda d: pandas_hier.encode(d, LEVELS, suffix="_c"),
        lambda d: d.hier.validate(LEVELS),
        lambda d: d.hier.encode(LEVELS).hier.encode(),
    ],
)
def test_raw_frame_is_never_mutated(df, call):
    df.attrs["owner"] = {"note": "mine"}
    frame, attrs, dtypes, index = _snapshot(df)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DroppedRowsWarning)
        call(df)
    pd.testing.assert_frame_equal(df, frame)
    assert df.attrs == attrs and df.index is index
    pd.testing.assert_series_equal(df.dtypes, dtypes)


@pytest.mark.parametrize(
    "call",
    [
        lambda e: e.hier.tables(),
        lambda e: e.hier.validate(),
        lambda e: e.hier.decode("county", [0, 1]),
        lambda e: e.hier.encode(),
        lambda e: pandas_hier.tables(e, LEVELS),
    ],
)
def test_encoded_frame_is_never_mutated(df, call):
    enc = df.hier.encode(LEVELS)
    frame, attrs, dtypes, index = _snapshot(enc)
    call(enc)
    pd.testing.assert_frame_equal(enc, frame)
    assert enc.attrs == attrs and enc.index is index


def test_writing_to_the_result_leaves_the_input_alone(df):
    enc = df.hier.encode(LEVELS)
    enc.loc[10, "salary"] = -1.0
    enc.loc[10, "state"] = "ZZ"
    assert df.loc[10, "salary"] == 10.0 and df.loc[10, "state"] == "NY"


def test_missing_value_frame_is_not_mutated_by_a_failed_encode(df):
    bad = df.copy()
    bad.loc[11, "state"] = None
    frame, attrs, _, _ = _snapshot(bad)
    with pytest.raises(HierValidationError):
        bad.hier.encode(LEVELS)
    pd.testing.assert_frame_equal(bad, frame)
    assert bad.attrs == attrs


def test_fit_shortcut_gives_the_same_frame_and_tables_as_encode_then_tables(df):
    """fit encodes and builds tables in one step without re-validating the fresh codes."""
    from pandas_hier import encoding

    hier = encoding.Hierarchy(tuple(LEVELS), "_idx")
    enc, tabs = encoding._encode_with_tables(df, hier)
    want = df.hier.encode(LEVELS)
    pd.testing.assert_frame_equal(enc, want)
    for level, table in want.hier.tables().items():
        pd.testing.assert_frame_equal(tabs[level], table)
