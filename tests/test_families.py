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
    assert list(families.FAMILIES) == [
        "normal", "studentt", "cauchy", "bernoulli", "binomial", "poisson", "negbinomial",
    ]  # fmt: skip
    assert families.get("normal").marginal and not families.get("cauchy").marginal
    with pytest.raises(KeyError, match=r"unknown likelihood 'logit'; choose from \['normal', "):
        families.get("logit")


ETA = np.array([[-1.0, 0.5, 2.0], [0.3, -0.2, 0.0]])  # (draws, rows): the linear predictor
COUNTS = np.array([0.0, 3.0, 7.0])
TRIALS = np.array([2.0, 5.0, 9.0])
ALPHA = np.array([0.7, 12.0])


def _sigmoid(x):
    return 1 / (1 + np.exp(-x))


@pytest.mark.parametrize(
    "name, y, extra, reference",
    [
        ("bernoulli", np.array([0.0, 1.0, 1.0]), {},
         lambda y: stats.bernoulli.logpmf(y, _sigmoid(ETA))),
        ("binomial", COUNTS[:2].tolist() + [9.0], {"trials": TRIALS},
         lambda y: stats.binom.logpmf(y, TRIALS, _sigmoid(ETA))),
        ("poisson", COUNTS, {}, lambda y: stats.poisson.logpmf(y, np.exp(ETA))),
        ("negbinomial", COUNTS, {"alpha": ALPHA},
         lambda y: stats.nbinom.logpmf(y, ALPHA[:, None], ALPHA[:, None] / (ALPHA[:, None] + np.exp(ETA)))),
    ],
)  # fmt: skip
def test_glm_logpmf_equals_scipy(name, y, extra, reference):
    y = np.asarray(y)
    np.testing.assert_allclose(families.get(name).logpdf(y, ETA, None, **extra), reference(y), rtol=1e-10)


def test_glm_logpmf_stays_finite_for_extreme_linear_predictors():
    eta = np.array([[-800.0, 800.0]])
    assert np.isfinite(families.get("bernoulli").logpdf(np.array([1.0, 0.0]), eta, None)).all()
    assert np.isfinite(families.get("binomial").logpdf(np.array([0.0, 3.0]), -eta, None, trials=np.array([3.0, 3.0]))).all()


@pytest.mark.parametrize(
    "name, extra, reference",
    [
        ("bernoulli", {}, stats.bernoulli(_sigmoid(0.4))),
        ("binomial", {"trials": np.full(40_000, 6.0)}, stats.binom(6, _sigmoid(0.4))),
        ("poisson", {}, stats.poisson(np.exp(0.4))),
        ("negbinomial", {"alpha": np.array([2.5])}, stats.nbinom(2.5, 2.5 / (2.5 + np.exp(0.4)))),
    ],
)
def test_glm_draws_have_the_family_s_distribution(name, extra, reference):
    draws = families.get(name).draw(np.random.default_rng(1), np.full((1, 40_000), 0.4), None, **extra)
    values, counts = np.unique(draws, return_counts=True)
    expected = reference.pmf(values) * draws.size
    keep = expected > 20
    chi2 = ((counts[keep] - expected[keep]) ** 2 / expected[keep]).sum()
    assert stats.chi2(keep.sum()).sf(chi2) > 0.001
    assert abs(draws.mean() - reference.mean()) < 4 * reference.std() / np.sqrt(draws.size)


@pytest.mark.parametrize(
    "name, eta, mean",
    [("normal", 1.5, 1.5), ("bernoulli", 0.0, 0.5), ("binomial", np.log(3.0), 0.75), ("poisson", np.log(2.0), 2.0)],
)
def test_inverse_link_gives_the_response_scale_mean(name, eta, mean):
    assert families.get(name).inverse_link(np.array([eta]))[0] == pytest.approx(mean)
    assert ("log" in families.get(name).scale_note()) == (name != "normal")
