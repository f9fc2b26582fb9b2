"""Partition summaries and their merge: any split of the rows gives the whole frame's summary."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pandas_hier.dask_frame.summary import MAX_CASES, merge, summarize
from pandas_hier.schema import model_schema

LEVELS = ["a", "b"]


def _frame(n=600, seed=0, offset=0.0):
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "a": rng.choice(["p", "q", "r"], n), "b": rng.choice(["u", "v", "w", "x"], n),
        "x": rng.normal(size=n) + offset, "y": rng.normal(size=n) * 3 + offset,
    })  # fmt: skip


def _direct(df):
    """Per leaf (sorted path), n, means and centred co-moments computed plainly with groupby."""
    out = []
    for _, g in df.groupby(LEVELS, sort=True):
        z = g[["x", "y"]].to_numpy()
        out.append((len(z), z.mean(axis=0), (z - z.mean(axis=0)).T @ (z - z.mean(axis=0))))
    return out


@pytest.mark.parametrize("splits", [1, 3, 7])
@pytest.mark.parametrize("offset", [0.0, 1e9])
def test_merged_splits_equal_the_direct_moments(splits, offset):
    # At offset 1e9 the data themselves hold ~1e-7 absolute precision: sums of ~50 squares
    # agree to ~1e-5 whichever way they are computed.
    df = _frame(offset=offset)
    parts = np.array_split(np.random.default_rng(1).permutation(len(df)), splits)
    s = merge([merge([summarize(df.iloc[p], LEVELS, ["x", "y"])]) for p in parts])
    direct = _direct(df)
    assert s.n.tolist() == [n for n, _, _ in direct]
    np.testing.assert_allclose(s.mean * s.scale, [m for _, m, _ in direct], rtol=1e-13)
    com = s.comoment * np.outer(s.scale, s.scale)
    np.testing.assert_allclose(com, [c for _, _, c in direct], rtol=1e-11, atol=1e-4 if offset else 0)
    keys = list(s.labels.itertuples(index=False, name=None))
    assert keys == sorted(keys)


def test_huge_values_do_not_overflow():
    df = _frame().assign(x=lambda d: d["x"] * 1e300)
    s = merge([summarize(df.iloc[:300], LEVELS, ["x", "y"]), summarize(df.iloc[300:], LEVELS, ["x", "y"])])
    assert np.isfinite(s.comoment).all() and s.scale[0] > 1e300


def test_dropna_counts_and_columns():
    df = _frame(20).astype({"x": float})
    df.loc[[2, 5], "x"] = np.nan
    df.loc[7, "a"] = None
    s = summarize(df, LEVELS, ["x", "y"], dropna=True)
    assert (s.dropped, s.dropped_columns, int(s.n.sum()), s.n_rows) == (3, ("a", "x"), 17, 20)


def test_failures_list_every_problem_and_are_capped():
    df = _frame(3 * MAX_CASES).assign(x="not a number")
    df.loc[0, "a"] = None
    s = summarize(df, LEVELS, ["x", "y"], schema=lambda: model_schema(LEVELS, ["x"], "y", "real"))
    checks = s.failures.groupby(["column", "check"]).size()
    assert checks[("a", "not_nullable")] == 1
    assert checks.max() <= MAX_CASES
    assert merge([s, summarize(_frame(), LEVELS, ["x", "y"])]).failures is not None


def test_empty_partition_merges():
    df = _frame(30)
    s = merge([summarize(df.iloc[:0], LEVELS, ["x", "y"]), summarize(df, LEVELS, ["x", "y"])])
    assert int(s.n.sum()) == 30
