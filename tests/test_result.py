"""Tests of pandas_hier.result: HierFit labels, immutability, summary, coef, repr."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import LEVELS, quiet_fit

import pandas_hier

pytest.importorskip("pymc")


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
