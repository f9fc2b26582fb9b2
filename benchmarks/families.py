"""Likelihood-family benchmark: pandas-hier's default route per family vs the row-level PyMC
model (NUTS, non-centred) vs bambi, side by side, against the Gaussian default on the same shape.

Usage::

    .venv/bin/python benchmarks/families.py                      # all cases; writes docs/benchmarks.md
    .venv/bin/python benchmarks/families.py --cases ours-bernoulli-20k rowlevel-bernoulli-20k --no-write

Seed-shaped data as in ``benchmarks/fit.py``: 2 x 25 x 40 = 2,000 leaves, a predictor
(``month``, centred) with intercept and slope varying at every level, on the link scale; the
response is drawn from the family (Student-t with 4 degrees of freedom for ``studentt`` and
``cauchy``; binomial with 1 to 10 trials; negative binomial with alpha 5). Every case runs in a
fresh subprocess, 2 chains x 1000 tune + 1000 draws, under a wall-clock cap. Reported: wall
time, minimum bulk ESS and maximum r_hat over every parameter (group coefficients included),
divergences. The ``blog`` size is the embedded data set with ``likelihood="cauchy"``.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

LEVELS = ["degree", "state", "county"]
DRAWS = TUNE = 1000
CHAINS = 2
FAMILIES = ["normal", "studentt", "cauchy", "bernoulli", "binomial", "negbinomial", "poisson"]
SIZES = {"20k": 20_000, "200k": 200_000, "blog": None}


def make_data(family: str, n_rows: int, seed: int = 0):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    n_d, n_s, n_c = 2, 25, 40
    leaves = n_d * n_s * n_c
    sd = {"normal": 1.0, "studentt": 1.0, "cauchy": 1.0}.get(family, 0.3)
    icpt = np.repeat(rng.normal(0, sd, n_d), n_s) + rng.normal(0, sd, n_d * n_s)
    icpt = np.repeat(icpt, n_c) + rng.normal(0, sd, leaves)
    slope = np.repeat(0.05 + rng.normal(0, 0.02, n_d), n_s * n_c) + rng.normal(0, 0.02, leaves)
    leaf = np.repeat(np.arange(leaves), n_rows // leaves)
    month = rng.integers(1, 25, leaf.size).astype(float) - 12.5
    eta = icpt[leaf] + slope[leaf] * month
    df = pd.DataFrame({
        "degree": np.array(["degree", "no degree"])[leaf // (n_s * n_c)],
        "state": np.array([f"state {i:02d}" for i in range(n_s)])[(leaf // n_c) % n_s],
        "county": np.array([f"county {i:02d}" for i in range(n_c)])[leaf % n_c],
        "month": month,
    })  # fmt: skip
    if family == "normal":
        df["y"] = eta + rng.normal(0, 1.0, leaf.size)
    elif family in ("studentt", "cauchy"):
        df["y"] = eta + rng.standard_t(4, leaf.size)
    elif family == "bernoulli":
        df["y"] = (rng.random(leaf.size) < 1 / (1 + np.exp(-eta))).astype(int)
    elif family == "binomial":
        df["n"] = rng.integers(1, 11, leaf.size)
        df["y"] = rng.binomial(df["n"], 1 / (1 + np.exp(-eta)))
    elif family == "negbinomial":
        df["y"] = rng.poisson(rng.gamma(5.0, np.exp(eta + 1.0) / 5.0))
    else:
        df["y"] = rng.poisson(np.exp(eta + 1.0))
    return df


def _diag(tree, seconds: float) -> dict:
    import arviz as az
    import numpy as np

    post = tree["posterior"].to_dataset()
    ess, rhat = az.ess(post, method="bulk"), az.rhat(post)
    min_ess = min(float(np.nanmin(ess[v].values)) for v in ess.data_vars)
    max_rhat = max(float(np.nanmax(rhat[v].values)) for v in rhat.data_vars)
    stats = tree["sample_stats"].to_dataset() if "sample_stats" in tree.children else {}
    div = int(stats["diverging"].values.sum()) if "diverging" in stats else 0
    return {"min_ess_bulk": min_ess, "max_rhat": max_rhat, "divergences": div, "ess_per_s": min_ess / seconds}


def _ours(df, family: str, **options) -> dict:
    import arviz  # noqa: F401
    import nutpie  # noqa: F401
    import pymc  # noqa: F401

    import pandas_hier

    kw = {"trials": "n"} if family == "binomial" else {}
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = df.hier.fit("month", "y", levels=LEVELS, likelihood=family, draws=DRAWS, tune=TUNE,
                          chains=CHAINS, random_seed=1, progressbar=False, **kw, **options)  # fmt: skip
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "route": fit.sampler, **_diag(fit.idata, wall)}


def run_ours(df, family: str) -> dict:
    return _ours(df, family)


def run_rowlevel(df, family: str) -> dict:
    return _ours(df, family, parameterization="noncentered", sampler="nutpie")


def run_bambi(df, family: str) -> dict:
    import bambi as bmb

    lhs = "p(y, n)" if family == "binomial" else "y"
    fam = {"normal": "gaussian", "studentt": "t", "negbinomial": "negativebinomial"}.get(family, family)
    terms = "(month|degree) + (month|degree:state) + (month|degree:state:county)"
    t0 = time.perf_counter()
    model = bmb.Model(f"{lhs} ~ month + {terms}", df, family=fam)
    tree = model.fit(draws=DRAWS, tune=TUNE, chains=CHAINS, random_seed=1, inference_method="nutpie",
                     progressbar=False)  # fmt: skip
    wall = time.perf_counter() - t0
    return {"wall_s": wall, "route": "nutpie", **_diag(tree, wall)}


RUNNERS = {"ours": run_ours, "rowlevel": run_rowlevel, "bambi": run_bambi}


def _child(case: str) -> None:
    method, family, size = case.split("-")
    if size == "blog":
        import pandas_hier

        df = pandas_hier.datasets.load_salary().rename(columns={"salary": "y"})
    else:
        df = make_data(family, SIZES[size])
    result = RUNNERS[method](df, family)
    print(json.dumps({**result, "rows": len(df)}))


def main() -> None:
    default = [f"{m}-{f}-{s}" for s in ("20k", "200k") for f in FAMILIES for m in ("ours",)]
    default += [f"{m}-{f}-20k" for f in FAMILIES if f != "normal" for m in ("rowlevel", "bambi") if (m, f) != ("bambi", "cauchy")]
    default += ["ours-cauchy-blog"]
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--cases", nargs="*", default=default)
    parser.add_argument("--cap", type=float, default=600.0, help="seconds per case")
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--from-log", type=Path, help="rebuild the table from a log of a past run")
    args = parser.parse_args()
    if args.child:
        _child(args.child)
        return
    from _common import machine, write_section

    rows = []
    if args.from_log:
        rows = [json.loads(ln) for ln in args.from_log.read_text().splitlines() if ln.startswith("{")]
    for case in [] if args.from_log else args.cases:
        try:
            proc = subprocess.run([sys.executable, __file__, "--child", case], capture_output=True,
                                  text=True, timeout=args.cap)  # fmt: skip
            out = proc.stdout.strip().splitlines()
            res = json.loads(out[-1]) if proc.returncode == 0 and out else {
                "error": (proc.stderr.strip().splitlines() or [f"exit {proc.returncode}"])[-1][:100]}
        except subprocess.TimeoutExpired:
            res = {"capped": args.cap}
        res["case"] = case
        print(json.dumps(res), flush=True)
        rows.append(res)
    gauss = {r["case"].split("-")[2]: r["wall_s"] for r in rows if r["case"].startswith("ours-normal-") and "wall_s" in r}

    def fmt(r: dict) -> str:
        method, family, size = r["case"].split("-")
        label = {"ours": "pandas-hier default", "rowlevel": "row-level NUTS", "bambi": "bambi"}[method]
        if "wall_s" not in r:
            why = f"over the {r['capped']:.0f} s cap" if "capped" in r else r.get("error", "failed")
            return f"| {family} | {size} | {label} | {why} | | | | |"
        ratio = f"{r['wall_s'] / gauss[size]:.1f}x" if size in gauss else ""
        return (f"| {family} | {size} | {label} ({r['route']}) | {r['wall_s']:.1f} s | {ratio} | "
                f"{r['divergences']} | {r['max_rhat']:.3f} | {r['min_ess_bulk']:.0f} |")  # fmt: skip

    table = [
        f"Machine: {machine()}. 2 chains x 1000 tune + 1000 draws; r_hat and bulk ESS over every "
        "parameter, group coefficients included; the ratio is to the Gaussian default on the same "
        "shape. Written by `benchmarks/families.py`.",
        "",
        "| likelihood | rows | method | wall | vs Gaussian | divergences | max r_hat | min bulk ESS |",
        "| --- | --- | --- | --- | --- | --- | --- | --- |",
        *map(fmt, rows),
    ]
    print("\n".join(table))
    if not args.no_write:
        write_section("Likelihood families", "\n".join(table))


if __name__ == "__main__":
    main()
