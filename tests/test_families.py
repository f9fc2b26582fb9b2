"""pandas_hier.families: each family's log-pdf and draws against SciPy, and the registry."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from pandas_hier import families
from pandas_hier.options import FitOptions

Y = np.array([0.3, -2.0, 5.0])
MU = np.array([[0.0, 1.0, 2.0], [1.0, 1.0, 1.0]])  # (draws, rows)
SIGMA = np.array([[1.5], [0.7]])
NU = np.array([3.0, 7.0])


@pytest.mark.parametrize(
    "name, extra, reference",
    [
        ("normal", {}, lambda: stats.norm.logpdf(Y, MU, SIGMA)),
        ("studentt", {"nu": NU}, lambda: stats.t.logpdf(Y, NU[:, None], MU, SIGMA)),
        ("cauchy", {}, lambda: stats.cauchy.logpdf(Y, MU, SIGMA)),
    ],
)
def test_logpdf_equals_scipy(name, extra, reference):
    np.testing.assert_allclose(families.get(name).logpdf(Y, MU, SIGMA, **extra), reference(), rtol=1e-12)


@pytest.mark.parametrize("name, extra", [("normal", {}), ("studentt", {"nu": np.array([5.0])})])
def test_draws_have_the_family_s_distribution(name, extra):
    rng = np.random.default_rng(0)
    mu, sigma = np.full((1, 50_000), 2.0), np.array([[3.0]])
    draws = families.get(name).draw(rng, mu, sigma, **extra).ravel()
    ref = stats.norm(2.0, 3.0) if name == "normal" else stats.t(5.0, 2.0, 3.0)
    assert stats.kstest(draws, ref.cdf).pvalue > 0.01


def test_extra_parameters_come_from_the_posterior_or_the_options():
    t = families.get("studentt")
    assert t.extra_draws({"nu": np.array([[4.0, 5.0]])}, FitOptions(likelihood="studentt"), 2)["nu"].tolist() == [4.0, 5.0]
    assert t.extra_draws({}, FitOptions(likelihood="studentt", nu=3.0), 2)["nu"].tolist() == [3.0, 3.0]
    assert families.get("normal").extra_draws({}, FitOptions(), 2) == {}


def test_registry_names_every_family_and_refuses_others():
    assert list(families.FAMILIES) == ["normal", "studentt", "cauchy"]
    assert families.get("normal").marginal and not families.get("cauchy").marginal
    with pytest.raises(KeyError, match=r"unknown likelihood 'poisson'; choose from \['normal', 'studentt', 'cauchy'\]"):
        families.get("poisson")
