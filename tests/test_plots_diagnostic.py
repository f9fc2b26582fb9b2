"""pandas_hier.plots.diagnostic: trace and posterior predictive plots through arviz-plots."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import pytest  # noqa: E402
from test_plots import rendered  # noqa: E402

from pandas_hier.errors import ColumnNotFoundError  # noqa: E402


def test_trace_shows_the_sampled_parameters_with_a_coefficient_legend(fit, tmp_path):
    fig = fit.plot_trace()
    texts = rendered(fig, tmp_path)
    wanted = ["b_global", "sd_degree", "sd_state", "sd_county", "sigma"]
    assert [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()] == wanted
    assert len(fig.axes) == 2 * len(wanted)  # density and trace per parameter
    assert {"intercept", "month"} <= set(texts)  # the coefficient legend
    assert "Traces of pymc: 2 chains x 50 draws" in texts


def test_trace_of_named_variables_and_a_misspelt_one(fit):
    assert [ax.get_ylabel() for ax in fit.plot_trace("sigma").axes if ax.get_ylabel()] == ["sigma"]
    with pytest.raises(ColumnNotFoundError, match=r"unknown variable 'sigm'; did you mean 'sigma'\?"):
        fit.plot_trace(["sigm"])


def test_ppc_compares_the_observed_response_with_replicates(fit, df, tmp_path):
    fig = fit.plot_ppc(num_samples=7, random_seed=1)
    texts = rendered(fig, tmp_path)
    assert len(fig.axes) == 1 and fig.axes[0].get_title() == "salary"
    assert any("observed (black) and 7 replicates" in t for t in texts)
    assert len(fig.axes[0].get_lines()) == 7 + 1
