"""Tests of pandas_hier.diagnostics: divergence, stuck-chain, tree-depth, convergence warnings."""

from __future__ import annotations

import re
import warnings

import numpy as np
import pytest
from helpers import LEVELS

import pandas_hier
from pandas_hier import ConvergenceWarning, DivergenceWarning

pytest.importorskip("pymc")


def test_divergence_warning_names_the_level(df, mock_sampler):
    def diverging(size):
        out = np.zeros(size)
        out[0, :5] = 1
        return out

    mock_sampler["diverging"] = diverging
    with pytest.warns(DivergenceWarning, match=r"5 of 40 post-warm-up transitions diverged, concentrated at level '(degree|state|county)'\. Try target_accept"):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            fit = df.hier.fit("month", "salary", levels=LEVELS, draws=20, chains=2, sampler="pymc", progressbar=False)
    assert fit.diagnostics.divergences == 5 and not fit.diagnostics.ok


def test_a_stuck_chain_gets_its_own_warning(df, mock_sampler):
    """A chain whose step size collapsed (seen: 3.5e-12, 1,023 gradient steps per draw) is named
    with the parameter it sits on, however good the other diagnostics look."""
    mock_sampler["step_size"] = lambda size: np.where(np.arange(size[0])[:, None] == 1, 3e-12, 0.45) + np.zeros(size)
    mock_sampler["reached_max_treedepth"] = lambda size: np.arange(size[0])[:, None] == 1 + np.zeros(size)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        fit = df.hier.fit("month", "salary", levels=LEVELS, draws=20, chains=2, sampler="pymc", progressbar=False)
    stuck = [str(w.message) for w in seen if w.category is pandas_hier.StuckChainWarning]
    assert len(stuck) == 1, [w.category for w in seen]
    assert re.search(r"chain 1 of 2 is stuck: its step size is 3e-12 \(median of the chains 0.23\) "
                     r"and 100% of its draws hit the maximum tree depth; it sits at \w+", stuck[0]), stuck[0]
    assert "Fit again with another random_seed" in stuck[0]
    assert fit.diagnostics.stuck_chains == (1,) and not fit.diagnostics.ok
    assert "stuck chains [1]" in repr(fit)


def test_every_chain_at_max_tree_depth_is_a_tree_depth_warning_not_a_stuck_chain(df, mock_sampler):
    """nutpie leaves its max-depth flag unset on most full-depth draws: depth itself counts."""
    mock_sampler["step_size"] = lambda size: np.full(size, 0.004)
    mock_sampler["tree_depth"] = lambda size: np.full(size, 10)
    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        fit = df.hier.fit("month", "salary", levels=LEVELS, draws=20, chains=2, sampler="pymc", progressbar=False)
    kinds = {w.category for w in seen}
    assert pandas_hier.TreeDepthWarning in kinds and pandas_hier.StuckChainWarning not in kinds
    msg = next(str(w.message) for w in seen if w.category is pandas_hier.TreeDepthWarning)
    assert "maximum tree depth (1023 gradient steps) in 100% of draws" in msg
    assert fit.diagnostics.stuck_chains == () and fit.diagnostics.maxdepth_share == (1.0, 1.0)


def test_convergence_warning_on_bad_chains(df, mock_sampler):
    # the mock repeats prior draws in every chain: ESS far below 100 per chain
    with pytest.warns(ConvergenceWarning, match=r"min bulk ESS \d+ .*want r_hat <= 1.01 and ESS >= 200"):
        df.hier.fit("month", "salary", levels=LEVELS, draws=20, chains=2, sampler="pymc", progressbar=False)


def test_warnings_name_the_users_parameter_not_a_sampler_internal_copy():
    """nutpie keeps transformed copies (``sd_county_log_exp_m1__``) beside the parameters; ranks
    do not change under their monotone transforms, so they are skipped rather than named."""
    import xarray as xr

    from pandas_hier.diagnostics import diagnose

    rng = np.random.default_rng(0)
    good = rng.standard_normal((2, 200))
    bad = good + np.array([[0.0], [1.0]])  # chains apart: r_hat far above 1.01
    # the internal copy is made worse still (chains wholly apart), so that only skipping it passes
    post = xr.Dataset({"sigma": (("chain", "draw"), np.exp(good)),
                       "sd_county": (("chain", "draw"), np.exp(bad) + 1),
                       "sd_county_log_exp_m1__": (("chain", "draw"), good + [[0.0], [10.0]])})  # fmt: skip
    diag = diagnose(xr.DataTree.from_dict({"model_scale": post}), ["county"])
    assert diag.worst_rhat_param == "sd_county" and diag.max_rhat > 1.1
    # a level of the user's that happens to end in "__" is no copy: it has no counterpart
    alone = post.rename({"sd_county_log_exp_m1__": "sd_area__"}).drop_vars("sd_county")
    lone = diagnose(xr.DataTree.from_dict({"model_scale": alone}), ["area__"])
    assert lone.worst_rhat_param == "sd_area__"
    assert diag.worst_ess_param in {"sigma", "sd_county"}
