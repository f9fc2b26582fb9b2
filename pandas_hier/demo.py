"""The main job: fit the embedded seed-shaped data set (degree > state > county) and report.

Run with ``bash dev demo`` (or ``python -m pandas_hier.demo``). Prints the fit, the global
coefficients, the variance components and the county table, and writes ``out/demo.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd

import pandas_hier


def main(argv: list[str] | None = None) -> int:
    """Run the demo; returns the process exit code."""
    parser = argparse.ArgumentParser(prog="python -m pandas_hier.demo", description=__doc__)
    parser.add_argument("--out", type=Path, default=Path("out"), help="folder for the plot")
    parser.add_argument("--draws", type=int, default=1000)
    parser.add_argument("--tune", type=int, default=1000)
    parser.add_argument("--chains", type=int, default=4)
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)

    df = pandas_hier.datasets.load_salary()
    enc = df.hier.encode(["degree", "state", "county"])
    tabs = enc.hier.tables()
    print(
        f"Embedded data: {len(enc)} rows; "
        + ", ".join(f"{len(t)} {lv} groups" for lv, t in tabs.items())
    )
    print("Fitting salary ~ month with intercept and slope varying by degree > state > county ...")
    fit = enc.hier.fit(
        "month", "salary", draws=args.draws, tune=args.tune, chains=args.chains,
        random_seed=args.seed, progressbar=not args.no_progress,
    )  # fmt: skip
    t = fit.timings
    print(fit)
    print(
        f"Time: prepare {t['prepare_s']:.1f} s, compile {t['compile_s']:.1f} s, "
        f"sample {t['sample_s']:.1f} s, post-process {t['postprocess_s']:.1f} s\n"
    )
    with pd.option_context("display.width", 140, "display.max_columns", 20, "display.precision", 1):
        summary = fit.summary()
        print("Global coefficients (original scale):")
        print(summary[summary.parameter == "b_global"].drop(columns=["level", "group"]).to_string(index=False))
        print("\nVariance components (sd of group offsets; intercept at mean month):")
        print(fit.variance_components().to_string(index=False))
        cols = ["degree", "state", "county", "intercept", "intercept_hdi_low", "intercept_hdi_high",
                "month", "month_hdi_low", "month_hdi_high", "n_rows", "pooling_intercept"]  # fmt: skip
        print("\nCounty table (total coefficients, 94% HDI):")
        print(fit.coef("county")[cols].to_string())

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    args.out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(13, 14))
    fit.plot_forest("county", "intercept", ax=axes[0])
    fit.plot_forest("county", "month", ax=axes[1])
    axes[1].set_yticklabels([])
    fig.tight_layout()
    path = args.out / "demo.png"
    fig.savefig(path, dpi=90)
    print(f"\nPlot written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
