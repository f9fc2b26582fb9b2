"""With documented options, our model IS the blog's: same log-density at any point."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
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


def blog_model(data: pd.DataFrame) -> pm.Model:
    """The blog's model, hand-written: index tables from groupby, parents from merge."""
    degree_idx = data.groupby(["degree"]).all().reset_index().reset_index()[["index", "degree"]]
    ds_idx = data.groupby(["degree", "state"]).all().reset_index().reset_index()[["index", "degree", "state"]]
    dsc_idx = (
        data.groupby(["degree", "state", "county"]).all().reset_index().reset_index()[["index", "degree", "state", "county"]]
    )
    ds_parent = pd.merge(ds_idx, degree_idx, on="degree")["index_y"].to_numpy()
    dsc_parent = pd.merge(dsc_idx, ds_idx, on=["degree", "state"])["index_y"].to_numpy()
    rows = pd.merge(data, dsc_idx, on=["degree", "state", "county"], how="left")
    leaf = rows["index"].to_numpy()
    n_d, n_ds, n_dsc = len(degree_idx), len(ds_idx), len(dsc_idx)
    with pm.Model() as model:
        global_m = pm.Normal("global_m", mu=0, sigma=10_000)
        global_m_sd = pm.Uniform("global_m_sd", lower=0, upper=1000)
        global_b = pm.Normal("global_b", mu=0, sigma=10_000)
        global_b_sd = pm.Uniform("global_b_sd", lower=0, upper=1000)
        degree_m = pm.Normal("degree_m", mu=global_m, sigma=global_m_sd, shape=n_d)
        degree_m_sd = pm.Uniform("degree_m_sd", lower=0, upper=1000, shape=n_d)
        degree_b = pm.Normal("degree_b", mu=global_b, sigma=global_b_sd, shape=n_d)
        degree_b_sd = pm.Uniform("degree_b_sd", lower=0, upper=1000, shape=n_d)
        ds_m = pm.Normal("degree_state_m", mu=degree_m[ds_parent], sigma=degree_m_sd[ds_parent], shape=n_ds)
        ds_m_sd = pm.Uniform("degree_state_m_sd", lower=0, upper=1000, shape=n_ds)
        ds_b = pm.Normal("degree_state_b", mu=degree_b[ds_parent], sigma=degree_b_sd[ds_parent], shape=n_ds)
        ds_b_sd = pm.Uniform("degree_state_b_sd", lower=0, upper=1000, shape=n_ds)
        dsc_m = pm.Normal("degree_state_county_m", mu=ds_m[dsc_parent], sigma=ds_m_sd[dsc_parent], shape=n_dsc)
        dsc_b = pm.Normal("degree_state_county_b", mu=ds_b[dsc_parent], sigma=ds_b_sd[dsc_parent], shape=n_dsc)
        error = pm.Uniform("error", lower=0, upper=10_000)
        mu = dsc_m[leaf] * rows["month"].to_numpy() + dsc_b[leaf]
        pm.Cauchy("salary_like", alpha=mu, beta=error, observed=rows["salary"].to_numpy())
    return model


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
