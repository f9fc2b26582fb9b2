"""Property tests on random nested frames: invariants and round trips of the encoding."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given
from hypothesis import strategies as st
from strategies import nested_frames

import pandas_hier


def _paths(df: pd.DataFrame, levels) -> pd.Series:
    # Tuples of (type, value) so that 1 and "1" stay distinct as they do in the encoding.
    cols = [df[lv].astype(object) for lv in levels]
    return pd.Series(
        [tuple((type(v).__name__, v) for v in row) for row in zip(*cols, strict=True)],
        index=df.index,
    )


@given(nested_frames())
def test_codes_are_contiguous_from_zero(case):
    df, levels = case
    enc = df.hier.encode(levels)
    for lv in levels:
        codes = enc[f"{lv}_idx"].to_numpy()
        assert set(codes.tolist()) == set(range(codes.max() + 1))


@given(nested_frames())
def test_codes_biject_with_label_paths(case):
    df, levels = case
    enc = df.hier.encode(levels)
    for depth, lv in enumerate(levels):
        path = _paths(enc, levels[: depth + 1])
        pairs = set(zip(path, enc[f"{lv}_idx"], strict=True))
        assert len(pairs) == len({p for p, _ in pairs}) == len({c for _, c in pairs})


@given(nested_frames())
def test_decode_of_codes_gives_back_the_labels(case):
    df, levels = case
    enc = df.hier.encode(levels)
    leaf = levels[-1]
    decoded = pandas_hier.decode(enc, leaf, enc[f"{leaf}_idx"].to_numpy())
    decoded.index = enc.index
    for lv in levels:
        assert [(type(a), a) for a in decoded[lv].astype(object)] == [
            (type(b), b) for b in enc[lv].astype(object)
        ]


@given(nested_frames())
def test_each_child_has_exactly_one_parent(case):
    df, levels = case
    enc = df.hier.encode(levels)
    tabs = enc.hier.tables()
    for depth in range(1, len(levels)):
        child, parent = f"{levels[depth]}_idx", f"{levels[depth - 1]}_idx"
        assert (enc.groupby(child)[parent].nunique() == 1).all()
        # and the lookup table agrees with the rows
        table = tabs[levels[depth]]
        row_parent = enc.groupby(child)[parent].first()
        np.testing.assert_array_equal(table[parent].to_numpy(), row_parent.to_numpy())


@given(nested_frames(), st.randoms(use_true_random=False))
def test_codes_are_invariant_to_row_order(case, rnd):
    df, levels = case
    order = list(df.index)
    rnd.shuffle(order)
    enc = df.hier.encode(levels)
    shuffled = df.loc[order].hier.encode(levels)
    code_cols = [f"{lv}_idx" for lv in levels]
    pd.testing.assert_frame_equal(shuffled.loc[enc.index, code_cols], enc[code_cols])


@given(nested_frames())
def test_tables_count_every_row_once(case):
    df, levels = case
    enc = df.hier.encode(levels)
    for table in enc.hier.tables().values():
        assert table["n_rows"].sum() == len(df)
        assert table.index.equals(pd.RangeIndex(len(table), name=table.index.name))


@given(nested_frames())
def test_encoded_frames_validate(case):
    df, levels = case
    enc = df.hier.encode(levels)
    assert enc.hier.validate() is enc
