"""Scale-out benchmark: encode and fit on a Dask DataFrame of tens of millions of rows.

Usage::

    .venv/bin/python benchmarks/scale.py                     # 50M rows; writes docs/benchmarks.md
    .venv/bin/python benchmarks/scale.py --rows 200000000    # adds a 200M-row line
    .venv/bin/python benchmarks/scale.py --rows 2000000 --no-write   # a quick look

The data are generated per partition (``dd.from_map``, 2M rows each; a partition is made from
its own seed on the worker that reads it), never materialised in one process: 10 degrees x 10
states x 20 counties = 2,000 leaves (county names reused across states, categorical levels),
``y = leaf intercept + leaf slope * month + noise`` around 50,000. A ``dask.distributed``
LocalCluster runs 2 worker processes with one thread each. Phases:

- **baseline**: one pass that only makes the data (the sum of ``y``): what reading costs here;
- **encode**: ``ddf.hier.encode(levels)`` (one pass for the label paths), then a pass that
  materialises every code column (the sum of each);
- **statistics**: the one pass of ``ddf.hier.fit`` (validation, per-leaf statistics, scaling);
- **sampling**: compile, NUTS (2 chains x 1000 tune + 1000 draws) and the exact coefficient
  draws, locally; beside it the in-memory pandas fit of 200,000 rows with the same 2,000 leaves.

Client memory is the benchmark process's peak resident set (``ru_maxrss``, since start) and
its peak during the phase; worker memory the highest resident set of either worker process,
sampled every 10 ms during the phase. Results accumulate in ``benchmarks/scale-results.jsonl``
(one line per row count, replaced on a rerun), from which the table is written.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import sys
import time
import warnings
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

LEVELS = ["degree", "state", "county"]
PER_PARTITION = 2_000_000
RESULTS = Path(__file__).resolve().parent / "scale-results.jsonl"
SAMPLING = {"draws": 1000, "tune": 1000, "chains": 2, "random_seed": 1, "progressbar": False}


def _dtypes():
    import pandas as pd

    return {
        "degree": pd.CategoricalDtype([f"degree {i}" for i in range(10)]),
        "state": pd.CategoricalDtype([f"state {i:02d}" for i in range(10)]),
        "county": pd.CategoricalDtype([f"county {i:02d}" for i in range(20)]),
    }


def make_partition(spec: tuple[int, int]):
    """Rows ``spec = (seed, n_rows)`` of the synthetic frame; the same seed gives the same rows."""
    import numpy as np
    import pandas as pd

    seed, n = spec
    rng = np.random.default_rng(seed)
    leaf = rng.integers(0, 2000, n)
    truth = np.random.default_rng(12345)
    intercept = 50_000 + truth.normal(0, 5_000, 2000)
    slope = 300 + truth.normal(0, 50, 2000)
    month = rng.integers(1, 25, n).astype(np.float64)
    dt = _dtypes()
    return pd.DataFrame({
        "degree": pd.Categorical.from_codes(leaf // 200, dtype=dt["degree"]),
        "state": pd.Categorical.from_codes(leaf // 20 % 10, dtype=dt["state"]),
        "county": pd.Categorical.from_codes(leaf % 20, dtype=dt["county"]),
        "month": month,
        "salary": intercept[leaf] + slope[leaf] * month + rng.normal(0, 2_000, n),
    })  # fmt: skip


def _probe_start(dask_worker):
    import threading

    import psutil

    proc = psutil.Process()
    dask_worker._hier_peak = proc.memory_info().rss

    def watch():
        while True:
            dask_worker._hier_peak = max(dask_worker._hier_peak, proc.memory_info().rss)
            time.sleep(0.01)

    threading.Thread(target=watch, daemon=True).start()


def _probe_reset(dask_worker):
    import psutil

    dask_worker._hier_peak = psutil.Process().memory_info().rss


def _probe_read(dask_worker):
    return dask_worker._hier_peak


def _client_max() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def run(n_rows: int, client) -> list[dict]:
    import dask.dataframe as dd
    from _common import PeakRSS

    import pandas_hier
    import pandas_hier.dask_frame  # noqa: F401  (ddf.hier)
    from pandas_hier.dask_frame import api
    from pandas_hier.dask_frame.summary import summarize
    from pandas_hier.fitting import fit_prepared
    from pandas_hier.options import FitOptions

    counts = [PER_PARTITION] * (n_rows // PER_PARTITION) + ([n_rows % PER_PARTITION] if n_rows % PER_PARTITION else [])
    ddf = dd.from_map(make_partition, list(enumerate(counts)), meta=make_partition((0, 0)))
    rows: list[dict] = []

    def phase(name, fn):
        client.run(_probe_reset)
        with PeakRSS(0.01) as peak:
            start = time.perf_counter()
            out = fn()
            wall = time.perf_counter() - start
        workers = max(client.run(_probe_read).values())
        rows.append({"rows": n_rows, "partitions": len(counts), "phase": name, "wall_s": wall,
                     "client_peak": peak.peak + peak._base, "client_max": _client_max(),
                     "worker_peak": workers})  # fmt: skip
        print(json.dumps(rows[-1]), flush=True)
        return out

    one = make_partition((0, PER_PARTITION))
    walls = []
    for _ in range(5):
        start = time.perf_counter()
        summarize(one, LEVELS, ["month", "salary"], schema=None)
        walls.append(time.perf_counter() - start)
    rows.append({"rows": n_rows, "partitions": 1, "phase": "statistics of one 2M-row partition, in process",
                 "wall_s": statistics.median(walls), "client_peak": _client_max(), "client_max": _client_max(),
                 "worker_peak": 0, "rows_per_s_per_core": PER_PARTITION / statistics.median(walls)})  # fmt: skip
    print(json.dumps(rows[-1]), flush=True)
    phase("baseline: read the data (1 pass, sum of y)", lambda: ddf["salary"].sum().compute())
    rows[-1]["rows_per_s_per_core"] = n_rows / rows[-1]["wall_s"] / 2
    enc = phase("encode: label paths (1 pass)", lambda: ddf.hier.encode(LEVELS))
    code_cols = [f"{lv}_idx" for lv in LEVELS]
    phase("encode: codes materialised (1 pass)", lambda: enc[code_cols].sum().compute())
    design = phase(
        "statistics (1 pass)",
        lambda: api._design(ddf, "month", "salary", LEVELS, False, FitOptions()),
    )
    rows[-1]["rows_per_s_per_core"] = n_rows / rows[-1]["wall_s"] / 2
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pandas_hier.HierSamplingWarning)
        fit = phase("sampling (local)", lambda: fit_prepared(lambda opts: design, "salary", sampler="nutpie",
                                                             method="nuts", iterations=10_000, options={}, **SAMPLING))  # fmt: skip
        rows[-1].update(compile_s=fit.timings["compile_s"], sample_s=fit.timings["sample_s"])
        small = make_partition((999, 200_000))
        mem = phase("in-memory fit, 200k rows, same leaves", lambda: small.hier.fit("month", "salary", levels=LEVELS, **SAMPLING))
        rows[-1].update(compile_s=mem.timings["compile_s"], sample_s=mem.timings["sample_s"])
    return rows


def _gib(b: float) -> str:
    return f"{b / 2**30:.2f}"


def table() -> str:
    from _common import machine

    results = [json.loads(line) for line in RESULTS.read_text().splitlines() if line.strip()]
    lines = [
        "Run `benchmarks/scale.py`. A `dask.distributed` LocalCluster with 2 worker processes x 1 "
        "thread; data generated per partition (2M rows each, never gathered); 2,000 leaves "
        "(10 x 10 x 20, categorical levels); 2 chains x 1000 tune + 1000 draws. Client: the "
        "benchmark process's peak RSS during the phase (and since start); workers: the highest "
        "RSS of either worker process during the phase. rows/s/core of a pass = rows / wall / 2 "
        "cores (the pass includes making the data); the statistics of one partition alone, in one "
        "process (median of 5), give the per-core rate of the statistics themselves.",
        "",
        f"Machine: {machine()}; dask {_version('dask')}, distributed {_version('distributed')}.",
        "",
        "| rows | phase | wall s | rows/s/core | client peak GiB (since start) | worker peak GiB | compile s | sample s |",
        "| ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in sorted(results, key=lambda r: r["rows"]):  # stable: phases keep their order
        rate = f"{r['rows_per_s_per_core'] / 1e6:.1f}M" if "rows_per_s_per_core" in r else ""
        comp = f"{r['compile_s']:.1f}" if "compile_s" in r else ""
        samp = f"{r['sample_s']:.1f}" if "sample_s" in r else ""
        lines.append(
            f"| {r['rows']:,} | {r['phase']} | {r['wall_s']:.{2 if r['wall_s'] < 1 else 1}f} | {rate} | "
            f"{_gib(r['client_peak'])} ({_gib(r['client_max'])}) | {_gib(r['worker_peak']) if r['worker_peak'] else ''} | {comp} | {samp} |"
        )
    lines += [
        "",
        "Targets (scale-out issue): the run finishes; client peak under 4 GB; the statistics at "
        "10M rows per second per core or more (the in-process line; the cluster pass also makes "
        "the data, whose own cost the baseline line shows); sampling as fast as the in-memory fit "
        "with the same groups (compare the sample s of the last two lines of each size).",
    ]
    return "\n".join(lines)


def _version(pkg: str) -> str:
    from importlib import metadata

    return metadata.version(pkg)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, nargs="+", default=[50_000_000])
    parser.add_argument("--no-write", action="store_true")
    parser.add_argument("--table-only", action="store_true", help="rewrite the table from the results file")
    args = parser.parse_args()
    if args.table_only:
        from _common import write_section

        write_section("Scale-out on Dask", table())
        return
    import distributed

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  memory_limit="8GiB", dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:  # fmt: skip
        client.run(_probe_start)
        for n in args.rows:
            new = run(n, client)
            if args.no_write:
                continue
            old = [line for line in (RESULTS.read_text().splitlines() if RESULTS.exists() else [])
                   if line.strip() and json.loads(line)["rows"] != n]  # fmt: skip
            RESULTS.write_text("\n".join([*old, *(json.dumps(r) for r in new)]) + "\n")
    if not args.no_write:
        from _common import write_section

        write_section("Scale-out on Dask", table())
        print(table())


if __name__ == "__main__":
    os.environ.setdefault("PYTHONWARNINGS", "ignore::DeprecationWarning")
    main()
