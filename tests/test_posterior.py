"""Tests of pandas_hier.posterior: exact coefficient draws and the labelled posterior."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import LEVELS, quiet_fit, tiny_data

pm = pytest.importorskip("pymc")

from pandas_hier.backend import model as hm  # noqa: E402
from pandas_hier.names import ScaleKind  # noqa: E402
from pandas_hier.options import FitOptions  # noqa: E402
from pandas_hier.posterior import draw_coefficients  # noqa: E402


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


@pytest.mark.parametrize(
    "options",
    [
        {"parameterization": "noncentered", "likelihood": "studentt"},
        {"parameterization": "centered", "sd_per": "parent", "likelihood": "cauchy"},
        {"correlated": True},
        {"varying": {"state": ["intercept"]}},
        {"varying": {"county": []}},  # nothing varies at a level: used to crash after sampling
        {"standardize": False},
    ],
)
def test_option_variants_give_the_same_labelled_output(df, mock_sampler, options):
    fit = quiet_fit(df, "month", "salary", levels=LEVELS, **options)
    post = fit.idata["posterior"]
    assert post["b_county"].shape[2:] == (12, 2) and np.isfinite(post["b_county"].values).all()
    if options.get("sd_per") == "parent":
        assert post["sd_county"].dims == ("chain", "draw", "state", "coef_county")
    if options.get("varying") == {"county": []}:
        np.testing.assert_array_equal(post["b_county"].values, post["b_state"].values[:, :, fit.tables["county"]["state_idx"]])
    elif "varying" in options:
        assert list(post["coef_state"].values) == ["intercept"]
        # the slope does not vary at the state level: each state has its degree's slope
        b_state, b_degree = post["b_state"].values, post["b_degree"].values
        parent = fit.tables["state"]["degree_idx"].to_numpy()
        np.testing.assert_allclose(b_state[..., 1], b_degree[:, :, parent, 1])
