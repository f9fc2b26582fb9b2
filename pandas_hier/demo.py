"""The main job: encode the embedded seed-shaped data set and show what pandas-hier builds.

Run with ``bash dev demo`` (or ``python -m pandas_hier.demo``). Writes ``out/demo.png``.
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
    args = parser.parse_args(argv)

    df = pandas_hier.datasets.load_salary()
    enc = df.hier.encode(["degree", "state", "county"])
    tabs = enc.hier.tables()
    with pd.option_context("display.width", 120, "display.max_columns", 20):
        print(f"Encoded frame ({len(enc)} rows, levels {pandas_hier.hierarchy_of(enc).levels}):")
        print(enc.head(), end="\n\n")
        for level, table in tabs.items():
            print(f"Lookup table {level!r}: {len(table)} groups")
            print(table.head(), end="\n\n")

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    args.out.mkdir(parents=True, exist_ok=True)
    fig, ax = plt.subplots(figsize=(7, 4))
    for (degree,), part in enc.groupby(["degree"]):
        mean = part.groupby("month")["salary"].mean()
        ax.plot(mean.index, mean.to_numpy(), marker="o", label=str(degree))
    ax.set(xlabel="month", ylabel="mean salary", title="Embedded salary data by degree")
    ax.legend()
    fig.tight_layout()
    path = args.out / "demo.png"
    fig.savefig(path, dpi=100)
    print(f"Plot written to {path}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
