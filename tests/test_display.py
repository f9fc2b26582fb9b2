"""pandas_hier.display: the readable repr and the notebook HTML of a fit and its lookup tables."""

from __future__ import annotations

import re
import warnings
from dataclasses import replace

import pytest
from conftest import mock_fit

import pandas_hier
from pandas_hier import display


def test_repr_is_a_few_lines_with_every_part(fit):
    text = repr(fit)
    assert 3 <= len(text.splitlines()) <= 5
    assert text.startswith("<HierFit salary ~ month | degree (2) > state (4) > county (12); 72 rows")
    assert "likelihood normal: coefficients on the response's scale" in text
    assert re.search(r"2 chains x 50 draws \(pymc\): 0 divergences, max r_hat \d\.\d{3}", text)
    # PyMC compiles inside sampling: its compile time is NaN and left out
    assert re.search(r"time: prepare \d+\.\d s, sample \d+\.\d s, post-process \d+\.\d s>$", text)


def test_html_has_levels_counts_status_advice_and_timings(fit):
    html = fit._repr_html_()
    for level, n in (("degree", 2), ("state", 4), ("county", 12)):
        assert f"<tr><td>{level}</td><td>{n}</td></tr>" in html
    for part in ("72", "month", "normal", "pymc, 2 chains x 50 draws", "max r_hat", "prepare ", "post-process "):
        assert part in html
    # these prior draws do not converge: the status says so, with the warning's own advice
    assert not fit.diagnostics.ok and "see the advice" in html
    assert "ConvergenceWarning: chains may not have converged" in html and "Draw more" in html
    healthy = replace(fit.diagnostics, max_rhat=1.0, min_ess_bulk=1e4, min_ess_tail=1e4)
    assert display.advice(fit) and not display.advice(_public(fit, diagnostics=healthy))
    assert "see the advice" not in display.html(_public(fit, diagnostics=healthy))


def test_labels_are_escaped(df):
    odd = df.assign(county=df["county"].where(df["county"] != df["county"].iloc[0], "<b>Kings & Co</b>"),
                    degree=df["degree"].replace({"degree": "<i>deg</i>"}))  # fmt: skip
    fit = mock_fit(odd, draws=10, chains=1)
    tables_html = fit.tables._repr_html_()
    assert "<b>Kings & Co</b>" not in tables_html and "&lt;b&gt;Kings &amp; Co&lt;/b&gt;" in tables_html
    assert "<i>deg</i>" not in tables_html
    html = display.html(_public(fit, y="<y & z>", x=("<m>",)))
    assert "&lt;y &amp; z&gt; ~ &lt;m&gt;" in html and "<y" not in html and "<m>" not in html


def _public(fit, **changes):
    from types import SimpleNamespace

    names = ("tables", "levels", "diagnostics", "options", "x", "y", "n_rows", "timings", "sampler")
    return SimpleNamespace(**{**{k: getattr(fit, k) for k in names}, **changes})


def test_lookup_tables_display_one_block_per_level(fit):
    tables = fit.tables
    assert isinstance(tables, dict) and set(tables) == {"degree", "state", "county"}
    text = repr(tables)
    assert text.startswith("Lookup tables: degree (2 groups) > state (4 groups) > county (12 groups)")
    html = tables._repr_html_()
    assert html.count("<details") == 3 and "<b>county</b>: 12 groups, 72 rows" in html
    assert html.count("<table") == 3


def test_an_approximation_says_it_has_no_diagnostics(fit):
    stub = _public(fit, sampler="advi")
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert "approximation (advi): no convergence diagnostics" in display.text(stub)
    assert isinstance(pandas_hier.HierFit.__repr__(fit), str)


@pytest.mark.parametrize("name", ["text", "html"])
def test_functions_use_only_public_attributes(fit, name):
    assert getattr(display, name)(_public(fit)) == getattr(display, name)(fit)
