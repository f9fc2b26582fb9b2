"""Tests of pandas_hier.backend.compile: initial points and the compiled nutpie model."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import _logp_and_grad, tiny_data

pm = pytest.importorskip("pymc")

from pandas_hier.backend import model as hm  # noqa: E402
from pandas_hier.design import resolve_parameterization, structure_key  # noqa: E402
from pandas_hier.options import FitOptions  # noqa: E402


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
