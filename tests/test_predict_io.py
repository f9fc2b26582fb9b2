"""Prediction (seen and unseen groups, policies, seeds), fit.encode/schema, checks, save/load."""

from __future__ import annotations

import json
import warnings
import zipfile
from functools import partial

import numpy as np
import pandas as pd
import pytest

import pandas_hier
from pandas_hier import HierFileError, HierValidationError
from pandas_hier.datasets import simulate_salary

pm = pytest.importorskip("pymc")
LEVELS = ["degree", "state", "county"]


def mock_fit(df: pd.DataFrame, **kwargs):
    """Fit through PyMC's mock sampler (prior draws): mechanics, not statistics."""
    from pymc.testing import mock_sample

    kwargs = {"levels": LEVELS, "draws": 30, "chains": 1, "sampler": "pymc", "progressbar": False, **kwargs}
    original = pm.sample
    pm.sample = partial(mock_sample, sample_stats={"diverging": lambda size: np.zeros(size)})
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return df.hier.fit("month", "salary", **kwargs)
    finally:
        pm.sample = original


@pytest.fixture(scope="module")
def fit():
    df = simulate_salary(n_states=2, n_counties=3, n_months=6, seed=7)
    return mock_fit(df, draws=50, chains=2, random_seed=1)


@pytest.fixture
def train():
    return simulate_salary(n_states=2, n_counties=3, n_months=6, seed=7)


def _row(degree, state, county, month=3):
    return {"degree": degree, "state": state, "county": county, "month": month}


def _mean_at(fit, level, code, month):
    b = fit.idata["posterior"][f"b_{level}"].values[:, :, code, :]
    return float((b[..., 0] + b[..., 1] * month).mean())


def test_known_rows_use_their_leaf(fit, train):
    pred = fit.predict(train.head(7))
    assert pred.index.equals(train.head(7).index)
    assert list(pred.columns) == ["mean", "hdi_low", "hdi_high", "level", "sampled"]
    assert set(pred["level"]) == {"county"} and not pred["sampled"].any()
    codes = fit.encode(train.head(7))["county_idx"]
    for i in range(7):
        assert pred["mean"].iloc[i] == pytest.approx(_mean_at(fit, "county", codes.iloc[i], train["month"].iloc[i]))
    assert (pred["hdi_low"] <= pred["mean"]).all() and (pred["mean"] <= pred["hdi_high"]).all()


def test_unseen_groups_walk_up_the_tree(fit, train):
    state = train["state"].iloc[0]
    new = pd.DataFrame(
        [
            _row("degree", state, "Atlantis"),          # new county in a known state
            _row("degree", "Narnia", "Atlantis"),       # new state (and county) in a known degree
            _row("phd", "Narnia", "Atlantis"),          # new degree: global
            _row("degree", state, "Atlantis", 9),       # same new county again
        ],
        index=["a", "b", "c", "d"],
    )
    pred = fit.predict(new, random_seed=0)
    assert pred["level"].tolist() == ["state", "degree", "global", "state"]
    assert pred["sampled"].all()
    parent = fit.predict(new, unseen="parent")
    state_code = fit.encode(new)["state_idx"].iloc[0]
    assert parent["mean"]["a"] == pytest.approx(_mean_at(fit, "state", state_code, 3))
    assert not parent["sampled"].any()
    with pytest.raises(HierValidationError, match=r'3 group path\(s\) were not in the training data, e.g. degree / Alabama / Atlantis; degree / Narnia / Atlantis; phd / Narnia / Atlantis; use unseen="sample"'):
        fit.predict(new, unseen="error")


def test_rows_of_one_new_group_share_its_sampled_offset(fit, train):
    state = train["state"].iloc[0]
    new = pd.DataFrame([_row("degree", state, "Atlantis", 5), _row("degree", state, "Atlantis", 5),
                        _row("degree", state, "Lemuria", 5)])  # fmt: skip
    draws = fit.predict(new, kind="draws", random_seed=3)
    mu = draws["mu"].values
    np.testing.assert_array_equal(mu[..., 0], mu[..., 1])
    assert not np.allclose(mu[..., 0], mu[..., 2])
    assert draws["level"].values.tolist() == ["state"] * 3


def test_sampled_predictions_are_reproducible(fit, train):
    new = pd.DataFrame([_row("degree", "Narnia", "Atlantis"), _row("no degree", "Narnia", "Oz")])
    a = fit.predict(new, random_seed=11)
    b = fit.predict(new, random_seed=11)
    c = fit.predict(new, random_seed=12)
    pd.testing.assert_frame_equal(a, b)
    assert not np.allclose(a["mean"], c["mean"])
    pp1 = fit.predict(train.head(3), kind="posterior_predictive", random_seed=5)
    pp2 = fit.predict(train.head(3), kind="posterior_predictive", random_seed=5)
    pd.testing.assert_frame_equal(pp1, pp2)
    mean_only = fit.predict(train.head(3))
    assert ((pp1["hdi_high"] - pp1["hdi_low"]) > (mean_only["hdi_high"] - mean_only["hdi_low"])).all()


def test_missing_level_values_need_a_policy(fit, train):
    state = train["state"].iloc[0]
    new = pd.DataFrame([_row("degree", state, None), _row("degree", None, None)], index=[7, 8])
    with pytest.raises(HierValidationError, match=r"column 'county': missing values: 2 rows, e.g. rows 7, 8"):
        fit.predict(new)
    assert fit.predict(new, missing="parent")["level"].tolist() == ["state", "degree"]
    assert fit.predict(new, missing="global")["level"].tolist() == ["global", "global"]


def test_predict_reports_every_schema_problem_at_once(fit):
    bad = pd.DataFrame({"degree": [1, 2], "state": ["x", "y"], "month": ["3", "4"]})
    with pytest.raises(HierValidationError) as info:
        fit.predict(bad)
    msg = str(info.value)
    assert "column 'county': column is not in the frame" in msg
    assert "column 'month': not a column of real numbers" in msg
    assert "column 'degree': labels are not of the kind seen in training (string)" in msg
    assert set(info.value.columns) == {"county", "month", "degree"}


def test_fit_encode_uses_training_codes_and_sentinels(fit, train):
    new = pd.concat([train.head(2), pd.DataFrame([_row("degree", "Narnia", "Oz"), _row("degree", None, None)])], ignore_index=True)
    before = new.copy(deep=True)
    enc = fit.encode(new)
    pd.testing.assert_frame_equal(new, before)
    training_codes = train.hier.encode(LEVELS)["county_idx"].head(2).tolist()
    assert enc["county_idx"].tolist() == [*training_codes, -1, -2]
    assert enc["degree_idx"].tolist()[2:] == [0, 0]  # "degree" is known in both new rows
    assert enc["state_idx"].tolist()[2:] == [-1, -2]  # a new state, then a missing one


def test_posterior_predictive_and_loo(fit, train):
    checked = fit.posterior_predictive(random_seed=0)
    assert {"posterior_predictive", "observed_data"} <= set(checked.idata.children)
    assert checked.idata["posterior_predictive"]["salary"].shape == (2, 50, len(train))
    assert "posterior_predictive" not in fit.idata.children  # the original is unchanged
    loo = fit.loo()
    assert np.isfinite(loo.elpd) and loo.n_data_points == len(train)


def test_save_load_round_trip_is_exact(fit, train, tmp_path):
    path = fit.save(tmp_path / "salary.hier")
    with zipfile.ZipFile(path) as zf:
        names = zf.namelist()
        assert "spec.json" in names and all(n == "spec.json" or n.startswith("idata.zarr/") for n in names)
        spec = json.loads(zf.read("spec.json"))
    assert spec["format_version"] == 1 and spec["versions"]["pymc"]
    assert str(round(train["salary"].iloc[0], 2)) not in json.dumps(spec)  # no training rows
    same = pandas_hier.load(path)
    assert repr(same) == repr(fit)
    new = pd.concat([train.head(4), pd.DataFrame([_row("degree", "Narnia", "Oz"), _row("phd", "A", "B")])], ignore_index=True)
    pd.testing.assert_frame_equal(same.predict(new, random_seed=4), fit.predict(new, random_seed=4))
    pd.testing.assert_frame_equal(
        same.predict(new, kind="posterior_predictive", random_seed=4),
        fit.predict(new, kind="posterior_predictive", random_seed=4),
    )
    pd.testing.assert_frame_equal(same.summary(), fit.summary())
    pd.testing.assert_frame_equal(same.coef("county"), fit.coef("county"))
    for level in LEVELS:
        pd.testing.assert_frame_equal(same.tables[level], fit.tables[level])
    with pytest.raises(ValueError, match="holds no training rows; pass the training data as data="):
        same.loo()
    assert same.loo(data=train).elpd == pytest.approx(fit.loo().elpd)


def test_save_is_atomic(fit, tmp_path, monkeypatch):
    path = fit.save(tmp_path / "fit.hier")
    good = path.read_bytes()

    def crash(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(zipfile.ZipFile, "writestr", crash)
    with pytest.raises(RuntimeError, match="disk full"):
        fit.save(path)
    assert path.read_bytes() == good
    assert [p.name for p in tmp_path.iterdir()] == ["fit.hier"]  # no temporary left behind


def test_truncated_foreign_and_newer_files(fit, tmp_path):
    path = fit.save(tmp_path / "fit.hier")
    truncated = tmp_path / "truncated.hier"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(HierFileError, match=r"truncated\.hier: not a pandas-hier fit \(not a zip archive; the file may be truncated"):
        pandas_hier.load(truncated)
    foreign = tmp_path / "notes.hier"
    foreign.write_text("hello")
    with pytest.raises(HierFileError, match=r"notes\.hier: not a pandas-hier fit"):
        pandas_hier.load(foreign)
    other_zip = tmp_path / "other.hier"
    with zipfile.ZipFile(other_zip, "w") as zf:
        zf.writestr("data.csv", "a,b\n1,2\n")
    with pytest.raises(HierFileError, match=r"other\.hier: not a pandas-hier fit \(no spec.json inside\)"):
        pandas_hier.load(other_zip)
    newer = tmp_path / "newer.hier"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(newer, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "spec.json":
                spec = json.loads(data)
                spec["format_version"] = 99
                data = json.dumps(spec).encode()
            dst.writestr(item, data)
    with pytest.raises(HierFileError, match=r"newer\.hier: written by a newer pandas-hier \(format version 99"):
        pandas_hier.load(newer)
    with pytest.raises(HierFileError, match="no such file"):
        pandas_hier.load(tmp_path / "absent.hier")


def test_save_refuses_labels_that_json_cannot_hold(tmp_path):
    df = simulate_salary(n_states=2, n_counties=2, n_months=4, seed=3)
    df["state"] = pd.to_datetime("2026-01-01") + pd.to_timedelta(df["state"].factorize()[0], unit="D")
    dated = mock_fit(df, draws=10)
    with pytest.raises(HierFileError, match=r"cannot save to .*dated\.hier: .*Timestamp.*labels must be JSON-representable"):
        dated.save(tmp_path / "dated.hier")
    assert not any(tmp_path.iterdir())  # nothing written


@pytest.mark.parametrize("options", [{"correlated": True}, {"sd_per": "parent"}, {"varying": {"county": ["intercept"]}}])
def test_unseen_groups_under_other_scale_structures(options):
    """New-group offsets come from LKJ Cholesky factors, per-parent sds, or intercept-only
    variation, depending on the fit's options."""
    df = simulate_salary(n_states=2, n_counties=3, n_months=4, seed=8)
    fit = mock_fit(df, random_seed=2, **options)
    state = df["state"].iloc[0]
    new = pd.DataFrame([_row("degree", state, "Atlantis", 2), _row("degree", state, "Atlantis", 20),
                        _row("degree", "Narnia", "Oz", 2)])  # fmt: skip
    draws = fit.predict(new, kind="draws", random_seed=1)["mu"].values
    assert np.isfinite(draws).all()
    parent = fit.predict(new, kind="draws", unseen="parent")["mu"].values
    if "varying" in options:
        # only the intercept varies at the county level: a new county shifts both months equally
        np.testing.assert_allclose(draws[..., 1] - draws[..., 0], parent[..., 1] - parent[..., 0])
    else:
        assert not np.allclose(draws[..., 0], parent[..., 0])


def test_fit_encode_names_missing_level_columns(fit):
    with pytest.raises(HierValidationError, match=r"level columns \['state', 'county'\] are missing from the frame"):
        fit.encode(pd.DataFrame({"degree": ["degree"], "month": [1]}))
