"""Tests of pandas_hier.fitting: df.hier.fit's arguments, defaults and inputs."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
from helpers import LEVELS, quiet_fit

import pandas_hier
from pandas_hier import LevelsNotRecordedError, Prior

pytest.importorskip("pymc")


def test_marginal_default_and_original_scale(df, mock_sampler):
    fit = quiet_fit(df, "month", "salary", levels=LEVELS)
    assert dict(fit.parameterization) == {lv: "marginal" for lv in LEVELS}
    # sigma is reported on the salary scale, sds of slopes in salary per month
    assert fit.idata["model_scale"]["sigma"].values.mean() * fit.scaling.y_sd == pytest.approx(
        fit.idata["posterior"]["sigma"].values.mean()
    )
    assert fit.scaling.y_mean == pytest.approx(df["salary"].mean())


def test_fit_on_encoded_frame_uses_recorded_levels(df, mock_sampler):
    enc = df.hier.encode(LEVELS)
    fit = quiet_fit(enc, "month", "salary")
    assert fit.levels == tuple(LEVELS)
    lost = enc.copy()
    lost.attrs = {}
    with pytest.raises(LevelsNotRecordedError, match="pass levels="):
        quiet_fit(lost, "month", "salary")
    # code columns present but the record lost: passing levels works (re-encoded from labels)
    assert quiet_fit(lost, "month", "salary", levels=LEVELS).n_rows == len(df)


def test_fit_never_mutates_the_callers_frame(df, mock_sampler):
    enc = df.hier.encode(LEVELS)
    before, attrs = enc.copy(deep=True), copy.deepcopy(enc.attrs)
    quiet_fit(enc, "month", "salary")
    pd.testing.assert_frame_equal(enc, before)
    assert enc.attrs == attrs


@pytest.mark.parametrize(
    "kwargs, exc, match",
    [
        ({"sampler": "stan"}, ValueError, "sampler='stan' is not one of 'nutpie', 'pymc', 'numpyro', 'blackjax'"),
        ({"priors": {"tau": Prior("HalfNormal", sigma=1)}}, ValueError, r"unknown prior keys \['tau'\]"),
        ({"varying": {"town": ["intercept"]}}, ValueError, r"varying= names unknown levels \['town'\]"),
        ({"varying": {"state": ["age"]}}, ValueError, r"varying\['state'\] names unknown coefficients \['age'\]; choose from \['intercept', 'month'\]"),
        ({"draws": 0}, ValueError, r"draws=0 is out of range: choose 1 <= draws <= 1,000,000"),
        ({"likelihood": "poisson"}, ValueError, "likelihood='poisson' is not one of"),
        # settings are checked before any work; a bool is not a count
        ({"draws": True}, TypeError, r"draws must be an integer, got True \(bool\)"),
        ({"chains": 2.0}, TypeError, r"chains must be an integer, got 2.0 \(float\)"),
        ({"chains": 65}, ValueError, r"chains=65 is out of range: choose 1 <= chains <= 64"),
        ({"tune": 0}, ValueError, r"tune=0 is out of range: choose 50 <= tune .*NUTS needs warm-up"),
        ({"draws": 10**7}, ValueError, r"draws=10000000 is out of range"),
        ({"random_seed": -1}, ValueError, r"fit: random_seed must be None or an integer with 0 <= random_seed, got -1"),
        ({"progressbar": "no"}, TypeError, r"progressbar must be True or False, got 'no' \(str\)"),
        # values that used to be taken silently
        ({"correlated": "no"}, TypeError, r"correlated must be True or False, got 'no' \(str\)"),
        ({"standardize": "False"}, TypeError, r"standardize must be True or False, got 'False'"),
        ({"priors": {"sd": Prior("HalfNormal", sigma=1)}, "target_accept": "high"}, ValueError,
         r"fit: target_accept must be a number, got 'high' \(str\)"),
    ],
)
def test_bad_arguments(df, kwargs, exc, match, mock_sampler):
    with pytest.raises(exc, match=match):
        quiet_fit(df, "month", "salary", levels=LEVELS, **kwargs)


@pytest.mark.parametrize(
    "kwargs, error, match",
    [
        ({"method": "vi"}, ValueError, "method='vi' is not one of 'nuts', 'advi', 'pathfinder'"),
        ({"method": "advi", "iterations": 0}, ValueError, "fit: iterations=0 is out of range: choose 1 <= iterations"),
    ],
)
def test_bad_method_arguments_are_refused(df, kwargs, error, match):
    with pytest.raises(error, match=match):
        df.hier.fit("month", "salary", levels=LEVELS, progressbar=False, **kwargs)


def test_pathfinder_without_pymc_extras_names_the_extra(df, monkeypatch):
    import importlib.util

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda n, *a: None if n == "pymc_extras" else real(n, *a))
    with pytest.raises(pandas_hier.SamplerNotInstalledError, match=r'pandas-hier\[pathfinder\]'):
        df.hier.fit("month", "salary", levels=LEVELS, method="pathfinder", progressbar=False)
