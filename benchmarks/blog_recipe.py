"""The blog post's recipe, in current pandas and PyMC: the baseline pandas-hier replaces.

``encode_recipe`` builds the index tables with groupby and merges them back; ``blog_model`` is the
post's hand-written 3-level model (centred Normal vectors, one Uniform(0, 1000) sd per parent
group and coefficient, Normal(0, 10,000) global priors, Cauchy likelihood with a Uniform(0, 10,000)
scale). The seed text lost the post's code listings; this follows its described steps, and
tests/test_blog_model.py checks that df.hier.fit with the options of docs/blog-model.md builds the
same model.
"""

from __future__ import annotations

import pandas as pd


def index_tables(df: pd.DataFrame):
    """The blog's per-level index tables and parent arrays (groupby + merge)."""
    degree_idx = df.groupby(["degree"]).all().reset_index().reset_index()[["index", "degree"]]
    ds_idx = df.groupby(["degree", "state"]).all().reset_index().reset_index()[["index", "degree", "state"]]
    dsc_idx = (
        df.groupby(["degree", "state", "county"]).all().reset_index().reset_index()[["index", "degree", "state", "county"]]
    )
    ds_parent = pd.merge(ds_idx, degree_idx, how="inner", on="degree")["index_y"].to_numpy()
    dsc_parent = pd.merge(dsc_idx, ds_idx, how="inner", on=["degree", "state"])["index_y"].to_numpy()
    return degree_idx, ds_idx, dsc_idx, ds_parent, dsc_parent


def encode_recipe(df: pd.DataFrame):
    """Merge the blog's index tables back onto the rows; returns the frame and parent arrays."""
    degree_idx, ds_idx, dsc_idx, ds_parent, dsc_parent = index_tables(df)
    out = pd.merge(df, degree_idx.rename(columns={"index": "degree_idx"}), how="inner", on="degree")
    out = pd.merge(out, ds_idx.rename(columns={"index": "state_idx"}), how="inner", on=["degree", "state"])
    out = pd.merge(
        out, dsc_idx.rename(columns={"index": "county_idx"}), how="inner", on=["degree", "state", "county"]
    )
    return out, ds_parent, dsc_parent


def blog_model(df: pd.DataFrame, x: str = "month", y: str = "salary"):
    """The blog's model as a ``pymc.Model``."""
    import pymc as pm

    degree_idx, ds_idx, dsc_idx, ds_parent, dsc_parent = index_tables(df)
    rows = pd.merge(df, dsc_idx, on=["degree", "state", "county"], how="left")
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
        mu = dsc_m[leaf] * rows[x].to_numpy() + dsc_b[leaf]
        pm.Cauchy("salary_like", alpha=mu, beta=error, observed=rows[y].to_numpy())
    return model
