"""With documented options, our model IS the blog's: same log-density at any point."""

from __future__ import annotations

import numpy as np
import pytest
from blog_recipe import blog_model  # benchmarks/blog_recipe.py (on sys.path via conftest)
from pointing import model_logp

from pandas_hier import Prior
from pandas_hier.datasets import simulate_salary

pm = pytest.importorskip("pymc")

#: The options that make df.hier.fit build the blog's model (docs/blog-model.md).
BLOG_OPTIONS = dict(
    parameterization="centered",
    sd_per="parent",
    likelihood="cauchy",
    standardize=False,
    priors={
        "intercept": Prior("Normal", mu=0, sigma=10_000),
        "slope": Prior("Normal", mu=0, sigma=10_000),
        "sd": Prior("Uniform", lower=0, upper=1000),
        "sigma": Prior("Uniform", lower=0, upper=10_000),
    },
)


def test_our_model_with_blog_options_equals_the_blog_model():
    data = simulate_salary(n_states=3, n_counties=4, n_months=5, seed=3)
    blog = blog_model(data)

    from pandas_hier import fitting

    built = fitting.build(data, "month", "salary", levels=["degree", "state", "county"], **BLOG_OPTIONS)
    ours = built.model
    assert built.parameterization == ("centered",) * 3

    rng = np.random.default_rng(0)
    n_d, n_ds, n_dsc = 2, 6, 24
    blog_values = {
        "global_m": rng.normal(100, 30), "global_b": rng.normal(40_000, 3000),
        "global_m_sd": rng.uniform(10, 100), "global_b_sd": rng.uniform(100, 900),
        "degree_m": rng.normal(100, 30, n_d), "degree_b": rng.normal(40_000, 3000, n_d),
        "degree_m_sd": rng.uniform(10, 100, n_d), "degree_b_sd": rng.uniform(100, 900, n_d),
        "degree_state_m": rng.normal(100, 30, n_ds), "degree_state_b": rng.normal(40_000, 3000, n_ds),
        "degree_state_m_sd": rng.uniform(10, 100, n_ds), "degree_state_b_sd": rng.uniform(100, 900, n_ds),
        "degree_state_county_m": rng.normal(100, 30, n_dsc),
        "degree_state_county_b": rng.normal(40_000, 3000, n_dsc),
        "error": rng.uniform(1000, 5000),
    }  # fmt: skip
    v = blog_values
    our_values = {
        "sigma": v["error"],
        "b_global_intercept": v["global_b"],
        "b_global_slope": np.array([v["global_m"]]),
        "sd_degree": np.array([v["global_b_sd"], v["global_m_sd"]]),
        "sd_state": np.column_stack([v["degree_b_sd"], v["degree_m_sd"]]),
        "sd_county": np.column_stack([v["degree_state_b_sd"], v["degree_state_m_sd"]]),
        "b_varying_degree": np.column_stack([v["degree_b"], v["degree_m"]]),
        "b_varying_state": np.column_stack([v["degree_state_b"], v["degree_state_m"]]),
        "b_varying_county": np.column_stack([v["degree_state_county_b"], v["degree_state_county_m"]]),
    }
    assert {rv.name for rv in ours.free_RVs} == set(our_values)
    assert model_logp(ours, our_values) == pytest.approx(model_logp(blog, blog_values), rel=1e-12)
