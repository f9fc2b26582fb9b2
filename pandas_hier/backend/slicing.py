"""Univariate slice sampling (Neal 2003, "Slice sampling", Ann. Statist. 31: stepping out,
fig. 3, and shrinkage, fig. 5): the update the Gibbs sweeps of
:mod:`pandas_hier.backend.augmented` and :mod:`pandas_hier.backend.leafmh` use for every scale
and likelihood parameter, along a coordinate or along a fixed direction.

Examples
--------
>>> import numpy as np
>>> from pandas_hier.backend.slicing import slice_update
>>> rng, x = np.random.default_rng(0), np.zeros(1)
>>> logp = lambda z: -0.5 * z[0] ** 2
>>> lp, draws = logp(x), []
>>> for _ in range(5000):
...     lp = slice_update(logp, x, 0, 2.0, lp, rng)
...     draws.append(x[0])
>>> bool(abs(np.std(draws) - 1.0) < 0.05)
True
"""

from __future__ import annotations

import numpy as np

__all__ = ["slice_update"]


def slice_update(logp, x, i, width, lp0, rng, direction=1.0, max_steps=20, max_shrink=60, admissible=None) -> float:
    """One univariate slice-sampling update of ``x`` along a line (stepping out, then shrinkage;
    Neal 2003, figs. 3 and 5): ``x[i] + t * direction`` over ``t``, for a coordinate ``i`` or
    an index array with a direction vector (chosen without looking at the current ``x``, which
    keeps the update exact); returns the new log-density.

    ``admissible(x)``: the target is ``logp`` restricted to where this is true, checked only on
    points of the slice that shrinkage would accept (a costly check runs about once per update).
    Stepping out on the larger slice of ``logp`` is still exact: every grid point it passes lies
    in that slice, so from any admissible point of the interval it finds the same interval."""
    x0 = x[i].copy() if np.ndim(i) else x[i]

    def at(t: float) -> float:
        x[i] = x0 + t * direction
        return logp(x)

    level = lp0 - rng.exponential()
    lo = -width * rng.random()
    hi = lo + width
    j = int(rng.integers(max_steps))
    k = max_steps - 1 - j
    while j > 0 and at(lo) > level:
        lo -= width
        j -= 1
    while k > 0 and at(hi) > level:
        hi += width
        k -= 1
    for _ in range(max_shrink):
        t = lo + (hi - lo) * rng.random()
        lp = at(t)
        if lp > level and (admissible is None or admissible(x)):
            return lp
        if t < 0:
            lo = t
        else:
            hi = t
    x[i] = x0
    return lp0
