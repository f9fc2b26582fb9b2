"""encode, tables and fit on Dask DataFrames, on a real dask.distributed LocalCluster (two worker
processes, several partitions): the pandas path's codes, tables, statistics and fit."""

from __future__ import annotations

import warnings

import dask.dataframe as dd
import distributed
import numpy as np
import pandas as pd
import pytest
from conftest import mock_fit
from helpers import quiet_fit

import pandas_hier
from pandas_hier.dask_frame import api
from pandas_hier.design import prepare
from pandas_hier.options import FitOptions

LEVELS = ["degree", "state", "county"]


@pytest.fixture(scope="module")
def client():
    with distributed.LocalCluster(
        n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
    ) as cluster, distributed.Client(cluster) as c:
        yield c


@pytest.fixture
def pdf():
    df = pandas_hier.datasets.load_salary().sample(frac=1, random_state=0)
    return df.set_axis(pd.RangeIndex(len(df)) * 3, axis=0)  # shuffled, non-default index


def _codes(frame):
    return frame[[f"{lv}_idx" for lv in LEVELS]]


def test_encode_and_tables_equal_the_pandas_path(client, pdf):
    ddf = dd.from_pandas(pdf, npartitions=5)
    enc = ddf.hier.encode(LEVELS)
    assert enc.npartitions == 5  # lazy, partitioned
    got, ref = enc.compute(), ddf.compute().hier.encode(LEVELS)  # the same data in pandas
    pd.testing.assert_frame_equal(got, ref)
    assert got.attrs == ref.attrs
    for lv, table in ref.hier.tables().items():
        pd.testing.assert_frame_equal(enc.hier.tables()[lv], table)


def test_codes_follow_category_order_and_mixed_labels(client):
    cats = pd.CategoricalDtype(["z", "b", "a", "unused"])
    pdf = pd.DataFrame({
        "top": pd.Series(["a", "z", "b", "a", "z", "b"] * 3, dtype=cats),
        "leaf": pd.Series([3, "3", 1, 2.5, 3, 1] * 3, dtype=object),
    })  # fmt: skip
    ddf = dd.from_pandas(pdf, npartitions=4)
    got = ddf.hier.encode(["top", "leaf"]).compute()
    pd.testing.assert_frame_equal(got, ddf.compute().hier.encode(["top", "leaf"]))
    assert got["top_idx"].tolist()[:3] == [2, 0, 1]


def test_reencoding_replaces_codes(client, pdf):
    enc = dd.from_pandas(pdf, npartitions=3).hier.encode(LEVELS)
    again = enc[enc["degree"] == pdf["degree"].iloc[0]].hier.encode().compute()
    ref = pdf[pdf["degree"] == pdf["degree"].iloc[0]].hier.encode(LEVELS)
    pd.testing.assert_frame_equal(_codes(again), _codes(ref))


def test_missing_levels_error_lists_every_partition(client, pdf):
    pdf = pdf.astype({"state": object})
    pdf.loc[[0, 2997], "state"] = None  # first and last partition
    ddf = dd.from_pandas(pdf.assign(county_idx=1), npartitions=4)
    with pytest.raises(pandas_hier.HierValidationError) as err:
        ddf.hier.encode(LEVELS)
    cases = err.value.failure_cases
    assert sorted(cases.loc[cases["check"] == "not_nullable", "index"]) == [0, 2997]
    assert "code_column_clash" in set(cases["check"])  # structural and row problems at once
    with pytest.raises(pandas_hier.HierValidationError, match="'nope'"):
        ddf.hier.encode(["degree", "nope"])


def test_dropna_warns_with_the_total_count(client, pdf):
    pdf = pdf.astype({"county": object})
    pdf.loc[[0, 3, 2997], "county"] = None
    ddf = dd.from_pandas(pdf, npartitions=4)
    with pytest.warns(pandas_hier.DroppedRowsWarning, match="dropped 3 of 2000 rows .*'county'"):
        enc = ddf.hier.encode(LEVELS, dropna=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pandas_hier.DroppedRowsWarning)
        ref = ddf.compute().hier.encode(LEVELS, dropna=True)
    pd.testing.assert_frame_equal(enc.compute(), ref)


def test_tables_need_codes_and_catch_stale_ones(client, pdf):
    ddf = dd.from_pandas(pdf, npartitions=3)
    with pytest.raises(pandas_hier.NotEncodedError, match="encode the frame first"):
        ddf.hier.tables(LEVELS)
    enc = ddf.hier.encode(LEVELS)
    stale = enc.map_partitions(lambda p: p.assign(state=p["state"].where(np.arange(len(p)) % 2 == 0, "x")))
    with pytest.raises(pandas_hier.HierValidationError, match="encoded frame"):
        stale.hier.tables()


def test_validate_reports_what_the_pandas_path_reports(client, pdf):
    raw = pdf.astype({"state": object})
    raw.loc[[0, 2997], "state"] = None  # first and last partition
    ddf = dd.from_pandas(raw, npartitions=4)
    with pytest.raises(pandas_hier.HierValidationError) as err:
        ddf.hier.validate(LEVELS + ["nope"])
    with pytest.raises(pandas_hier.HierValidationError) as ref:
        raw.hier.validate(LEVELS + ["nope"])
    key = ["column", "check", "index"]
    got, want = (e.value.failure_cases[key].astype(str) for e in (err, ref))
    assert sorted(map(tuple, got.to_numpy())) == sorted(map(tuple, want.to_numpy()))
    enc = dd.from_pandas(pdf, npartitions=3).hier.encode(LEVELS)
    assert enc.hier.validate() is enc  # a method chain goes on with the same frame
    stale = enc.map_partitions(lambda p: p.assign(state=p["state"].where(np.arange(len(p)) % 2 == 0, "x")))
    with pytest.raises(pandas_hier.HierValidationError, match="encoded frame"):
        stale.hier.validate()


def test_decode_equals_the_pandas_path(client, pdf):
    enc = dd.from_pandas(pdf, npartitions=3).hier.encode(LEVELS)
    codes = [99, 0, 57]
    ref = enc.compute().hier.decode("county", codes)  # the same data in pandas (Dask's dtypes)
    pd.testing.assert_frame_equal(enc.hier.decode("county", codes), ref)
    with pytest.raises(KeyError, match=r"\[100\] are not codes of level 'county'"):
        enc.hier.decode("county", [100])


@pytest.mark.parametrize("offset", [0.0, 1e9])
def test_statistics_equal_the_pandas_path(client, pdf, offset):
    pdf = pdf.assign(salary=pdf["salary"] + offset)
    opts = FitOptions()
    got = api._design(dd.from_pandas(pdf, npartitions=6), "month", "salary", LEVELS, False, opts)
    ref = prepare(pdf, "month", "salary", levels=LEVELS, dropna=False, options=opts)
    assert got.scaling.x_mean == pytest.approx(ref.scaling.x_mean, rel=1e-12)
    assert got.scaling.y_sd == pytest.approx(ref.scaling.y_sd, rel=1e-9)
    for field in ("n", "xtx", "xty", "yty"):
        a, b = getattr(ref.data.stats, field), getattr(got.data.stats, field)
        np.testing.assert_allclose(b, a, rtol=1e-8, atol=1e-8 * np.abs(a).max())


def test_fit_errors_and_warnings(client, pdf):
    bad = pdf.assign(month=pdf["month"].astype(float))
    bad.loc[[3, 2997], "month"] = np.inf
    ddf = dd.from_pandas(bad, npartitions=4)
    with pytest.raises(pandas_hier.HierValidationError) as err:
        ddf.hier.fit("month", "salry", levels=LEVELS)
    cases = err.value.failure_cases
    assert sorted(cases.loc[cases["check"] == "finite", "index"]) == [3, 2997]
    assert "did you mean 'salary'" in str(err.value)
    with pytest.raises(pandas_hier.InvalidParameterError, match=r"in memory.*compute\(\)"):
        ddf.hier.fit("month", "salary", levels=LEVELS, likelihood="studentt")
    with pytest.raises(pandas_hier.InvalidParameterError, match="draws"):
        ddf.hier.fit("month", "salary", levels=LEVELS, draws=0)
    missing = pdf.astype({"salary": float})
    missing.loc[[0, 2997], "salary"] = np.nan
    with pytest.warns(pandas_hier.DroppedRowsWarning, match="dropped 2 of 2000 .*'salary'"):
        design = api._design(dd.from_pandas(missing, npartitions=4), "month", "salary", LEVELS,
                             True, FitOptions())  # fmt: skip
    assert design.n_rows == 1998


def test_fit_predicts_and_saves(client, pdf, tmp_path):
    fit = mock_fit(dd.from_pandas(pdf, npartitions=4))
    ref = mock_fit(pdf)
    assert fit.n_rows == ref.n_rows and fit.training is None
    assert fit.tables["county"]["n_rows"].equals(ref.tables["county"]["n_rows"])
    assert fit.scaling.x_mean == pytest.approx(ref.scaling.x_mean, rel=1e-12)
    assert fit.scaling.y_sd == pytest.approx(ref.scaling.y_sd, rel=1e-12)
    pred = fit.predict(pdf.head(5))
    assert pred.shape[0] == 5
    fit.save(tmp_path / "d.hier")
    assert pandas_hier.load(tmp_path / "d.hier").coef("county").shape == fit.coef("county").shape


def test_fit_equals_the_pandas_fit_within_monte_carlo_error(client, pdf):
    kw = {"levels": LEVELS, "draws": 400, "chains": 2, "sampler": "nutpie"}
    got = quiet_fit(dd.from_pandas(pdf, npartitions=4), "month", "salary", **kw)
    ref = quiet_fit(pdf, "month", "salary", **kw)
    a, b = ref.summary(), got.summary()
    assert list(a.index) == list(b.index)
    # difference of two independent means of ~800 draws: a small fraction of the posterior sd
    assert ((a["mean"] - b["mean"]).abs() <= 0.35 * a["sd"] + 1e-9).all()
