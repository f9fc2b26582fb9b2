"""Tests of pandas_hier.backend.sample: choosing a sampler."""

from __future__ import annotations

import pytest
from helpers import LEVELS

from pandas_hier import SamplerNotInstalledError

pytest.importorskip("pymc")


@pytest.mark.parametrize("sampler", ["numpyro", "blackjax"])
def test_missing_sampler_names_the_extra(df, sampler):
    import importlib.util

    if importlib.util.find_spec(sampler) is not None:
        pytest.skip(f"{sampler} is installed here")
    with pytest.raises(SamplerNotInstalledError, match=r'pip install "pandas-hier\[jax\]"'):
        df.hier.fit("month", "salary", levels=LEVELS, sampler=sampler)
