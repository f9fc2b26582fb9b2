"""pandas_hier.plots.shrinkage: no-pooling estimates (least squares, GLM maximum likelihood)
against the partially pooled ones."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from test_plots import rendered  # noqa: E402

from pandas_hier.plots import _common  # noqa: E402
from pandas_hier.plots.shrinkage import _irls, no_pooling  # noqa: E402


def test_no_pooling_is_each_groups_own_least_squares_line(fit, df):
    own = no_pooling(fit, "county")
    enc = fit.encode(df)
    for code, part in df.groupby(enc["county_idx"]):
        slope, intercept = np.polyfit(part["month"], part["salary"], 1)
        np.testing.assert_allclose(own.loc[code, ["intercept", "month"]], [intercept, slope], rtol=1e-8)
    state = no_pooling(fit, "state", df)
    part = df[enc["state_idx"] == 0]
    np.testing.assert_allclose(state.loc[0, "month"], np.polyfit(part["month"], part["salary"], 1)[0])


def _rows(y, group, weight=None, offset=None):
    n = len(y)
    return _common.GroupRows(np.zeros((n, 0)), np.asarray(y, float),
                             np.ones(n) if weight is None else np.asarray(weight, float),
                             np.zeros(n) if offset is None else np.asarray(offset, float),
                             np.asarray(group))  # fmt: skip


def test_glm_no_pooling_is_the_maximum_likelihood_estimate_and_nan_under_separation():
    y = np.array([1, 0, 0, 1, 1, 1, 0, 0, 0, 0])
    group = np.array([0, 0, 0, 0, 1, 1, 2, 2, 2, 2])
    rows = _rows(y, group)
    beta = _irls(np.ones((10, 1)), rows, "logit", 3)[:, 0]
    np.testing.assert_allclose(beta[0], 0.0, atol=1e-8)  # logit of 2 in 4
    assert np.isnan(beta[1]) and np.isnan(beta[2])  # all ones, all zeros: no finite estimate
    counts = np.array([3.0, 5.0, 0.0, 4.0])
    exposure = np.array([2.0, 2.0, 1.0, 3.0])
    rate = _irls(np.ones((4, 1)), _rows(counts / exposure, [0, 0, 1, 1], offset=np.log(exposure)), "log", 2)
    np.testing.assert_allclose(rate[:, 0], np.log([8 / 4, 4 / 4]), atol=1e-10)


def test_plot_has_a_panel_per_coefficient_sized_by_rows_with_shrunk_groups_labelled(fit, tmp_path):
    fig = fit.plot_shrinkage("county", label=3)
    texts = rendered(fig, tmp_path)
    assert [ax.get_title() for ax in fig.axes] == ["intercept", "month"]
    assert fig.axes[0].get_xlabel() == "no pooling: own rows only"
    counties = set(fit.tables["county"]["county"].astype(str))
    named = [t.get_text() for t in fig.axes[0].texts]
    assert len(named) == 3 and set(named) <= counties
    points = fig.axes[0].collections[0]
    np.testing.assert_allclose(np.sort(points.get_offsets()[:, 1]), np.sort(fit.coef("county")["intercept"]))
    assert "Shrinkage of 12 county groups" in " ".join(texts)
    assert [ax.get_title() for ax in fit.plot_shrinkage("state", "month").axes] == ["month"]


def test_label_count_is_validated(fit):
    from pandas_hier.errors import InvalidParameterError

    with pytest.raises(InvalidParameterError, match="plot_shrinkage: label"):
        fit.plot_shrinkage(label=-1)
