"""pandas_hier.plots: the forest plot, rendered to PNG."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from matplotlib import image  # noqa: E402

from pandas_hier.errors import ColumnNotFoundError  # noqa: E402


def test_forest_plot_renders_every_group_with_its_label(fit, tmp_path):
    ax = fit.plot_forest("county", "month")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    table = fit.tables["county"]
    assert len(labels) == len(table) and labels[0] == " / ".join(map(str, table.iloc[0][["degree", "state", "county"]]))
    assert ax.get_xlabel() == "month (94% HDI)"
    path = tmp_path / "forest.png"
    ax.figure.savefig(path)
    pixels = image.imread(path)
    assert pixels.std() > 0.05 and not np.all(pixels == pixels[0, 0])  # not blank


def test_unknown_coefficient_names_a_close_match(fit):
    with pytest.raises(ColumnNotFoundError, match=r"unknown coefficient 'mnth'; did you mean 'month'\?"):
        fit.plot_forest("county", "mnth")
