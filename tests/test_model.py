"""Build-only model tests: exactness of the marginalisation, shapes, coords, finite log-density.

No MCMC here: log-densities are evaluated at points, coefficient draws at fixed sds.
"""

from __future__ import annotations

import numpy as np
import pytest
from pointing import FAST, transformed_point
from scipy import stats as sps

pm = pytest.importorskip("pymc")

from pandas_hier.backend import model as hm  # noqa: E402
from pandas_hier.design import ModelData, resolve_parameterization, structure_key  # noqa: E402
from pandas_hier.names import ScaleKind  # noqa: E402
from pandas_hier.options import FitOptions  # noqa: E402
from pandas_hier.posterior import draw_coefficients  # noqa: E402
from pandas_hier.stats import leaf_stats  # noqa: E402


def tiny_data(n_rows=24, seed=0, p=1, sizes=(2, 3, 5)):
    """Random 3-level tree (parents non-decreasing) with rows spread over the leaves."""
    rng = np.random.default_rng(seed)
    parents = [np.zeros(sizes[0], np.int64)]
    for up, n in zip(sizes[:-1], sizes[1:], strict=True):
        par = np.sort(np.r_[np.arange(up), rng.integers(0, up, n - up)])
        parents.append(par)
    leaf = np.sort(np.r_[np.arange(sizes[-1]), rng.integers(0, sizes[-1], n_rows - sizes[-1])])
    X = np.column_stack([np.ones(n_rows), rng.normal(size=(n_rows, p))])
    y = rng.normal(size=n_rows)
    levels = tuple(f"L{i}" for i in range(len(sizes)))
    coefs = ("intercept", *[f"x{i}" for i in range(p)])
    coords = {lv: [f"{lv}-{g}" for g in range(s)] for lv, s in zip(levels, sizes, strict=True)}
    coords |= {"coef": list(coefs), "predictor": list(coefs[1:])}
    return ModelData(
        X=X, y=y, leaf=leaf, parents=tuple(parents), sizes=sizes, levels=levels, coefs=coefs,
        coords=coords, coef_scale=np.ones(p + 1), y_scale=1.0,
        stats=leaf_stats(X, y, leaf, sizes[-1]),
    )  # fmt: skip


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


def test_exact_coefficient_draws_match_the_gaussian_conditional():
    """At fixed sds, draw_coefficients samples the exact joint posterior of all coefficients."""
    data = tiny_data(p=1, n_rows=12, sizes=(2, 3, 4))
    varying = np.ones((3, 2), bool)
    built = hm.build_model(data, FitOptions(), varying, ["marginal"] * 3)
    S = 40_000
    sds = [np.array([0.8, 0.3]), np.array([0.5, 0.4]), np.array([0.6, 0.2])]
    sigma = 0.6
    draws = draw_coefficients(
        data, built, np.full(S, sigma), [(ScaleKind.LEVEL, np.tile(s, (S, 1))) for s in sds],
        np.random.default_rng(0),
    )  # fmt: skip
    # dense joint Gaussian over [global, L0 groups, L1 groups, L2 groups] coefficients
    d = 2
    sizes = (1, *data.sizes)
    offsets = np.cumsum((0, *[s * d for s in sizes]))
    n_par = offsets[-1]
    prec = np.zeros((n_par, n_par))
    lin = np.zeros(n_par)
    m0, s0 = built.global_prior
    prec[:d, :d] += np.diag(1 / s0**2)
    lin[:d] += m0 / s0**2
    for depth in range(3):
        Dinv = np.diag(1 / sds[depth] ** 2)
        parent_sizes_offset = offsets[depth]
        for g in range(data.sizes[depth]):
            par = data.parents[depth][g]
            c = offsets[depth + 1] + g * d
            pa = parent_sizes_offset + par * d
            A = np.zeros((d, n_par))
            A[:, c : c + d] = np.eye(d)
            A[:, pa : pa + d] -= np.eye(d)
            prec += A.T @ Dinv @ A
    leaf0 = offsets[3]
    for g in range(data.sizes[2]):
        c = leaf0 + g * d
        prec[c : c + d, c : c + d] += data.stats.xtx[g] / sigma**2
        lin[c : c + d] += data.stats.xty[g] / sigma**2
    cov = np.linalg.inv(prec)
    mean = cov @ lin
    flat = np.concatenate([draws[0]] + [t.reshape(S, -1) for t in draws[1:]], axis=1)
    se = np.sqrt(np.diag(cov) / S)
    assert np.all(np.abs(flat.mean(0) - mean) < 4.5 * se)
    emp = np.cov(flat.T)
    assert np.allclose(np.sqrt(np.diag(emp)), np.sqrt(np.diag(cov)), rtol=0.03)
    i, j = leaf0, offsets[1]  # a leaf intercept and a top-level intercept: correlated
    assert emp[i, j] == pytest.approx(cov[i, j], abs=0.03 * np.sqrt(cov[i, i] * cov[j, j]) + 1e-3)


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


def _logp_and_grad(model, point):
    import pytensor

    logp = model.logp()
    fn = pytensor.function(
        model.value_vars, [logp, *pytensor.grad(logp, model.value_vars)], mode=FAST
    )
    out = fn(*[point[v.name] for v in model.value_vars])
    return out[0], out[1:]


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


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"parameterization": "marginal", "likelihood": "cauchy"}, "needs likelihood='normal'"),
        ({"parameterization": "marginal", "likelihood": "studentt"}, "needs likelihood='normal'"),
        ({"correlated": True, "sd_per": "parent"}, "correlated=True needs sd_per='level'"),
        ({"nu": 3.0}, "fit: nu=3.0 applies to likelihood='studentt' only, not likelihood='normal'"),
        ({"sd_per": "group"}, "sd_per='group' is not one of 'level', 'parent'"),
        ({"parameterization": "ncp"}, "is not one of 'auto', 'marginal', 'centered', 'noncentered'"),
        ({"target_accept": 1.0}, r"fit: target_accept=1.0 is out of range: choose 0.5 <= target_accept < 1"),
        ({"priors": {"sd": 1.0}}, "must be a pandas_hier.Prior"),
    ],
)
def test_invalid_option_combinations_are_refused(kwargs, match):
    with pytest.raises((ValueError, TypeError), match=match):
        FitOptions(**kwargs)


def test_resolve_parameterization_auto():
    rows = [np.array([500, 600]), np.array([120, 300]), np.array([20, 40])]
    assert resolve_parameterization(FitOptions(), rows) == ("marginal",) * 3
    robust = FitOptions(likelihood="cauchy")
    assert resolve_parameterization(robust, rows) == ("centered", "centered", "noncentered")
    assert resolve_parameterization(FitOptions(parameterization="centered"), rows) == ("centered",) * 3


def test_sufficient_statistics_likelihood_equals_row_likelihood():
    data = tiny_data(p=2, n_rows=40)
    rng = np.random.default_rng(5)
    theta = rng.normal(size=(data.sizes[-1], 3))
    mu = np.sum(theta[data.leaf] * data.X, axis=1)
    want = sps.norm(mu, 0.8).logpdf(data.y).sum()
    assert data.stats.loglik(theta, 0.8) == pytest.approx(want, rel=1e-12)


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


def test_kernel_refuses_what_float64_cannot_represent():
    from pandas_hier.kernels import marginal_loglik_grad

    one, i = np.ones(1), np.array([0, 1])
    args = (i, i[:1], one, np.ones((1, 1, 1)), np.zeros((1, 1)), np.zeros(1), np.zeros(1, np.int64), i,
            np.zeros(1), one, True)  # fmt: skip
    for sigma, L in [(0.0, 1.0), (1e-200, 1.0), (1.0, np.inf), (1.0, 1e9), (1e-9, 1e3)]:
        ll, ds, dL = marginal_loglik_grad(sigma, np.full((1, 1, 1), L), *args)
        assert ll == -np.inf and ds == 0.0 and np.all(dL == 0), (sigma, L, ll)
    ll, _, _ = marginal_loglik_grad(1.0, np.zeros((1, 1, 1)), *args)
    assert ll == pytest.approx(-1.265512, abs=1e-6)


def test_initial_points_are_thread_safe():
    """nutpie asks for every chain's initial point from its own thread at once; the compiled
    PyMC function did not survive that (random AttributeErrors, wrong lengths) in a few hundred
    concurrent calls. Concurrent calls must equal serial ones."""
    from concurrent.futures import ThreadPoolExecutor

    from pandas_hier.backend.compile import initial_point_fn

    built = hm.build_model(tiny_data(p=2), FitOptions(correlated=True), np.ones((3, 3), bool), ["marginal"] * 3)
    fn = initial_point_fn(built.model)
    seeds = list(range(2000))
    serial = [fn(s) for s in seeds]
    with ThreadPoolExecutor(8) as pool:
        parallel = list(pool.map(fn, seeds))
    for a, b in zip(serial, parallel, strict=True):
        np.testing.assert_array_equal(a, b)
    base = np.concatenate([np.ravel(v) for v in built.model.initial_point().values()])
    spread = np.array(serial) - base
    assert spread.shape[1] == base.size and np.abs(spread).max() <= 1 and spread.std() > 0.5


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


MARGINAL_SETS = [  # sd_per, correlated, partial, p; larger graphs take a minute to build: slow
    ("level", False, False, 1),
    ("parent", False, True, 2),
    ("level", True, False, 1),
    pytest.param("level", False, True, 2, marks=pytest.mark.slow),
    pytest.param("parent", False, False, 1, marks=pytest.mark.slow),
    pytest.param("level", True, True, 3, marks=pytest.mark.slow),
]


@pytest.mark.parametrize("sd_per, corr, partial, p", MARGINAL_SETS)
def test_compiled_op_equals_pytensor_graph_in_value_and_gradient(sd_per, corr, partial, p):
    """The compiled kernel (analytic gradient by Fisher's identity) and the unrolled PyTensor
    graph (reverse-mode autodiff) are independent implementations: they must agree."""
    from pandas_hier import Prior

    data = tiny_data(p=p, n_rows=40, seed=p)
    priors = {"intercept": Prior("Normal", mu=1.5, sigma=2.0), "slope": Prior("Normal", mu=-0.5, sigma=0.7)}
    opts = FitOptions(sd_per=sd_per, correlated=corr, priors=priors)
    varying = np.ones((3, p + 1), bool)
    if partial:
        varying[1, 1] = False
    op = hm.build_model(data, opts, varying, ["marginal"] * 3, impl="op").model
    graph = hm.build_model(data, opts, varying, ["marginal"] * 3, impl="graph").model
    rng = np.random.default_rng(7)
    ip = op.initial_point()
    for _ in range(3):
        point = {k: v + rng.normal(0, 0.5, np.shape(v)) for k, v in ip.items()}
        lp_op, g_op = _logp_and_grad(op, point)
        lp_graph, g_graph = _logp_and_grad(graph, point)
        assert lp_op == pytest.approx(lp_graph, rel=1e-9)
        for a, b in zip(g_op, g_graph, strict=True):
            np.testing.assert_allclose(a, b, rtol=1e-7, atol=1e-8)


@pytest.mark.parametrize("likelihood", ["normal", "studentt"])
def test_compiled_nutpie_model_matches_pymc_and_is_reused_with_new_data(likelihood):
    """Reuse must take every data value from the new fit: a value baked into the compiled graph
    (once, the observed response of row-level likelihoods) would silently fit the old data."""
    pytest.importorskip("nutpie")
    from pandas_hier.backend.compile import compile_pyfunc, with_data

    data = tiny_data(p=1, n_rows=40)
    other = tiny_data(p=1, n_rows=40, seed=11)  # same structure, other numbers
    assert len(other.y) == len(data.y) and not np.allclose(other.y, data.y)
    varying = np.ones((3, 2), bool)
    opts = FitOptions(likelihood=likelihood, nu=4.0 if likelihood == "studentt" else None)
    param = resolve_parameterization(opts, [np.array([10])] * 3)
    built = hm.build_model(data, opts, varying, param)
    assert structure_key(data, opts, varying, param) == structure_key(other, opts, varying, param)
    compiled = compile_pyfunc(built.model)
    if likelihood == "normal":
        assert compiled.n_dim == 7
    names = [v.name for v in built.model.value_vars]
    ip = built.model.initial_point()
    x = np.concatenate([np.ravel(ip[n]) for n in names])
    logp_fn = compiled._make_logp_func()
    lp, grad = logp_fn(x, **compiled._shared_data)
    want, want_grad = _logp_and_grad(built.model, ip)
    assert lp == pytest.approx(float(want), rel=1e-10)
    np.testing.assert_allclose(grad, np.concatenate([np.ravel(g) for g in want_grad]), rtol=1e-9)
    # the same compiled functions with the other data set's values
    rebuilt = hm.build_model(other, opts, varying, param)
    reused = with_data(compiled, rebuilt.data_values)
    lp2, _ = reused._make_logp_func()(x, **reused._shared_data)
    assert lp2 == pytest.approx(float(_logp_and_grad(rebuilt.model, ip)[0]), rel=1e-10)
    assert lp2 != pytest.approx(lp)
    expand = compiled._make_expand_func(0, 0, 0)(x, **compiled._shared_data)
    assert {*names, "sigma", "sd_L0", "sd_L1", "sd_L2"} <= set(expand)
    assert expand["sigma"] == pytest.approx(np.exp(ip["sigma_log__"]))


def test_kernel_source_is_generated_per_size_into_the_cache_dir(tmp_path, monkeypatch):
    from pandas_hier import kernels as _kernel

    monkeypatch.setenv("PANDAS_HIER_CACHE", str(tmp_path / "cache"))
    assert _kernel.cache_dir() == tmp_path / "cache"
    assert "D = 3" in _kernel.source(3) and _kernel.digest(3) != _kernel.digest(2)
    compile(_kernel.source(4), "<generated>", "exec")  # valid Python for a larger size too


@pytest.mark.parametrize("kinds", [(0, 0, 0), (1, 0, 1)], ids=["diagonal", "lower-triangular"])
def test_loop_kernel_equals_unrolled_kernel(kinds):
    """Beyond UNROLL_MAX coefficients the kernel loops over matrix entries instead of running
    straight-line code: both forms must give the same likelihood, gradient and draws."""
    from pandas_hier.kernels import kernel

    data = tiny_data(p=2, n_rows=40, seed=4)
    d, st, rng = 3, data.stats, np.random.default_rng(8)
    per_group = (False, True, False)  # level 2 has one scale per group
    Ls = []
    for lev, (kind, per) in enumerate(zip(kinds, per_group, strict=True)):
        L = rng.uniform(0.2, 1.2, (data.sizes[lev] if per else 1, d, d))
        Ls.append(np.tril(L) if kind else L * np.eye(d))
    loff = np.cumsum([0, *[x.shape[0] for x in Ls]]).astype(np.int64)
    args = (
        np.concatenate(Ls), loff, np.array(kinds, np.int64), st.n.astype(float), st.xtx, st.xty,
        st.yty, np.concatenate(data.parents).astype(np.int64),
        np.cumsum([0, *data.sizes]).astype(np.int64), np.array([0.3, -0.2, 0.1]), np.ones(d),
    )  # fmt: skip
    unrolled, loops = kernel(d, loops=False), kernel(d, loops=True)
    ll_u, ds_u, dL_u = unrolled.loglik_grad(0.8, *args, True)
    ll_l, ds_l, dL_l = loops.loglik_grad(0.8, *args, True)
    assert ll_l == pytest.approx(ll_u, rel=1e-12) and ds_l == pytest.approx(ds_u, rel=1e-10)
    pattern = np.concatenate([np.broadcast_to(np.tril(np.ones((d, d))) if k else np.eye(d), x.shape)
                              for k, x in zip(kinds, Ls, strict=True)]).astype(bool)  # fmt: skip
    np.testing.assert_allclose(dL_l[pattern], dL_u[pattern], rtol=1e-9, atol=1e-12)
    eps = rng.standard_normal((4, sum(data.sizes) + 2, d))
    sig = np.full(4, 0.8)
    Ls_draws = np.broadcast_to(args[0], (4, *args[0].shape)).copy()
    th_u = unrolled.draw(sig, Ls_draws, *args[1:], eps)
    th_l = loops.draw(sig, Ls_draws, *args[1:], eps)
    np.testing.assert_allclose(th_l[:, :-1], th_u[:, :-1], rtol=1e-10, atol=1e-12)
