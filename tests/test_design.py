"""Tests of pandas_hier.design: data to fit, scaling, parameterization, structure keys."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import LEVELS, quiet_fit, tiny_data

from pandas_hier import DroppedRowsWarning, HierValidationError

pm = pytest.importorskip("pymc")

from pandas_hier.backend import model as hm  # noqa: E402
from pandas_hier.design import structure_key  # noqa: E402
from pandas_hier.options import FitOptions, Prior  # noqa: E402


def test_structure_key_separates_what_the_compiled_graph_bakes_in():
    data = tiny_data(p=1)
    other_values = tiny_data(p=1, seed=9)  # same shapes, other numbers
    varying = np.ones((3, 2), bool)
    param = ["marginal"] * 3
    key = structure_key(data, FitOptions(), varying, param)
    assert key == structure_key(other_values, FitOptions(), varying, param)
    assert key != structure_key(data, FitOptions(sd_per="parent"), varying, param)
    assert key != structure_key(tiny_data(p=1, sizes=(2, 3, 6)), FitOptions(), varying, param)
    partial = varying.copy()
    partial[1, 1] = False
    assert key != structure_key(data, FitOptions(), partial, param)
    built = hm.build_model(data, FitOptions(), varying, param)
    assert {"hier_n", "hier_xtx", "hier_parent_2"} <= set(built.data_values)
    # names become variable and dimension names of the compiled model: renamed levels or
    # predictors must not reuse it (a second fit with a renamed level crashed after sampling)
    from dataclasses import replace

    assert key != structure_key(replace(data, levels=("A", "B", "C")), FitOptions(), varying, param)
    assert key != structure_key(replace(data, coefs=("intercept", "z")), FitOptions(), varying, param)
    assert key != structure_key(replace(data, X=data.X.astype(np.float32)), FitOptions(), varying, param)


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


def test_non_numeric_and_infinite_predictors(df):
    bad = df.assign(month=df["month"].astype(str), salary=df["salary"].replace(df["salary"].iloc[3], np.inf))
    with pytest.raises(HierValidationError) as info:
        bad.hier.fit("month", "salary", levels=LEVELS)
    msg = str(info.value)
    assert "column 'month': not a column of real numbers" in msg
    assert "column 'salary': infinite values: 1 rows, e.g. rows 3" in msg


def test_silent_wrong_answers_are_refused(df):
    """Each of these used to be fitted without a word."""
    with pytest.raises(ValueError, match=r"y='salary' is also a predictor in x=\['month', 'salary'\]"):
        df.hier.fit(["month", "salary"], "salary", levels=LEVELS)
    with pytest.raises(ValueError, match=r"x lists 'month' more than once"):
        df.hier.fit(["month", "month"], "salary", levels=LEVELS)
    with pytest.raises(HierValidationError, match=r"column 'month': not a column of real numbers"):
        df.assign(month=df["month"] + 1j).hier.fit("month", "salary", levels=LEVELS)


def test_constant_predictor_is_refused(df):
    with pytest.raises(ValueError, match=r"constant columns cannot be standardised or fitted: \['one'\]"):
        df.assign(one=1.0).hier.fit("one", "salary", levels=LEVELS)


def test_data_at_the_float64_limits(df, mock_sampler):
    """A response around 1e200 overflowed the sd and crashed the sampler; it is standardised
    exactly, and where sums of squares would overflow (no standardising) the column is named."""
    huge = df.assign(salary=df["salary"] * 1e196)
    fit = quiet_fit(huge, "month", "salary", levels=LEVELS)
    assert fit.scaling.y_sd == pytest.approx(df["salary"].std(ddof=0) * 1e196)
    assert np.isfinite(fit.idata["posterior"]["b_county"].values).all()
    with pytest.raises(ValueError, match=r"columns \['salary'\] cannot be summed in float64"):
        quiet_fit(huge, "month", "salary", levels=LEVELS, standardize=False)


def test_dropna_in_fit_warns_with_count(df, mock_sampler):
    bad = df.copy()
    bad.loc[[0, 5, 9], "salary"] = np.nan
    with pytest.warns(DroppedRowsWarning, match=r"dropped 3 of 72 rows with a missing value in \['salary'\]"):
        fit = quiet_fit(bad, "month", "salary", levels=LEVELS, dropna=True)
    assert fit.n_rows == 69


def test_dropna_that_leaves_no_rows_says_so(df):
    with pytest.warns(DroppedRowsWarning, match="dropped 72 of 72 rows"):
        with pytest.raises(ValueError, match="no rows to fit"):
            df.assign(salary=np.nan).hier.fit("month", "salary", levels=LEVELS, dropna=True)
