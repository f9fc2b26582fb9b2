"""Tests of pandas_hier.routes: which route samples which model."""

from __future__ import annotations

import numpy as np
import pytest

from pandas_hier.options import FitOptions, Prior
from pandas_hier.routes import leaf_mh_covers, resolve_parameterization

ROWS = [np.array([500, 600]), np.array([120, 300]), np.array([20, 40])]


def test_auto_takes_the_marginal_engine_or_the_gibbs_sampler():
    assert resolve_parameterization(FitOptions(), ROWS) == ("marginal",) * 3
    for family in ("cauchy", "bernoulli", "negbinomial", "poisson"):
        assert resolve_parameterization(FitOptions(likelihood=family), ROWS) == ("augmented",) * 3
    assert resolve_parameterization(FitOptions(parameterization="centered"), ROWS) == ("centered",) * 3


def test_auto_falls_back_to_the_row_level_model_per_level():
    # a global prior the exact kernel cannot integrate: centred where every group has at least
    # 100 rows, else non-centred
    wide = FitOptions(likelihood="cauchy", priors={"slope": Prior("StudentT", nu=3, sigma=1)})
    assert resolve_parameterization(wide, ROWS) == ("centered", "centered", "noncentered")
    # the Poisson's per-leaf sampler needs every coefficient varying at the leaf level or at none
    slope_above = np.array([[True, True], [True, True], [True, False]])
    counts = FitOptions(likelihood="poisson")
    assert resolve_parameterization(counts, ROWS, varying=slope_above) == ("centered", "centered", "noncentered")
    fixed_slope = np.array([[True, False], [True, False], [True, False]])
    assert resolve_parameterization(counts, ROWS, varying=fixed_slope) == ("augmented",) * 3
    # other families do not need it
    bern = FitOptions(likelihood="bernoulli")
    assert resolve_parameterization(bern, ROWS, varying=slope_above) == ("augmented",) * 3


def test_augmented_poisson_outside_the_per_leaf_sampler_is_refused_by_name():
    opts = FitOptions(likelihood="poisson", parameterization="augmented")
    with pytest.raises(ValueError, match="vary at the leaf level or at no level"):
        resolve_parameterization(opts, ROWS, varying=np.array([[True, True], [True, True], [True, False]]))


@pytest.mark.parametrize(
    "varying, expected",
    [([[1, 1], [1, 1]], True), ([[1, 0], [1, 0]], True), ([[1, 1], [1, 0]], False),
     ([[0, 0], [1, 0]], True), ([[0, 1], [0, 0]], False)],
)  # fmt: skip
def test_leaf_mh_covers(varying, expected):
    assert leaf_mh_covers(np.array(varying, bool)) is expected
