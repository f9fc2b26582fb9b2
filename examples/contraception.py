"""A real binary outcome: contraceptive use in Bangladesh, compared with lme4::glmer.

1,934 women in 60 districts, from the 1988 Bangladesh Fertility Survey
(``mlmRev::Contraception``, stored with R's reference fit in ``benchmarks/glmer/``). A
Bernoulli (logistic) regression of use on age, age squared, urban residence and the number of
living children, with an intercept and an urban effect that vary by district (uncorrelated),
as in glmer's ``use ~ age + age2 + urban + livch + (1 | district) + (0 + urban | district)``.
The augmented route samples it: Pólya-Gamma latent variables per woman feed the exact engine
of the Gaussian model, so nothing can diverge.

    python examples/contraception.py [--out out/examples/contraception]

Writes ``glmer.png`` (our estimates against glmer's) and ``urban.png`` (the probability of use,
urban and rural, by district) to the output folder. It samples with the default settings (4
chains of 1,000 draws) also under CI: about 15 s once compiled.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

import pandas_hier  # noqa: E402

GLMER = Path(__file__).resolve().parent.parent / "benchmarks" / "glmer"
X = ["age", "age2", "urban01", "livch1", "livch2", "livch3p"]
TERMS = {"intercept": "(Intercept)", **{x: x for x in X}}


def main(out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    women = pd.read_csv(GLMER / "data" / "contraception.csv", dtype={"district": str})
    ref = json.loads((GLMER / "glmer-results.json").read_text())["models"]["contraception_urban"]
    print(f"{len(women)} women in {women['district'].nunique()} districts; "
          f"{women['use01'].mean():.0%} use contraception\n")  # fmt: skip

    fit = women.hier.fit(
        X, "use01", levels=["district"], likelihood="bernoulli",
        varying={"district": ["intercept", "urban01"]},
        standardize=False,  # as glmer: the district intercept is the rural (urban01 = 0) one
        random_seed=11, progressbar=False,
    )  # fmt: skip
    print(fit, "\n")

    glob = fit.summary().query("parameter == 'b_global'").set_index("coef")
    table = pd.DataFrame({
        "ours": glob["mean"], "hdi_low": glob["hdi_low"], "hdi_high": glob["hdi_high"],
        "glmer": [ref["fixef"][TERMS[c]]["estimate"] for c in glob.index],
        "glmer_se": [ref["fixef"][TERMS[c]]["se"] for c in glob.index],
    })  # fmt: skip
    table["diff / se"] = (table["ours"] - table["glmer"]) / table["glmer_se"]
    print("Fixed effects (log-odds): posterior mean and 94% HDI against glmer's Laplace estimate")
    print(table.round(3).to_string(), "\n")
    sd = fit.variance_components().query("level == 'district'").set_index("coef")
    sd["glmer"] = [ref["sd"]["district"][TERMS[c]] for c in sd.index]
    print("District sds (log-odds):")
    print(sd[["mean", "hdi_low", "hdi_high", "glmer"]].round(3).to_string(), "\n")

    fig, ax = plt.subplots(figsize=(7, 4.5))
    y = np.arange(len(table))[::-1]
    ours_err = [table["ours"] - table["hdi_low"], table["hdi_high"] - table["ours"]]
    ax.errorbar(table["ours"], y + 0.12, xerr=ours_err, fmt="o", label="pandas-hier (94% HDI)")
    ax.errorbar(table["glmer"], y - 0.12, xerr=1.88 * table["glmer_se"], fmt="s",
                label="lme4::glmer (estimate +- 1.88 se)")  # fmt: skip
    ax.set_yticks(y, table.index)
    ax.axvline(0, color="k", lw=0.6)
    ax.set_xlabel("log-odds of contraceptive use")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(out / "glmer.png", dpi=90)
    plt.close(fig)

    # Probability of use for a woman of mean age with two children, rural and urban, by district.
    districts = fit.tables["district"]["district"]
    grid = pd.DataFrame({"district": np.repeat(districts.to_numpy(), 2), "age": 0.0, "age2": 0.0,
                         "urban01": np.tile([0, 1], len(districts)), "livch1": 0, "livch2": 1,
                         "livch3p": 0})  # fmt: skip
    grid["age2"] = women["age2"].mean()
    pred = fit.predict(grid, random_seed=0)
    wide = grid.assign(p=pred["mean"]).pivot(index="district", columns="urban01", values="p")
    print("Probability of use, woman of mean age with two children (rural, urban):")
    print(f"  median over districts {wide[0].median():.2f} rural, {wide[1].median():.2f} urban; "
          f"rural ranges {wide[0].min():.2f} to {wide[0].max():.2f}\n")  # fmt: skip
    fig, ax = plt.subplots(figsize=(6, 5))
    ax.scatter(wide[0], wide[1], s=12)
    ax.plot([0, 1], [0, 1], color="k", lw=0.6)
    ax.set_xlabel("rural: probability of use")
    ax.set_ylabel("urban: probability of use")
    ax.set_title("Each district's rural and urban rates (posterior means)")
    fig.tight_layout()
    fig.savefig(out / "urban.png", dpi=90)
    plt.close(fig)
    print(f"Figures written to {out}/: glmer.png, urban.png")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("out/examples/contraception"))
    main(parser.parse_args().out)
