"""pandas_hier.plots._common: argument checks, scale notes, group rows, sizes."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest

from pandas_hier.errors import ColumnNotFoundError, InvalidParameterError
from pandas_hier.plots import _common


def _stub(likelihood="normal", trials=None, exposure=None):
    return SimpleNamespace(y="y", x=("x1", "x2"), levels=("a", "b"),
                           options=SimpleNamespace(likelihood=likelihood, trials=trials, exposure=exposure))


@pytest.mark.parametrize(("likelihood", "expected"), [
    ("normal", ""), ("studentt", ""), ("bernoulli", "logit link scale (log-odds)"),
    ("binomial", "logit link scale (log-odds)"), ("poisson", "log link scale (log rate)"),
    ("negbinomial", "log link scale (log rate)"),
])
def test_non_gaussian_families_state_the_link_scale(likelihood, expected):
    assert _common.scale_label(_stub(likelihood)) == expected


def test_response_label_names_proportions_rates_and_probabilities():
    assert _common.response_label(_stub("binomial", trials="n")) == "y / n (proportion)"
    assert _common.response_label(_stub("poisson", exposure="t")) == "y / t (rate)"
    assert _common.response_label(_stub("bernoulli")) == "y (probability)"
    assert _common.response_label(_stub()) == "y"


def test_levels_and_coefficients_are_checked_with_close_matches():
    fit = _stub()
    assert _common.check_level(fit, None) == "b"
    with pytest.raises(ColumnNotFoundError, match=r"unknown level 'bb'; did you mean 'b'\?"):
        _common.check_level(fit, "bb")
    assert _common.check_coefs(fit, None) == ["intercept", "x1", "x2"]
    assert _common.check_coefs(fit, ["x2", "x2"]) == ["x2"]
    with pytest.raises(ColumnNotFoundError, match=r"unknown coefficient 'intercpt'; did you mean 'intercept'\?"):
        _common.check_coefs(fit, "intercpt")
    with pytest.raises(InvalidParameterError, match="at least one"):
        _common.check_coefs(fit, [])


def test_sizes_shrink_with_more_groups_and_the_height_is_capped():
    sizes = [_common.tick_fontsize(n) for n in (5, 50, 100, 200, 5000)]
    assert sizes == sorted(sizes, reverse=True) and sizes[-1] >= 5
    assert _common.figure(4, 500).get_size_inches()[1] == _common.MAX_HEIGHT


def test_group_rows_map_leaves_to_each_level(fit, df):
    rows = _common.group_rows(fit, "state", None, "test")
    same = _common.group_rows(fit, "state", df, "test")
    np.testing.assert_array_equal(rows.group, same.group)
    np.testing.assert_array_equal(rows.y, df["salary"].to_numpy())
    states = fit.tables["state"]
    labels = states["state"].to_numpy()[rows.group]
    np.testing.assert_array_equal(labels, df["state"].to_numpy())
    with pytest.raises(InvalidParameterError, match="1 rows of data have a 'state' group not seen"):
        _common.group_rows(fit, "state", df.assign(state=["Nowhere"] + df["state"].tolist()[1:]), "test")
