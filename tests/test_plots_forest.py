"""pandas_hier.plots.forest: panels per coefficient, rows grouped by parent and labelled by group."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from test_plots import rendered  # noqa: E402

from pandas_hier.errors import ColumnNotFoundError, InvalidParameterError  # noqa: E402


def test_one_panel_per_coefficient_with_every_group_and_parent_labelled(fit, tmp_path):
    fig = fit.plot_forest("county")
    texts = rendered(fig, tmp_path)
    assert [ax.get_title() for ax in fig.axes] == ["intercept", "month"]
    table = fit.tables["county"]
    labels = [t.get_text() for t in fig.axes[0].get_yticklabels()]
    assert sorted(labels) == sorted(table["county"].astype(str))
    for degree, state in table[["degree", "state"]].drop_duplicates().itertuples(index=False):
        assert f"{degree} / {state}" in texts  # the parent's path beside its block
    assert fig.axes[1].get_xlabel() == "month (94% HDI)"


def test_rows_are_ordered_by_parent_then_by_mean(fit):
    fig = fit.plot_forest("county", "intercept")
    ax = fig.axes[0]
    ticks = ax.get_yticks()
    coef = fit.coef("county")
    from matplotlib.collections import PathCollection

    points = next(c for c in ax.collections if isinstance(c, PathCollection))
    means = {float(y): float(x) for x, y in points.get_offsets()}  # the points: (mean, row)
    top_down = [means[float(y)] for y in sorted(ticks, reverse=True)]
    # within each state block (three counties each, blocks in code order) means decrease
    for block in np.array_split(np.array(top_down), len(fit.tables["state"])):
        assert np.all(np.diff(block) <= 0)
    assert sorted(top_down) == sorted(coef["intercept"])


def test_top_level_and_many_groups_keep_their_labels_inside(fit, tmp_path):
    fig = fit.plot_forest("degree", ["month"], hdi_prob=0.5)
    assert [t.get_text() for t in fig.axes[0].get_yticklabels()] == ["degree", "no degree"][:: -1] or \
        sorted(t.get_text() for t in fig.axes[0].get_yticklabels()) == ["degree", "no degree"]
    assert fig.axes[0].get_xlabel() == "month (50% HDI)"
    rendered(fig, tmp_path)


def test_unknown_level_or_coefficient_names_a_close_match(fit):
    with pytest.raises(ColumnNotFoundError, match=r"unknown coefficient 'mnth'; did you mean 'month'\?"):
        fit.plot_forest("county", "mnth")
    with pytest.raises(ColumnNotFoundError, match=r"unknown level 'conty'; did you mean 'county'\?"):
        fit.plot_forest("conty")
    with pytest.raises(InvalidParameterError, match="hdi_prob"):
        fit.plot_forest("county", hdi_prob=1.5)
