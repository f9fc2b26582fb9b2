"""The Gaussian likelihood: ``y ~ Normal(mu, sigma)``. The default, and the one family whose
coefficients the exact marginal engine integrates out directly (from per-leaf sufficient
statistics; the backend's row-free likelihood for centred models uses them too).

Examples
--------
>>> import numpy as np
>>> from pandas_hier.families.normal import FAMILY
>>> round(float(FAMILY.logpdf(0.0, 0.0, 1.0)), 6)
-0.918939
"""

from __future__ import annotations

import numpy as np

from pandas_hier.families.base import Family

__all__ = ["FAMILY", "Normal"]


class Normal(Family):
    """``y ~ Normal(mu, sigma)``."""

    name = "normal"
    marginal = True

    def logpdf(self, y, mu, sigma, **extra) -> np.ndarray:
        z = (np.asarray(y) - mu) / sigma
        return -0.5 * z * z - np.log(sigma) - 0.5 * np.log(2 * np.pi)

    def draw(self, rng, mu, sigma, **extra) -> np.ndarray:
        return mu + sigma * rng.standard_normal(np.shape(mu))

    def pymc_observed(self, pm, mu, sigma, observed, extra) -> None:
        pm.Normal("y", mu=mu, sigma=sigma, observed=observed)


FAMILY = Normal()
