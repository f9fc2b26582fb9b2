"""Tests of pandas_hier.backend.model: exact marginal likelihood, options, coords (no MCMC)."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import _logp_and_grad, tiny_data
from pointing import FAST, transformed_point
from scipy import stats as sps

pm = pytest.importorskip("pymc")

from pandas_hier.backend import model as hm  # noqa: E402
from pandas_hier.options import FitOptions  # noqa: E402


def group_of_rows(data):
    """Per level, the group code of every row."""
    out = [data.leaf]
    for depth in range(len(data.sizes) - 1, 0, -1):
        out.insert(0, data.parents[depth][out[0]])
    return out


def dense_loglik(data, sigma, covs, m0, S0):
    """log N(y; X m0, X S0 X' + sum_l (X C_l X') o [same group at l] + sigma^2 I)."""
    X = data.X
    K = X @ S0 @ X.T + sigma**2 * np.eye(len(data.y))
    for depth, g in enumerate(group_of_rows(data)):
        C = covs[depth]
        if C.ndim == 3:  # per parent group (sd_per="parent"): C[parent of the row's group]
            par = data.parents[depth][g]
            Xi = np.einsum("ni,nij->nj", X, C[par])
            K += (Xi @ X.T) * (g[:, None] == g[None, :])
        else:
            K += (X @ C @ X.T) * (g[:, None] == g[None, :])
    return sps.multivariate_normal(X @ m0, K).logpdf(data.y)


def _point(built, values):
    return transformed_point(built.model, values)


def _evaluate(model, name, point):
    """Value of a model variable at a point of the value variables (RVs replaced by values)."""
    expr = model.replace_rvs_by_values([model[name]])[0]
    return model.compile_fn(
        expr, inputs=model.value_vars, on_unused_input="ignore", mode=FAST
    )(point)


def _potential(built, name, point):
    return float(_evaluate(built.model, name, point))


@pytest.mark.parametrize("p", [1, 2])
def test_marginal_loglik_equals_dense_mvn(p):
    data = tiny_data(p=p)
    opts = FitOptions()
    varying = np.ones((3, p + 1), bool)
    built = hm.build_model(data, opts, varying, ["marginal"] * 3)
    rng = np.random.default_rng(1)
    sds = [rng.uniform(0.2, 1.5, p + 1) for _ in range(3)]
    sigma = 0.7
    values = {"sigma": sigma, **{f"sd_L{i}": sds[i] for i in range(3)}}
    got = _potential(built, "marginal_loglik", _point(built, values))
    m0, s0 = built.global_prior
    want = dense_loglik(data, sigma, [np.diag(s**2) for s in sds], m0, np.diag(s0**2))
    assert got == pytest.approx(want, rel=1e-10, abs=1e-9)


def test_marginal_loglik_with_non_varying_coefficient_and_sd_per_parent():
    data = tiny_data(p=1)
    opts = FitOptions(sd_per="parent")
    varying = np.array([[True, True], [True, False], [True, True]])
    built = hm.build_model(data, opts, varying, ["marginal"] * 3)
    rng = np.random.default_rng(2)
    sd0 = rng.uniform(0.2, 1.5, 2)
    sd1 = rng.uniform(0.2, 1.5, (data.sizes[0], 1))  # per parent (L0 group), intercept only
    sd2 = rng.uniform(0.2, 1.5, (data.sizes[1], 2))
    values = {"sigma": 0.5, "sd_L0": sd0, "sd_L1": sd1, "sd_L2": sd2}
    got = _potential(built, "marginal_loglik", _point(built, values))
    c1 = np.zeros((data.sizes[0], 2, 2))
    c1[:, 0, 0] = sd1[:, 0] ** 2
    c2 = np.stack([np.diag(s**2) for s in sd2])
    m0, s0 = built.global_prior
    want = dense_loglik(data, 0.5, [np.diag(sd0**2), c1, c2], m0, np.diag(s0**2))
    assert got == pytest.approx(want, rel=1e-10, abs=1e-9)


def test_marginal_loglik_correlated():
    data = tiny_data(p=1)
    built = hm.build_model(data, FitOptions(correlated=True), np.ones((3, 2), bool), ["marginal"] * 3)
    model = built.model
    ip = model.initial_point()
    rng = np.random.default_rng(3)
    point = {k: v + rng.normal(0, 0.3, np.shape(v)) for k, v in ip.items()}
    got = _potential(built, "marginal_loglik", point)
    chols = [_evaluate(model, f"chol_L{i}", point) for i in range(3)]
    sigma = _evaluate(model, "sigma", point)
    m0, s0 = built.global_prior
    want = dense_loglik(data, float(sigma), [c @ c.T for c in chols], m0, np.diag(s0**2))
    assert got == pytest.approx(want, rel=1e-10, abs=1e-9)


# Every value of every option, and the pairs that interact (marginal x sd_per/correlated/partial,
# robust likelihoods x both full parameterizations), without compiling all 72 combinations.
OPTION_SETS = [
    # parameterization, sd_per, likelihood, correlated, partial, predictors
    ("marginal", "level", "normal", False, False, 2),
    ("marginal", "parent", "normal", False, True, 1),
    ("marginal", "level", "normal", True, True, 2),
    ("centered", "level", "studentt", False, True, 1),
    ("centered", "parent", "cauchy", False, False, 1),
    ("centered", "level", "normal", True, False, 1),
    ("noncentered", "level", "cauchy", True, False, 1),
    ("noncentered", "parent", "normal", False, True, 2),
    ("noncentered", "level", "studentt", True, True, 1),
]


@pytest.mark.parametrize("param, sd_per, lik, corr, partial, p", OPTION_SETS)
def test_option_combinations_build_with_finite_logp_and_gradient(param, sd_per, lik, corr, partial, p):
    data = tiny_data(p=p)
    opts = FitOptions(parameterization=param, sd_per=sd_per, likelihood=lik, correlated=corr)
    varying = np.ones((3, p + 1), bool)
    if partial:
        varying[1, 1] = False  # first slope does not vary at the middle level
    built = hm.build_model(data, opts, varying, [param] * 3)
    model = built.model
    ip = model.initial_point()
    logp, grad = _logp_and_grad(model, ip)
    assert np.isfinite(logp) and all(np.all(np.isfinite(g)) for g in grad)
    # dims and coords are labels, not integers
    assert list(model.coords["L2"]) == [f"L2-{g}" for g in range(5)]
    if param != "marginal":
        assert model.named_vars_to_dims["b_L2"] == ("L2", "coef")
        assert _evaluate(model, "b_L1", ip).shape == (3, p + 1)
    if sd_per == "parent" and not corr:
        assert model.named_vars_to_dims["sd_L1"] == ("L0", "coef_L1")
    if partial:
        assert "x0" not in list(model.coords["coef_L1"])
    assert ("nu" in model.named_vars) == (lik == "studentt")
    assert ("y" in model.named_vars) == (lik != "normal")  # Gaussian: sufficient statistics


def test_marginal_logp_is_never_nan_or_garbage_in_extreme_corners():
    """Warm-up can visit tiny sigma with huge sds, where P' = P - W'W cancels catastrophically.
    There the log-density must be a number with a finite gradient, or -inf (refused): never NaN,
    never an exception (sigma^2 underflowing to 0 raised ZeroDivisionError and nutpie panicked),
    never a huge positive value made of rounding noise (seen: 1e171), which would trap a chain."""
    data = tiny_data(p=1, n_rows=60)
    built = hm.build_model(data, FitOptions(), np.ones((3, 2), bool), ["marginal"] * 3)
    model = built.model
    rng = np.random.default_rng(0)
    import pytensor

    logp = model.logp()
    fn = pytensor.function(model.value_vars, [logp, *pytensor.grad(logp, model.value_vars)], mode=FAST)
    sane = fn(*[np.zeros_like(model.initial_point()[v.name]) for v in model.value_vars])[0]
    refused = 0
    for _ in range(400):
        point = [  # sigma on the log scale; sds (softplus) from about -1e20 to 1e20
            rng.uniform(-400, 60) if v.name.startswith("sigma")
            else rng.choice([-1.0, 1.0], 2) * 10 ** rng.uniform(-1, 20, 2)
            for v in model.value_vars
        ]  # fmt: skip
        out = fn(*[np.asarray(p, float) for p in point])
        assert not np.isnan(out[0]) and out[0] < sane + 1e3, (point, out[0])
        if np.isfinite(out[0]):
            assert all(np.all(np.isfinite(g)) for g in out[1:])
        else:
            refused += 1
    assert 0 < refused < 400  # the box is exercised from both sides
