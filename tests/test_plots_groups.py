"""pandas_hier.plots.groups: a panel per group with its rows, posterior mean line and band."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from test_plots import rendered  # noqa: E402

from pandas_hier.errors import ColumnNotFoundError, InvalidParameterError  # noqa: E402


def test_largest_groups_by_default_each_panel_titled_with_its_labels(fit, df, tmp_path):
    fig = fit.plot_groups("county", max_groups=5)
    texts = rendered(fig, tmp_path)
    shown = [ax for ax in fig.axes if ax.get_visible()]
    assert len(shown) == 5 and len(fig.axes) == 8  # a 4-column grid, the rest hidden
    table = fit.tables["county"]
    for ax, (_, row) in zip(shown, table.head(5).iterrows(), strict=True):  # equal sizes: first five
        assert ax.get_title() == f"{row['county']}\n({row['degree']} / {row['state']})"
        assert len(ax.collections[-1].get_offsets()) == row["n_rows"]  # the group's rows
    assert "5 of 12 county groups (the largest by rows)" in " ".join(texts)
    assert shown[0].get_ylabel() == "salary" and shown[-1].get_xlabel() == "month"


def test_the_line_is_the_posterior_mean_of_the_groups_coefficients(fit):
    fig = fit.plot_groups("state", groups=["degree / Alabama"])
    line = fig.axes[0].get_lines()[0]
    b = fit.idata["posterior"]["b_state"].sel(state="degree / Alabama").mean(("chain", "draw")).to_numpy()
    x, y = line.get_data()
    np.testing.assert_allclose(y, b[0] + b[1] * x)


def test_groups_are_named_by_path_tuple_or_unique_label(fit):
    first = fit.tables["county"].iloc[0]
    path = f"{first['degree']} / {first['state']} / {first['county']}"
    by_path = fit.plot_groups("county", groups=[path]).axes[0].get_title()
    by_tuple = fit.plot_groups("county", (first["degree"], first["state"], first["county"])).axes[0].get_title()
    assert by_path == by_tuple
    assert fit.plot_groups("degree", "no degree").axes[0].get_title() == "no degree"
    with pytest.raises(InvalidParameterError, match=rf"group '{first['county']}' is ambiguous"):
        fit.plot_groups("county", [first["county"]])
    with pytest.raises(ColumnNotFoundError, match=r"unknown 'degree' group 'no degre'; did you mean 'no degree'\?"):
        fit.plot_groups("degree", ["no degre"])
    with pytest.raises(InvalidParameterError, match="names 3 groups, more than max_groups=2"):
        fit.plot_groups("state", ["degree / Alabama", "degree / Georgia", "no degree / Alabama"], max_groups=2)
    with pytest.raises(ColumnNotFoundError, match=r"unknown predictor 'mnth'; did you mean 'month'\?"):
        fit.plot_groups(x="mnth")
    with pytest.raises(InvalidParameterError, match="max_groups"):
        fit.plot_groups(max_groups=0)
