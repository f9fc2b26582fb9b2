"""Example data in the shape of the blog post that started the project: degree > state > county.

Examples
--------
>>> import pandas_hier
>>> df = pandas_hier.datasets.load_salary()
>>> df.columns.tolist()
['degree', 'state', 'county', 'month', 'salary']
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import numpy as np
import pandas as pd

__all__ = ["SalaryTruth", "load_salary", "simulate_salary"]

_STATES = [
    "Alabama", "Georgia", "Indiana", "Kansas", "Missouri", "Ohio", "Oregon", "Texas",
    "Utah", "Virginia",
]  # fmt: skip
# County names that recur in many states: the same name in two states is two groups.
_COUNTIES = [
    "Washington", "Jefferson", "Franklin", "Jackson", "Lincoln", "Madison", "Clay",
    "Montgomery", "Marion", "Union", "Monroe", "Wayne", "Greene", "Warren", "Grant",
    "Lawrence", "Marshall", "Hamilton", "Carroll", "Adams",
]  # fmt: skip


@dataclass(frozen=True)
class SalaryTruth:
    """The parameters ``simulate_salary`` drew from, for recovery tests.

    Attributes
    ----------
    intercept, slope : dict
        Total (not offset) intercept and slope per group, keyed by level name and then by the
        label path tuple, e.g. ``intercept["county"][("degree", "Ohio", "Clay")]``; the global
        values are under the key ``"global"`` with the path ``()``.
    sd : dict
        True standard deviation of the offsets per level and coefficient, e.g.
        ``sd[("state", "intercept")]``, plus ``sd["noise"]``.
    """

    intercept: dict
    slope: dict
    sd: dict


def simulate_salary(
    n_states: int = 5,
    n_counties: int = 10,
    n_months: int = 20,
    *,
    rows_per_month: int = 1,
    noise_sd: float = 3000.0,
    seed: int = 20261122,
    return_truth: bool = False,
) -> pd.DataFrame | tuple[pd.DataFrame, SalaryTruth]:
    """Simulate seed-shaped data: average salary by degree, state, county and month.

    Two degree groups ("degree", "no degree") sit on top; every degree group has the same
    ``n_states`` states and every state ``n_counties`` counties (names reused across states).
    Each coefficient is its parent's plus a Normal offset; salary is linear in month with Normal
    noise.

    Parameters
    ----------
    n_states : int, default 5
        States per degree group (at most 10).
    n_counties : int, default 10
        Counties per state (at most 20).
    n_months : int, default 20
        Months 1..n_months observed per county.
    rows_per_month : int, default 1
        Rows per county and month (more rows make a data-rich hierarchy).
    noise_sd : float, default 3000
        Residual sd of salary. With the default the county slope sd (25 per month) is weakly
        identified; a smaller value makes every level's coefficients well identified.
    seed : int
        Seed of the generator; the same seed gives the same frame.
    return_truth : bool, default False
        Also return the parameters drawn, as :class:`SalaryTruth`.

    Returns
    -------
    pandas.DataFrame or (pandas.DataFrame, SalaryTruth)
        Columns ``degree``, ``state``, ``county``, ``month`` and ``salary``.

    Examples
    --------
    >>> from pandas_hier.datasets import simulate_salary
    >>> df = simulate_salary(n_states=2, n_counties=3, n_months=4)
    >>> len(df), df.groupby(["degree", "state", "county"]).ngroups
    (48, 12)
    """
    if not 1 <= n_states <= len(_STATES) or not 1 <= n_counties <= len(_COUNTIES):
        raise ValueError(
            f"n_states must be in 1..{len(_STATES)} and n_counties in 1..{len(_COUNTIES)}"
        )
    rng = np.random.default_rng(seed)
    sd = {
        ("degree", "intercept"): 8000.0, ("degree", "slope"): 60.0,
        ("state", "intercept"): 4000.0, ("state", "slope"): 40.0,
        ("county", "intercept"): 2000.0, ("county", "slope"): 25.0,
        "noise": float(noise_sd),
    }  # fmt: skip
    degrees = ["degree", "no degree"]
    states = _STATES[:n_states]
    counties = [rng.choice(_COUNTIES, n_counties, replace=False) for _ in states]
    g_int, g_slope = 45000.0, 120.0
    intercept: dict = {"global": {(): g_int}, "degree": {}, "state": {}, "county": {}}
    slope: dict = {"global": {(): g_slope}, "degree": {}, "state": {}, "county": {}}
    rows = []
    months = np.repeat(np.arange(1, n_months + 1), rows_per_month)
    for d in degrees:
        di = g_int + rng.normal(0, sd[("degree", "intercept")])
        ds = g_slope + rng.normal(0, sd[("degree", "slope")])
        intercept["degree"][(d,)], slope["degree"][(d,)] = di, ds
        for s, cs in zip(states, counties, strict=True):
            si = di + rng.normal(0, sd[("state", "intercept")])
            ss = ds + rng.normal(0, sd[("state", "slope")])
            intercept["state"][(d, s)], slope["state"][(d, s)] = si, ss
            for c in cs:
                ci = si + rng.normal(0, sd[("county", "intercept")])
                cslope = ss + rng.normal(0, sd[("county", "slope")])
                intercept["county"][(d, s, str(c))] = ci
                slope["county"][(d, s, str(c))] = cslope
                salary = ci + cslope * months + rng.normal(0, sd["noise"], months.size)
                rows.append(
                    pd.DataFrame(
                        {"degree": d, "state": s, "county": str(c), "month": months,
                         "salary": np.round(salary, 2)}  # fmt: skip
                    )
                )
    df = pd.concat(rows, ignore_index=True)
    if return_truth:
        return df, SalaryTruth(intercept, slope, sd)
    return df


def load_salary() -> pd.DataFrame:
    """The embedded default data set: ``simulate_salary()`` with its defaults, stored as CSV.

    2,000 rows: 2 degree groups x 5 states x 10 counties (100 leaves) x 20 months, so about
    20 rows per leaf as in the blog post. Shipped as a file, so it is the same on every machine
    and numpy version.

    Returns
    -------
    pandas.DataFrame
        Columns ``degree``, ``state``, ``county`` (strings), ``month`` (int) and ``salary``.

    Examples
    --------
    >>> import pandas_hier
    >>> df = pandas_hier.datasets.load_salary()
    >>> df.shape
    (2000, 5)
    """
    path = resources.files("pandas_hier") / "data" / "salary.csv.gz"
    with resources.as_file(path) as file:
        return pd.read_csv(file, dtype={"degree": str, "state": str, "county": str})
