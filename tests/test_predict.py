"""Tests of pandas_hier.predict: seen and unseen groups, policies, seeds, and fit.encode."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from helpers import LEVELS, _row

from conftest import mock_fit
from pandas_hier import HierValidationError
from pandas_hier.datasets import simulate_salary

pytest.importorskip("pymc")


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


def test_fit_encode_uses_training_codes_and_sentinels(fit, train):
    new = pd.concat([train.head(2), pd.DataFrame([_row("degree", "Narnia", "Oz"), _row("degree", None, None)])], ignore_index=True)
    before = new.copy(deep=True)
    enc = fit.encode(new)
    pd.testing.assert_frame_equal(new, before)
    training_codes = train.hier.encode(LEVELS)["county_idx"].head(2).tolist()
    assert enc["county_idx"].tolist() == [*training_codes, -1, -2]
    assert enc["degree_idx"].tolist()[2:] == [0, 0]  # "degree" is known in both new rows
    assert enc["state_idx"].tolist()[2:] == [-1, -2]  # a new state, then a missing one


def test_fit_encode_names_missing_level_columns(fit):
    with pytest.raises(HierValidationError, match=r"level columns \['state', 'county'\] are missing from the frame"):
        fit.encode(pd.DataFrame({"degree": ["degree"], "month": [1]}))
