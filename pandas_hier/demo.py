"""The main job: fit the embedded seed-shaped data set (degree > state > county) and report.

Run with ``bash dev demo`` (or ``python -m pandas_hier.demo``). Prints the fit, the global
coefficients, the variance components and the county table, and writes ``out/demo.png``.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
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
    print(fit)  # levels, diagnostics and the time each phase took
    print()
    summary = fit.summary()
    glob = summary[summary.parameter == "b_global"]
    print("Global coefficients (original scale, 94% HDI):")
    print(_table(glob, ["coef", "mean", "sd", "hdi_low", "hdi_high", "ess_bulk", "ess_tail", "r_hat"]))
    vc = fit.variance_components()
    print("\nVariance components (sd of group offsets; intercept at mean month):")
    print(_table(vc, ["level", "coef", "mean", "sd", "hdi_low", "hdi_high"]))
    county = fit.coef("county")
    shown = pd.concat([county.head(5), county.tail(5)])
    print(f"\nCounty table (first and last 5 of {len(county)} counties): total coefficients with "
          "94% HDI;\npooling of the intercept, from 0 (own data only) to 1 (the state's value)")  # fmt: skip
    rows = pd.DataFrame(
        {
            "degree": shown["degree"],
            "state": shown["state"],
            "county": shown["county"],
            "intercept (94% HDI)": _with_hdi(shown, "intercept", "{:,.0f}"),
            "month (94% HDI)": _with_hdi(shown, "month", "{:,.1f}"),
            "rows": shown["n_rows"],
            "pooling": shown["pooling_intercept"].map("{:.2f}".format),
        }
    )
    print(rows.to_string(index=False))

    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / "demo.png"
    fit.plot_forest("county").savefig(path, dpi=90)
    print(f"\nPlot written to {path}")
    return 0


def _number(value: float) -> str:
    """One format for every estimate: thousands separators, 1 decimal, or 3 significant digits
    for small magnitudes."""
    if not np.isfinite(value):
        return str(value)
    if value == 0 or abs(value) >= 10:
        return f"{value:,.1f}"
    return f"{value:.3g}"


def _table(frame: pd.DataFrame, columns: list[str]) -> str:
    """A summary table as text: estimates in one format, ESS as integers, r_hat to 3 decimals."""
    out = frame[columns].copy()
    for col in columns:
        if col.startswith("ess"):
            out[col] = out[col].map(lambda v: f"{v:,.0f}")
        elif col == "r_hat":
            out[col] = out[col].map("{:.3f}".format)
        elif pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].map(_number)
    return out.to_string(index=False)


def _with_hdi(table: pd.DataFrame, coef: str, fmt: str) -> pd.Series:
    low, high = table[f"{coef}_hdi_low"], table[f"{coef}_hdi_high"]
    return pd.Series(
        [f"{fmt.format(m)} ({fmt.format(lo)} to {fmt.format(hi)})"
         for m, lo, hi in zip(table[coef], low, high, strict=True)],
        index=table.index,
    )  # fmt: skip


if __name__ == "__main__":
    raise SystemExit(main())
