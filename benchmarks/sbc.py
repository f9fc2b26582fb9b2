"""Simulation-based calibration (Talts et al. 2018) of the augmented route, for the Bernoulli,
Student-t and Poisson likelihoods.

Usage::

    .venv/bin/python benchmarks/sbc.py                    # 200 replicates each; writes docs
    .venv/bin/python benchmarks/sbc.py --replicates 20 --no-write
    .venv/bin/python benchmarks/sbc.py --from-log run1.log run2.log   # table + figure from logs

Each replicate draws every parameter from the fit's own (explicit) priors, simulates a data set
of 20 groups x 10 rows with intercept and slope varying by group, fits it (2 chains x 500 tune +
500 draws) and records, per parameter, the rank of the true value among 99 thinned posterior
draws. For the Poisson (whose Gibbs sweep moves groups by hand-written Metropolis-Hastings
steps) the predictor takes 5 values, so that rows merge and the global step works on cells of
equal predictors. If the sampler targets the posterior, every rank is uniform on 0..99; the table gives a
chi-square test over 10 bins per parameter and the figure the histograms.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

FIGURE = Path(__file__).resolve().parent.parent / "docs" / "sbc.png"
GROUPS, PER = 20, 10
THIN = 99


def priors():
    from pandas_hier import Prior

    return {
        "intercept": Prior("Normal", mu=0.0, sigma=1.0), "slope": Prior("Normal", mu=0.0, sigma=1.0),
        "sd": Prior("HalfNormal", sigma=1.0), "sigma": Prior("HalfNormal", sigma=1.0),
        "nu": Prior("Gamma", alpha=2.0, beta=0.1),
    }  # fmt: skip


def replicate(family: str, seed: int) -> dict[str, int]:
    import pandas as pd

    import pandas_hier

    rng = np.random.default_rng(seed)
    truth = {"intercept": rng.normal(), "slope": rng.normal(), "sd_intercept": abs(rng.normal()),
             "sd_slope": abs(rng.normal())}  # fmt: skip
    g = np.repeat(np.arange(GROUPS), PER)
    x = rng.standard_normal(g.size) if family != "poisson" else rng.integers(-2, 3, g.size) / 2.0
    a = truth["intercept"] + truth["sd_intercept"] * rng.standard_normal(GROUPS)
    b = truth["slope"] + truth["sd_slope"] * rng.standard_normal(GROUPS)
    eta = a[g] + b[g] * x
    if family == "bernoulli":
        y = (rng.random(g.size) < 1 / (1 + np.exp(-eta))).astype(int)
    elif family == "poisson":
        y = rng.poisson(np.exp(eta))
    else:
        truth["sigma"], truth["nu"] = abs(rng.normal()), rng.gamma(2.0, 1 / 0.1)
        y = eta + truth["sigma"] * rng.standard_t(truth["nu"], g.size)
    df = pd.DataFrame({"g": [f"g{i:02d}" for i in g], "x": x, "y": y})
    pri = priors() if family == "studentt" else {k: v for k, v in priors().items() if k not in ("sigma", "nu")}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = df.hier.fit("x", "y", levels=["g"], likelihood=family, standardize=False, priors=pri,
                          chains=2, tune=500, draws=500, random_seed=seed, progressbar=False)  # fmt: skip
    post = fit.idata["posterior"]
    draws = {
        "intercept": post["b_global"].sel(coef="intercept"), "slope": post["b_global"].sel(coef="x"),
        "sd_intercept": post["sd_g"].sel(coef_g="intercept"), "sd_slope": post["sd_g"].sel(coef_g="x"),
        **({"sigma": post["sigma"], "nu": post["nu"]} if family == "studentt" else {}),
    }  # fmt: skip
    ranks = {}
    for name, da in draws.items():
        flat = da.to_numpy().reshape(-1)
        kept = flat[np.linspace(0, flat.size - 1, THIN).astype(int)]
        ranks[name] = int(np.sum(kept < truth[name]))
    assert fit.sampler == "gibbs"
    return ranks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--replicates", type=int, default=200)
    parser.add_argument("--families", nargs="*", default=["bernoulli", "studentt", "poisson"])
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--from-log", type=Path, nargs="*", help="rebuild the table and figure "
                        "from the JSON lines of past runs (a later line for a likelihood wins)")
    args = parser.parse_args()
    from scipy import stats

    from _common import machine, write_section

    results: dict = {}
    started = time.perf_counter()
    for log in args.from_log or []:
        for line in log.read_text().splitlines():
            if line.startswith("{"):
                results.update({f: {k: np.array(v) for k, v in r.items()} for f, r in json.loads(line).items()})
    for family in [] if args.from_log else args.families:
        rows = [replicate(family, 1000 + r) for r in range(args.replicates)]
        results[family] = {k: np.array([r[k] for r in rows]) for k in rows[0]}
        print(json.dumps({family: {k: v.tolist() for k, v in results[family].items()}}), flush=True)
    counts_of = ", ".join(f"{len(next(iter(r.values())))} for {f}" for f, r in results.items())
    took = "" if args.from_log else f" in {time.perf_counter() - started:.0f} s"
    lines = [
        f"Machine: {machine()}. Replicates: {counts_of} (seeds from 1000 up); 20 groups x 10 "
        f"rows, 2 chains x 500 + 500, ranks among {THIN} thinned draws; written by "
        f"`benchmarks/sbc.py`{took}. Uniform ranks are what a correct sampler gives; "
        "the p-value is a chi-square test over 10 bins.",
        "",
        "| likelihood | parameter | p-value | ranks per bin (10 bins) |",
        "| --- | --- | --- | --- |",
    ]
    for family, ranks in results.items():
        for name, r in ranks.items():
            counts = np.histogram(r, bins=10, range=(0, THIN + 1))[0]
            p = stats.chisquare(counts).pvalue
            lines.append(f"| {family} | {name} | {p:.2f} | {' '.join(map(str, counts))} |")
    lines += ["", "![SBC rank histograms](sbc.png)"]
    print("\n".join(lines))
    if args.no_write:
        return
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    n = max(len(r) for r in results.values())
    fig, axes = plt.subplots(len(results), n, figsize=(2.4 * n, 2.2 * len(results)), squeeze=False)
    for i, (family, ranks) in enumerate(results.items()):
        for j, ax in enumerate(axes[i]):
            if j >= len(ranks):
                ax.axis("off")
                continue
            name, r = list(ranks.items())[j]
            ax.hist(r, bins=10, range=(0, THIN + 1), color="C0")
            ax.axhline(len(r) / 10, color="k", lw=0.8)
            ax.set_ylim(0, 2.0 * len(r) / 10)  # one scale for every panel: 0 to twice uniform
            ax.set_title(f"{family}: {name}", fontsize=8)
            ax.set_yticks([])
    fig.tight_layout()
    fig.savefig(FIGURE, dpi=110)
    write_section("Simulation-based calibration", "\n".join(lines))


if __name__ == "__main__":
    main()
