"""Tests of pandas_hier.checks: posterior predictive checks and LOO."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pymc")


def test_posterior_predictive_and_loo(fit, train):
    checked = fit.posterior_predictive(random_seed=0)
    assert {"posterior_predictive", "observed_data"} <= set(checked.idata.children)
    assert checked.idata["posterior_predictive"]["salary"].shape == (2, 50, len(train))
    assert "posterior_predictive" not in fit.idata.children  # the original is unchanged
    loo = fit.loo()
    assert np.isfinite(loo.elpd) and loo.n_data_points == len(train)
