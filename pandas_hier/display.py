"""How a fit and its lookup tables show themselves: a few readable lines (``repr``) and a
compact HTML block for notebooks (``_repr_html_``), built from the fit's public interface.

The advice shown for an unhealthy fit is the text of the warnings the fit raised
(:func:`pandas_hier.diagnostics.warn_if_unhealthy`), written once there.

Examples
--------
>>> from pandas_hier import display
>>> print(display.text(fit).splitlines()[0])
<HierFit salary ~ month | degree (2) > state (4) > county (12); 72 rows
>>> "<table" in display.html(fit)
True
"""

from __future__ import annotations

import warnings
from html import escape

from pandas_hier import families

__all__ = ["Tables", "advice", "html", "text"]

_TIMINGS = {"prepare_s": "prepare", "compile_s": "compile", "sample_s": "sample",
            "postprocess_s": "post-process"}  # fmt: skip


def advice(fit) -> list[str]:
    """The messages of the warnings the fit's diagnostics call for (empty when healthy)."""
    from pandas_hier.diagnostics import warn_if_unhealthy

    with warnings.catch_warnings(record=True) as seen:
        warnings.simplefilter("always")
        warn_if_unhealthy(fit.diagnostics)
    return [f"{w.category.__name__}: {w.message}" for w in seen]


def _status(fit) -> str:
    d = fit.diagnostics
    if fit.sampler in ("advi", "pathfinder"):
        return f"approximation ({fit.sampler}): no convergence diagnostics"
    stuck = f", stuck chains {list(d.stuck_chains)}" if d.stuck_chains else ""
    verdict = "ok" if d.ok else "see the advice"
    return (f"{d.divergences} divergences{stuck}, max r_hat {d.max_rhat:.3f}, "
            f"min bulk ESS {d.min_ess_bulk:,.0f}; {verdict}")  # fmt: skip


def _timings(fit) -> str:
    parts = [f"{label} {fit.timings[k]:.1f} s" for k, label in _TIMINGS.items()
             if k in fit.timings and fit.timings[k] == fit.timings[k]]  # fmt: skip
    return ", ".join(parts)


def _model(fit) -> str:
    return f"{fit.y} ~ {' + '.join(map(str, fit.x)) or '1'}"


def text(fit) -> str:
    """A few readable lines: model, levels with group counts, rows, likelihood, sampler,
    chains x draws, diagnostics status, timings."""
    tables = fit.tables
    levels = " > ".join(f"{lv} ({len(tables[lv])})" for lv in fit.levels)
    d = fit.diagnostics
    family = families.get(fit.options.likelihood)
    lines = [
        f"<HierFit {_model(fit)} | {levels}; {fit.n_rows} rows",
        f" likelihood {family.name}: {family.scale_note()}",
        f" {d.chains} chains x {d.draws} draws ({fit.sampler}): {_status(fit)}",
    ]
    if t := _timings(fit):
        lines.append(f" time: {t}")
    return "\n".join(lines) + ">"


def html(fit) -> str:
    """A compact HTML block for notebooks; every label is escaped."""
    tables = fit.tables
    d = fit.diagnostics
    family = families.get(fit.options.likelihood)
    e = escape
    levels = "".join(
        f"<tr><td>{e(str(lv))}</td><td>{len(tables[lv]):,}</td></tr>" for lv in fit.levels
    )
    rows = [
        ("model", e(_model(fit))),
        ("rows", f"{fit.n_rows:,}"),
        ("predictors", e(", ".join(map(str, fit.x))) or "none (intercept only)"),
        ("likelihood", f"{e(family.name)} <small>({e(family.scale_note())})</small>"),
        ("sampler", f"{e(str(fit.sampler))}, {d.chains} chains x {d.draws:,} draws"),
        ("diagnostics", e(_status(fit))),
        ("time", e(_timings(fit)) or "not recorded"),
    ]
    body = "".join(f"<tr><th style='text-align:left'>{k}</th><td style='text-align:left'>{v}"
                   "</td></tr>" for k, v in rows)  # fmt: skip
    tips = advice(fit)
    colour = "#2e7d32" if d.ok else "#b26a00"
    notes = "".join(f"<li>{e(t)}</li>" for t in tips)
    notes = f"<ul style='margin:4px 0 0 0'>{notes}</ul>" if notes else ""
    return (
        f"<div class='pandas-hier-fit' style='border-left:4px solid {colour};padding-left:8px'>"
        f"<b>HierFit</b> {e(_model(fit))}"
        "<div style='display:flex;gap:24px;align-items:flex-start'>"
        "<table><thead><tr><th>level</th><th>groups</th></tr></thead>"
        f"<tbody>{levels}</tbody></table>"
        f"<table><tbody>{body}</tbody></table></div>{notes}</div>"
    )


class Tables(dict):
    """Lookup tables per level (a plain ``dict`` of DataFrames) that display as one block
    per level: its group count, its parent level, and the table's first and last rows.

    Examples
    --------
    >>> tables = fit.tables
    >>> isinstance(tables, dict), list(tables)
    (True, ['degree', 'state', 'county'])
    >>> print(repr(tables).splitlines()[0])
    Lookup tables: degree (2 groups) > state (4 groups) > county (12 groups)
    """

    def _heading(self) -> str:
        return " > ".join(f"{lv} ({len(t):,} groups)" for lv, t in self.items())

    def __repr__(self) -> str:
        parts = [f"Lookup tables: {self._heading()}"]
        for lv, t in self.items():
            parts.append(f"\n[{lv}]\n{t.to_string(max_rows=10)}")
        return "\n".join(parts)

    def _repr_html_(self) -> str:
        blocks = []
        for lv, t in self.items():
            total = f", {int(t['n_rows'].sum()):,} rows" if "n_rows" in t else ""
            blocks.append(
                f"<details{' open' if len(self) == 1 or t is list(self.values())[-1] else ''}>"
                f"<summary><b>{escape(str(lv))}</b>: {len(t):,} groups{total}</summary>"
                f"{t.to_html(max_rows=10, border=0)}</details>"
            )
        return f"<div class='pandas-hier-tables'><b>Lookup tables</b>{''.join(blocks)}</div>"
