"""Highest-density intervals: the one HDI of summaries, coefficient tables and predictions
(ArviZ's, on plain arrays).

Examples
--------
>>> import numpy as np
>>> from pandas_hier.intervals import hdi
>>> lo, hi = hdi(np.arange(100.0)[:, None], 0.9)
>>> float(lo[0]), float(hi[0])
(0.0, 90.0)
"""

from __future__ import annotations

import numpy as np

__all__ = ["hdi"]


def hdi(draws: np.ndarray, prob: float, axis: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Narrowest interval holding ``prob`` of the draws along ``axis``.

    Parameters
    ----------
    draws : ndarray
    prob : float
        In (0, 1).
    axis : int
        The axis of the draws; it is reduced.

    Returns
    -------
    (ndarray, ndarray)
        Lower and upper bounds, with ``axis`` removed.
    """
    from arviz_stats.base import array_stats

    bounds = array_stats.hdi(np.asarray(draws, dtype=float), prob, axis=axis)
    return bounds[..., 0], bounds[..., 1]
