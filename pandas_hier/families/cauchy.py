"""The Cauchy likelihood of the blog's model: ``y ~ Cauchy(mu, sigma)`` (Student-t with
``nu = 1``).

Examples
--------
>>> from pandas_hier.families.cauchy import FAMILY
>>> round(float(FAMILY.logpdf(1.0, 0.0, 1.0)), 6)
-1.837877
"""

from __future__ import annotations

import numpy as np

from pandas_hier.families.base import Family

__all__ = ["FAMILY", "Cauchy"]


class Cauchy(Family):
    """``y ~ Cauchy(mu, sigma)``."""

    name = "cauchy"

    def logpdf(self, y, mu, sigma, **extra) -> np.ndarray:
        z = (np.asarray(y) - mu) / sigma
        return -np.log(np.pi * sigma) - np.log1p(z * z)

    def draw(self, rng, mu, sigma, **extra) -> np.ndarray:
        return mu + sigma * rng.standard_cauchy(np.shape(mu))

    def pymc_observed(self, pm, mu, sigma, observed, extra) -> None:
        pm.Cauchy("y", alpha=mu, beta=sigma, observed=observed)


FAMILY = Cauchy()
