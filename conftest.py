"""Shared test fixtures: a mock sampler (PyMC's ``mock_sample``: prior draws, no MCMC) and the
names every docstring example may use (``fit``, ``df``, ``new_df``, ``pd``, ``np``,
``pandas_hier``), so that examples run as doctests without repeating a fit in each."""

from __future__ import annotations

import warnings
from functools import partial

import numpy as np
import pandas as pd
import pytest
from _pytest.doctest import DoctestItem


def mock_sampling(state: dict | None = None):
    """A stand-in for ``pymc.sample``: PyMC's mock (draws from the prior) with sample stats
    given by ``state`` (name -> function of the (chains, draws) shape)."""
    from pymc.testing import mock_sample

    stats = {"diverging": lambda size: np.zeros(size), **(state or {})}
    return partial(mock_sample, sample_stats=stats)


@pytest.fixture(scope="session")
def doctest_fit():
    """A small fit through the mock sampler (mechanics, not statistics) and its data."""
    import pymc as pm

    import pandas_hier
    from pandas_hier.datasets import simulate_salary

    df = simulate_salary(n_states=2, n_counties=3, n_months=6, seed=7)
    real = pm.sample
    pm.sample = mock_sampling()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = df.hier.fit("month", "salary", levels=["degree", "state", "county"], draws=50,
                              chains=2, sampler="pymc", random_seed=1, progressbar=False)  # fmt: skip
    finally:
        pm.sample = real
    new_df = pd.DataFrame({"degree": ["degree", "degree"], "state": [df["state"].iloc[0]] * 2,
                           "county": [df["county"].iloc[0], "Nowhere"], "month": [3, 24]})  # fmt: skip
    return {"fit": fit, "df": df, "new_df": new_df, "pandas_hier": pandas_hier}


@pytest.fixture(autouse=True)
def _doctest_names(request, doctest_namespace):
    if isinstance(request.node, DoctestItem):
        doctest_namespace.update(pd=pd, np=np, **request.getfixturevalue("doctest_fit"))
