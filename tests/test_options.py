"""Tests of pandas_hier.options: FitOptions and Prior refuse what cannot be fitted."""

from __future__ import annotations

import pytest

from pandas_hier import Prior
from pandas_hier.options import FitOptions


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"parameterization": "marginal", "likelihood": "cauchy"}, "needs likelihood='normal'"),
        ({"parameterization": "marginal", "likelihood": "studentt"}, "needs likelihood='normal'"),
        ({"correlated": True, "sd_per": "parent"}, "correlated=True needs sd_per='level'"),
        ({"nu": 3.0}, "fit: nu=3.0 applies to likelihood='studentt' only, not likelihood='normal'"),
        ({"sd_per": "group"}, "sd_per='group' is not one of 'level', 'parent'"),
        ({"parameterization": "ncp"}, "is not one of 'auto', 'marginal', 'augmented', 'centered', 'noncentered'"),
        ({"target_accept": 1.0}, r"fit: target_accept=1.0 is out of range: choose 0.5 <= target_accept < 1"),
        ({"priors": {"sd": 1.0}}, "must be a pandas_hier.Prior"),
    ],
)
def test_invalid_option_combinations_are_refused(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        FitOptions(**kwargs)


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
