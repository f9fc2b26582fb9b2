"""pandas_hier.names: the registry of variable names and the kind of a level's scale."""

from __future__ import annotations

import pytest

from pandas_hier import names
from pandas_hier.names import ScaleKind


def test_names_of_a_level():
    assert [names.b("county"), names.sd("county"), names.chol("county"), names.corr("county"),
            names.pooling("county"), names.coef_dim("county"), names.coef_dim2("county")] == [
        "b_county", "sd_county", "chol_county", "corr_county", "pooling_county", "coef_county",
        "coef_county_"]  # fmt: skip


@pytest.mark.parametrize(
    "sd_per, correlated, depth, k, kind",
    [
        ("level", False, 0, 2, ScaleKind.LEVEL),
        ("parent", False, 0, 2, ScaleKind.LEVEL),  # the top level has one parent: the root
        ("parent", False, 1, 2, ScaleKind.PARENT),
        ("level", True, 1, 2, ScaleKind.CHOL),
        ("level", True, 1, 1, ScaleKind.LEVEL),  # one varying coefficient: nothing to correlate
    ],
)
def test_scale_kind_is_decided_in_one_place(sd_per, correlated, depth, k, kind):
    got = names.scale_kind(sd_per=sd_per, correlated=correlated, depth=depth, n_varying=k)
    assert got is kind and got.triangular == (kind is ScaleKind.CHOL)
