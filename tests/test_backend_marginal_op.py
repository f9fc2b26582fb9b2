"""Tests of pandas_hier.backend.marginal_op: the kernel Op equals the pure PyTensor graph."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import _logp_and_grad, tiny_data

pm = pytest.importorskip("pymc")

from pandas_hier.backend import model as hm  # noqa: E402
from pandas_hier.options import FitOptions  # noqa: E402

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


def test_marginal_op_refuses_a_wrong_number_of_inputs_and_second_derivatives():
    import pytensor
    import pytensor.tensor as pt

    from pandas_hier.backend.marginal_op import MarginalLoglik, marginal_loglik
    from pandas_hier.names import ScaleKind
    from pandas_hier.stats import LeafStats

    with pytest.raises(TypeError, match="MarginalLoglik takes 12 inputs, got 2"):
        MarginalLoglik(1)(pt.dscalar(), pt.dtensor3())
    s = pt.dscalar("s")
    stats = LeafStats(np.ones(1), np.ones((1, 1, 1)), np.zeros((1, 1)), np.zeros(1))
    ll = marginal_loglik(s, [np.zeros((1, 1, 1))], [ScaleKind.LEVEL], stats, [np.zeros(1, np.int64)], [0.0], [1.0])
    g = pytensor.grad(ll, s)
    assert float(g.eval({s: 1.0})) == pytest.approx(-0.5)  # d/dsigma log N(0; 0, 1 + sigma^2)
    with pytest.raises(NotImplementedError, match="second derivatives of the marginal likelihood"):
        pytensor.grad(g, s)
