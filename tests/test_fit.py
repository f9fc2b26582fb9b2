"""df.hier.fit: API behaviour with PyMC's mock sampler (no MCMC), errors, immutability."""

from __future__ import annotations

import copy
import re
import warnings
from functools import partial

import numpy as np
import pandas as pd
import pytest

import pandas_hier
from pandas_hier import (
    ConvergenceWarning,
    DivergenceWarning,
    DroppedRowsWarning,
    HierValidationError,
    LevelsNotRecordedError,
    Prior,
    SamplerNotInstalledError,
)
from pandas_hier.datasets import simulate_salary

pm = pytest.importorskip("pymc")
LEVELS = ["degree", "state", "county"]


@pytest.fixture
def df() -> pd.DataFrame:
    return simulate_salary(n_states=2, n_counties=3, n_months=6, seed=7)


@pytest.fixture
def mock_sampler(monkeypatch):
    """Replace pm.sample by PyMC's mock (prior draws); diverging flags can be set per test."""
    from pymc.testing import mock_sample

    state = {"diverging": lambda size: np.zeros(size)}

    def sample(**kwargs):
        return partial(mock_sample, sample_stats=dict(state))(**kwargs)

    monkeypatch.setattr(pm, "sample", sample)
    return state


def quiet_fit(frame, *args, **kwargs):
    kwargs = {"draws": 20, "chains": 2, "sampler": "pymc", "random_seed": 1, "progressbar": False, **kwargs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pandas_hier.HierSamplingWarning)
        return frame.hier.fit(*args, **kwargs)


def test_fit_returns_labelled_immutable_result(df, mock_sampler):
    fit = quiet_fit(df, "month", "salary", levels=LEVELS)
    assert isinstance(fit, pandas_hier.HierFit)
    post = fit.idata["posterior"]
    assert post["b_county"].dims == ("chain", "draw", "county", "coef")
    assert list(post["coef"].values) == ["intercept", "month"]
    counties = post["county"].values
    assert len(counties) == 2 * 2 * 3 and all(isinstance(c, str) and c.count(" / ") == 2 for c in counties)
    # parent labels ride along as non-dimension coordinates
    assert post["county_parent"].dims == ("county",)
    first = fit.tables["county"].iloc[0]
    assert counties[0] == f"{first['degree']} / {first['state']} / {first['county']}"
    assert post["county_parent"].values[0] == f"{first['degree']} / {first['state']}"
    assert post["county_state"].values[0] == first["state"]
    assert post["state"].values.tolist() == [f"{d} / {s}" for d, s in fit.tables["state"][["degree", "state"]].itertuples(index=False)]
    # immutability
    with pytest.raises(AttributeError, match="immutable"):
        fit.x = ("other",)
    with pytest.raises(ValueError, match="read-only"):
        fit.idata["posterior"]["sigma"].values[0, 0] = 1.0
    tables = fit.tables
    tables["county"].loc[0, "n_rows"] = -5
    assert fit.tables["county"].loc[0, "n_rows"] > 0


def test_marginal_default_and_original_scale(df, mock_sampler):
    fit = quiet_fit(df, "month", "salary", levels=LEVELS)
    assert dict(fit.parameterization) == {lv: "marginal" for lv in LEVELS}
    # sigma is reported on the salary scale, sds of slopes in salary per month
    assert fit.idata["model_scale"]["sigma"].values.mean() * fit.scaling.y_sd == pytest.approx(
        fit.idata["posterior"]["sigma"].values.mean()
    )
    assert fit.scaling.y_mean == pytest.approx(df["salary"].mean())


def test_summary_coef_and_variance_components(df, mock_sampler):
    fit = quiet_fit(df, "month", "salary", levels=LEVELS)
    summ = fit.summary()
    assert list(summ.columns) == ["parameter", "level", "group", "coef", "mean", "sd", "hdi_low", "hdi_high", "ess_bulk", "ess_tail", "r_hat"]
    glob = summ[summ.parameter == "b_global"]
    assert glob["coef"].tolist() == ["intercept", "month"] and set(glob["level"]) == {"global"}
    county_rows = summ[summ.parameter == "b_county"]
    assert len(county_rows) == 12 * 2 and set(county_rows["level"]) == {"county"}
    assert (summ["hdi_low"] <= summ["mean"]).all() and (summ["mean"] <= summ["hdi_high"]).all()

    coef = fit.coef("county")
    assert list(coef.columns[:3]) == LEVELS
    assert {"intercept", "intercept_hdi_low", "month", "month_hdi_high", "n_rows", "pooling_intercept", "pooling_month"} <= set(coef.columns)
    assert coef["n_rows"].sum() == len(df)
    assert coef["pooling_intercept"].between(0, 1).all()
    mean_b = fit.idata["posterior"]["b_county"].mean(("chain", "draw")).values
    np.testing.assert_allclose(coef[["intercept", "month"]].to_numpy(), mean_b)
    assert len(fit.coef("degree")) == 2
    with pytest.raises(KeyError, match="unknown level 'town'"):
        fit.coef("town")

    vc = fit.variance_components()
    assert vc[["level", "coef"]].values.tolist() == [
        ["degree", "intercept"], ["degree", "month"], ["state", "intercept"], ["state", "month"],
        ["county", "intercept"], ["county", "month"], ["residual", "sigma"],
    ]
    assert "HierFit salary ~ month | degree (2) > state (4) > county (12)" in repr(fit)


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


def test_every_data_problem_is_reported_at_once(df):
    bad = df.assign(salary=df["salary"].astype(object))
    bad.loc[[1, 4], "salary"] = None
    bad.loc[2, "state"] = None
    with pytest.raises(HierValidationError) as info:
        bad.hier.fit(["month", "tenure"], "salary", levels=LEVELS, sampler="pymc")
    msg = str(info.value)
    assert "column 'tenure': column is not in the frame; check the spelling" in msg
    with pytest.raises(HierValidationError, match=r"column 'monht': column is not in the frame; check the spelling \(did you mean 'month'\?\)"):
        df.hier.fit("monht", "salary", levels=LEVELS)
    assert "column 'salary': missing values: 2 rows, e.g. rows 1, 4" in msg
    assert "column 'state': missing values: 1 rows, e.g. rows 2" in msg


def test_non_numeric_and_infinite_predictors(df):
    bad = df.assign(month=df["month"].astype(str), salary=df["salary"].replace(df["salary"].iloc[3], np.inf))
    with pytest.raises(HierValidationError) as info:
        bad.hier.fit("month", "salary", levels=LEVELS)
    msg = str(info.value)
    assert "column 'month': not a column of real numbers" in msg
    assert "column 'salary': infinite values: 1 rows, e.g. rows 3" in msg


def test_dropna_in_fit_warns_with_count(df, mock_sampler):
    bad = df.copy()
    bad.loc[[0, 5, 9], "salary"] = np.nan
    with pytest.warns(DroppedRowsWarning, match=r"dropped 3 of 72 rows with a missing value in \['salary'\]"):
        fit = quiet_fit(bad, "month", "salary", levels=LEVELS, dropna=True)
    assert fit.n_rows == 69


def test_constant_predictor_is_refused(df):
    with pytest.raises(ValueError, match=r"constant columns cannot be standardised or fitted: \['one'\]"):
        df.assign(one=1.0).hier.fit("one", "salary", levels=LEVELS)


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
    "make, match",
    [
        (lambda: Prior("HalfNormal", sd=1), r"Prior\('HalfNormal'\): unknown parameter 'sd' \(did you mean 'sigma'\?\); HalfNormal takes 'sigma'"),
        (lambda: Prior("Normal", mu=0, sigma=-2), r"Prior\('Normal'\): sigma=-2 must be a finite number > 0"),
        (lambda: Prior("Uniform", lower=5, upper=1), r"lower must be below upper"),
        (lambda: Prior("Gamma", alpha=2, beta=float("nan")), r"beta=nan must be a finite number > 0"),
    ],
)
def test_priors_with_parameters_pymc_would_ignore_or_reject_are_refused(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_silent_wrong_answers_are_refused(df):
    """Each of these used to be fitted without a word."""
    with pytest.raises(ValueError, match=r"y='salary' is also a predictor in x=\['month', 'salary'\]"):
        df.hier.fit(["month", "salary"], "salary", levels=LEVELS)
    with pytest.raises(ValueError, match=r"x lists 'month' more than once"):
        df.hier.fit(["month", "month"], "salary", levels=LEVELS)
    with pytest.raises(HierValidationError, match=r"column 'month': not a column of real numbers"):
        df.assign(month=df["month"] + 1j).hier.fit("month", "salary", levels=LEVELS)


def test_data_at_the_float64_limits(df, mock_sampler):
    """A response around 1e200 overflowed the sd and crashed the sampler; it is standardised
    exactly, and where sums of squares would overflow (no standardising) the column is named."""
    huge = df.assign(salary=df["salary"] * 1e196)
    fit = quiet_fit(huge, "month", "salary", levels=LEVELS)
    assert fit.scaling.y_sd == pytest.approx(df["salary"].std(ddof=0) * 1e196)
    assert np.isfinite(fit.idata["posterior"]["b_county"].values).all()
    with pytest.raises(ValueError, match=r"columns \['salary'\] cannot be summed in float64"):
        quiet_fit(huge, "month", "salary", levels=LEVELS, standardize=False)


@pytest.mark.parametrize("sampler", ["numpyro", "blackjax"])
def test_missing_sampler_names_the_extra(df, sampler):
    import importlib.util

    if importlib.util.find_spec(sampler) is not None:
        pytest.skip(f"{sampler} is installed here")
    with pytest.raises(SamplerNotInstalledError, match=r'pip install "pandas-hier\[jax\]"'):
        df.hier.fit("month", "salary", levels=LEVELS, sampler=sampler)


def test_divergence_warning_names_the_level(df, mock_sampler):
    def diverging(size):
        out = np.zeros(size)
        out[0, :5] = 1
        return out

    mock_sampler["diverging"] = diverging
    with pytest.warns(DivergenceWarning, match=r"5 of 40 post-warm-up transitions diverged, concentrated at level '(degree|state|county)'\. Try target_accept"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fit = df.hier.fit("month", "salary", levels=LEVELS, draws=20, chains=2, sampler="pymc", progressbar=False)
    assert fit.diagnostics.divergences == 5 and not fit.diagnostics.ok


def test_a_stuck_chain_gets_its_own_warning(df, mock_sampler):
    """A chain whose step size collapsed (seen: 3.5e-12, 1,023 gradient steps per draw) is named
    with the parameter it sits on, however good the other diagnostics look."""
    mock_sampler["step_size"] = lambda size: np.where(np.arange(size[0])[:, None] == 1, 3e-12, 0.45) + np.zeros(size)
    mock_sampler["reached_max_treedepth"] = lambda size: np.arange(size[0])[:, None] == 1 + np.zeros(size)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        fit = df.hier.fit("month", "salary", levels=LEVELS, draws=20, chains=2, sampler="pymc", progressbar=False)
    stuck = [str(w.message) for w in seen if w.category is pandas_hier.StuckChainWarning]
    assert len(stuck) == 1, [w.category for w in seen]
    assert re.search(r"chain 1 of 2 is stuck: its step size is 3e-12 \(median of the chains 0.23\) "
                     r"and 100% of its draws hit the maximum tree depth; it sits at \w+", stuck[0]), stuck[0]
    assert "Fit again with another random_seed" in stuck[0]
    assert fit.diagnostics.stuck_chains == (1,) and not fit.diagnostics.ok
    assert "stuck chains [1]" in repr(fit)


def test_every_chain_at_max_tree_depth_is_a_tree_depth_warning_not_a_stuck_chain(df, mock_sampler):
    """nutpie leaves its max-depth flag unset on most full-depth draws: depth itself counts."""
    mock_sampler["step_size"] = lambda size: np.full(size, 0.004)
    mock_sampler["tree_depth"] = lambda size: np.full(size, 10)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        fit = df.hier.fit("month", "salary", levels=LEVELS, draws=20, chains=2, sampler="pymc", progressbar=False)
    kinds = {w.category for w in seen}
    assert pandas_hier.TreeDepthWarning in kinds and pandas_hier.StuckChainWarning not in kinds
    msg = next(str(w.message) for w in seen if w.category is pandas_hier.TreeDepthWarning)
    assert "maximum tree depth (1023 gradient steps) in 100% of draws" in msg
    assert fit.diagnostics.stuck_chains == () and fit.diagnostics.maxdepth_share == (1.0, 1.0)


@pytest.mark.parametrize("call", ["accessor", "function"])
def test_warnings_point_at_the_callers_line(df, mock_sampler, call):
    """However deep in the library a warning arises, it names the user's own line."""
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        if call == "accessor":
            df.assign(salary=df["salary"].where(df.index != 3)).hier.fit(
                "month", "salary", levels=LEVELS, draws=20, chains=2, sampler="pymc",
                progressbar=False, dropna=True)  # fmt: skip
        else:
            pandas_hier.fit(df, "month", "salary", levels=LEVELS, draws=20, chains=2,
                            sampler="pymc", progressbar=False)  # fmt: skip
    ours = [w for w in seen if issubclass(w.category, (pandas_hier.HierSamplingWarning, DroppedRowsWarning))]
    assert ours and {w.filename for w in ours} == {__file__}, [(w.category, w.filename) for w in ours]


def test_convergence_warning_on_bad_chains(df, mock_sampler):
    # the mock repeats prior draws in every chain: ESS far below 100 per chain
    with pytest.warns(ConvergenceWarning, match=r"min bulk ESS \d+ .*want r_hat <= 1.01 and ESS >= 200"):
        df.hier.fit("month", "salary", levels=LEVELS, draws=20, chains=2, sampler="pymc", progressbar=False)


@pytest.mark.parametrize(
    "options",
    [
        {"parameterization": "noncentered", "likelihood": "studentt"},
        {"parameterization": "centered", "sd_per": "parent", "likelihood": "cauchy"},
        {"correlated": True},
        {"varying": {"state": ["intercept"]}},
        {"varying": {"county": []}},  # nothing varies at a level: used to crash after sampling
        {"standardize": False},
    ],
)
def test_option_variants_give_the_same_labelled_output(df, mock_sampler, options):
    fit = quiet_fit(df, "month", "salary", levels=LEVELS, **options)
    post = fit.idata["posterior"]
    assert post["b_county"].shape[2:] == (12, 2) and np.isfinite(post["b_county"].values).all()
    if options.get("sd_per") == "parent":
        assert post["sd_county"].dims == ("chain", "draw", "state", "coef_county")
    if options.get("varying") == {"county": []}:
        np.testing.assert_array_equal(post["b_county"].values, post["b_state"].values[:, :, fit.tables["county"]["state_idx"]])
    elif "varying" in options:
        assert list(post["coef_state"].values) == ["intercept"]
        # the slope does not vary at the state level: each state has its degree's slope
        b_state, b_degree = post["b_state"].values, post["b_degree"].values
        parent = fit.tables["state"]["degree_idx"].to_numpy()
        np.testing.assert_allclose(b_state[..., 1], b_degree[:, :, parent, 1])


def test_original_scale_map_preserves_predictions():
    from pandas_hier.design import Scaling

    rng = np.random.default_rng(0)
    x = rng.normal(10, 3, size=(50, 2))
    sc = Scaling(tuple(x.mean(0)), tuple(x.std(0)), 5.0, 2.0)
    theta = rng.normal(size=3)
    xs = (x - x.mean(0)) / x.std(0)
    pred_model = sc.y_mean + sc.y_sd * (theta[0] + xs @ theta[1:])
    t0, M = sc.coef_map()
    orig = t0 + M @ theta
    np.testing.assert_allclose(orig[0] + x @ orig[1:], pred_model)


def test_dropna_that_leaves_no_rows_says_so(df):
    with pytest.warns(DroppedRowsWarning, match="dropped 72 of 72 rows"):
        with pytest.raises(ValueError, match="no rows to fit"):
            df.assign(salary=np.nan).hier.fit("month", "salary", levels=LEVELS, dropna=True)


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
