"""Shared test fixtures: a mock sampler (PyMC's ``mock_sample``: prior draws, no MCMC), fits
through it, and the names every docstring example may use (``fit``, ``df``, ``new_df``, ``pd``,
``np``, ``pandas_hier``), so that examples run as doctests without repeating a fit in each.

This is the only conftest: test modules import ``mock_fit`` from it (``from conftest import
mock_fit``), which a second ``conftest`` module under ``tests/`` would shadow."""

from __future__ import annotations

import os
import sys
import warnings
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from _pytest.doctest import DoctestItem
from hypothesis import HealthCheck, settings

settings.register_profile(
    "ci", max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
settings.register_profile("dev", max_examples=100, deadline=None)
settings.load_profile("ci" if os.environ.get("CI") else "dev")

# Test modules import plain helper modules from tests/ (helpers.py, pointing.py, strategies.py).
# The blog's recipe and model live in benchmarks/blog_recipe.py (the baseline both the benchmarks
# and the blog-equivalence test use); the robustness sweep in benchmarks/robustness.py.
_ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(_ROOT / "tests"))
sys.path.insert(0, str(_ROOT / "benchmarks"))

from helpers import LEVELS  # noqa: E402

from pandas_hier.datasets import simulate_salary  # noqa: E402


def mock_sampling(state: dict | None = None):
    """A stand-in for ``pymc.sample``: PyMC's mock (draws from the prior) with sample stats
    given by ``state`` (name -> function of the (chains, draws) shape)."""
    from pymc.testing import mock_sample

    stats = {"diverging": lambda size: np.zeros(size), **(state or {})}
    return partial(mock_sample, sample_stats=stats)


@pytest.fixture
def mock_sampler(monkeypatch):
    """Replace pm.sample by PyMC's mock (prior draws) for one test. Returns the mutable dict of
    sample stats (name -> function of the (chains, draws) shape, read at each call): diverging
    flags, step sizes and tree depths can be set per test."""
    pm = pytest.importorskip("pymc")
    state: dict = {}
    monkeypatch.setattr(pm, "sample", lambda *args, **kwargs: mock_sampling(state)(*args, **kwargs))
    return state


def mock_fit(df: pd.DataFrame, **kwargs):
    """Fit ``salary ~ month`` through PyMC's mock sampler (prior draws): mechanics, not statistics."""
    import pymc as pm

    kwargs = {"levels": LEVELS, "draws": 30, "chains": 1, "sampler": "pymc", "progressbar": False, **kwargs}
    original = pm.sample
    pm.sample = mock_sampling()
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return df.hier.fit("month", "salary", **kwargs)
    finally:
        pm.sample = original


def _salary_frame() -> pd.DataFrame:
    return simulate_salary(n_states=2, n_counties=3, n_months=6, seed=7)


@pytest.fixture
def df() -> pd.DataFrame:
    """The small salary frame (72 rows; 2 degrees > 4 states > 12 counties), fresh per test."""
    return _salary_frame()


@pytest.fixture
def train(df) -> pd.DataFrame:
    """The training data of ``fit`` (the frame of ``df``)."""
    return df


@pytest.fixture(scope="module")
def fit():
    """A mock fit of the small salary frame, shared by the tests of one module."""
    return mock_fit(_salary_frame(), draws=50, chains=2, random_seed=1)


@pytest.fixture(scope="module")
def salary() -> pd.DataFrame:
    """Another small salary frame (48 rows), shared by the tests of one module."""
    return simulate_salary(n_states=2, n_counties=3, n_months=4, seed=8)


@pytest.fixture(scope="session")
def doctest_fit():
    """A small fit through the mock sampler (mechanics, not statistics) and its data."""
    import pandas_hier

    df = _salary_frame()
    fit = mock_fit(df, draws=50, chains=2, random_seed=1)
    new_df = pd.DataFrame({"degree": ["degree", "degree"], "state": [df["state"].iloc[0]] * 2,
                           "county": [df["county"].iloc[0], "Nowhere"], "month": [3, 24]})  # fmt: skip
    return {"fit": fit, "df": df, "new_df": new_df, "pandas_hier": pandas_hier}


@pytest.fixture(autouse=True)
def _doctest_names(request, doctest_namespace):
    if isinstance(request.node, DoctestItem):
        doctest_namespace.update(pd=pd, np=np, **request.getfixturevalue("doctest_fit"))
