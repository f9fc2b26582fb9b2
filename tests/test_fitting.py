"""Tests of pandas_hier.fitting: df.hier.fit's arguments, defaults and inputs."""

from __future__ import annotations

import copy

import numpy as np
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
        ({"likelihood": "gamma"}, ValueError, "likelihood='gamma' is not one of"),
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


def _glm_frame(family: str, seed: int = 0, n: int = 800) -> pd.DataFrame:
    """Rows of 8 groups with intercepts around -0.5 (sd 0.4) and a common slope 0.8 in x."""
    rng = np.random.default_rng(seed)
    group = rng.integers(0, 8, n)
    x = rng.standard_normal(n)
    eta = -0.5 + 0.4 * rng.standard_normal(8)[group] + 0.8 * x
    df = pd.DataFrame({"g": [f"g{i}" for i in group], "x": x})
    if family == "bernoulli":
        df["y"] = rng.random(n) < 1 / (1 + np.exp(-eta))  # bool outcome
    elif family == "binomial":
        df["n"] = rng.integers(1, 8, n)
        df["y"] = rng.binomial(df["n"], 1 / (1 + np.exp(-eta)))
    elif family == "poisson":
        df["t"] = rng.uniform(0.5, 2.0, n)
        df["y"] = rng.poisson(df["t"] * np.exp(eta + 1.0))
    else:
        mu = np.exp(eta + 1.0)
        df["y"] = rng.poisson(rng.gamma(3.0, mu / 3.0))
    return df


@pytest.mark.parametrize(
    "family, kwargs, valid",
    [
        ("bernoulli", {}, lambda y, df: np.isin(y, [0, 1])),
        ("binomial", {"trials": "n"}, lambda y, df: (y >= 0) & (y <= df["n"].to_numpy())),
        ("poisson", {"exposure": "t"}, lambda y, df: (y >= 0) & (y == np.floor(y))),
        ("negbinomial", {}, lambda y, df: (y >= 0) & (y == np.floor(y))),
    ],
)
def test_glm_families_fit_predict_check_and_round_trip(family, kwargs, valid, tmp_path):
    df = _glm_frame(family)
    before = df.copy()
    fit = quiet_fit(df, "x", "y", levels=["g"], likelihood=family, varying={"g": ["intercept"]},
                    chains=2, draws=300, tune=300, random_seed=3, sampler="nutpie", **kwargs)  # fmt: skip
    pd.testing.assert_frame_equal(df, before)
    summary = fit.summary()
    assert "link scale" in summary.attrs["scale"] and "link scale" in repr(fit)
    slope = summary.query("parameter == 'b_global' and coef == 'x'").iloc[0]
    assert abs(slope["mean"] - 0.8) < 4 * slope["sd"]  # the link-scale slope is recovered
    assert ("alpha" in set(summary["parameter"])) == (family == "negbinomial")
    assert "sigma" not in set(summary["parameter"])
    mean = fit.predict(df.head(5))["mean"].to_numpy()
    assert ((mean > 0) & (mean < 1)).all() if family in ("bernoulli", "binomial") else (mean > 0).all()
    y_rep = fit.posterior_predictive(random_seed=0).idata["posterior_predictive"]["y"].to_numpy()
    assert valid(y_rep, df).all()
    assert np.isfinite(fit.log_likelihood().to_numpy()).all()
    column = kwargs.get("trials") or kwargs.get("exposure")
    if column is not None:  # replicating new rows needs their trials or exposures
        with pytest.raises(pandas_hier.ColumnNotFoundError, match=f"needs the .* column '{column}'"):
            fit.predict(df.head(3).drop(columns=column), kind="posterior_predictive")
        bad = df.head(3).assign(**{column: [1.0, 0.0, 2.0]})
        with pytest.raises(ValueError, match=f"column '{column}' .* invalid values at rows \\[1\\]"):
            fit.predict(bad, kind="posterior_predictive")
        assert fit.predict(df.head(3).drop(columns=column)).shape[0] == 3  # kind="mean" needs none
    fit.save(tmp_path / "fit.zip")
    loaded = pandas_hier.load(tmp_path / "fit.zip")
    assert loaded.options == fit.options
    pd.testing.assert_frame_equal(loaded.predict(df.head(5)), fit.predict(df.head(5)))


@pytest.mark.parametrize(
    "family, column, values, match",
    [
        ("bernoulli", "y", [0, 1, 2, 1], r"column 'y': values other than 0 and 1: 1 rows, e.g. rows 2 \(values 2"),
        ("poisson", "y", [0, -1, 2, 1], r"column 'y': negative counts: 1 rows, e.g. rows 1 \(values -1"),
        ("poisson", "y", [0, 1.5, 2, 1], r"column 'y': values that are not whole numbers: 1 rows, e.g. rows 1 \(values 1.5"),
        ("binomial", "y", [0, 1, 9, 1], r"column 'y': more successes than trials: 1 rows, e.g. rows 2"),
        ("binomial", "n", [3, 0, 3, 3], r"column 'n': trials below 1: 1 rows, e.g. rows 1 \(values 0"),
        ("poisson", "t", [1.0, 0.0, 2.0, 1.0], r"column 't': exposures of 0 or less: 1 rows, e.g. rows 1 \(values 0.0"),
    ],
)  # fmt: skip
def test_bad_outcomes_are_refused_before_any_work(family, column, values, match):
    df = pd.DataFrame({"g": ["a", "a", "b", "b"], "x": [0.0, 1.0, 2.0, 3.0], "y": [0, 1, 1, 0],
                       "n": [3, 3, 3, 3], "t": [1.0, 1.0, 1.0, 1.0]})  # fmt: skip
    df[column] = values
    kwargs = {"binomial": {"trials": "n"}, "poisson": {"exposure": "t"}}.get(family, {})
    with pytest.raises(pandas_hier.HierValidationError, match=match):
        pandas_hier.fit(df, "x", "y", levels=["g"], likelihood=family, **kwargs)


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"likelihood": "binomial"}, r"likelihood='binomial' needs trials= naming the column"),
        ({"likelihood": "bernoulli", "trials": "n"}, r"trials= applies to likelihood 'binomial' only"),
        ({"likelihood": "normal", "exposure": "t"}, r"exposure= applies to likelihood 'poisson' or 'negbinomial' only"),
        ({"likelihood": "poisson", "exposure": "month"}, r"\['month'\] cannot be both trials= or exposure= and a predictor"),
    ],
)
def test_trials_and_exposure_belong_to_their_likelihoods(df, kwargs, match):
    with pytest.raises(pandas_hier.InvalidParameterError, match=match):
        pandas_hier.fit(df, "month", "salary", levels=LEVELS, **kwargs)
