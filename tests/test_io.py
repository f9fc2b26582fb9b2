"""Tests of pandas_hier.io: save writes an exact, atomic archive, or nothing."""

from __future__ import annotations

import json
import zipfile

import pandas as pd
import pytest
from helpers import LEVELS, _row

import pandas_hier
from conftest import mock_fit
from pandas_hier import HierFileError
from pandas_hier.datasets import simulate_salary

pytest.importorskip("pymc")


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


def test_save_refuses_labels_that_json_cannot_hold(tmp_path):
    df = simulate_salary(n_states=2, n_counties=2, n_months=4, seed=3)
    df["state"] = pd.to_datetime("2026-01-01") + pd.to_timedelta(df["state"].factorize()[0], unit="D")
    dated = mock_fit(df, draws=10)
    with pytest.raises(HierFileError, match=r"cannot save to .*dated\.hier: .*Timestamp.*labels must be JSON-representable"):
        dated.save(tmp_path / "dated.hier")
    assert not any(tmp_path.iterdir())  # nothing written
