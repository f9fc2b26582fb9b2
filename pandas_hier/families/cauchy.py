"""The Cauchy likelihood of the blog's model: ``y ~ Cauchy(mu, sigma)`` (Student-t with
``nu = 1``).

Its heavy tails make outlying rows count little; it has no mean, so predictions report the
location ``mu``, the median of every row's distribution.

>>> import numpy as np
>>> from pandas_hier.families.cauchy import FAMILY
>>> draws = FAMILY.draw(np.random.default_rng(0), np.zeros(100_000), 2.0)
>>> bool(abs(np.median(draws)) < 0.05)
True
"""

from __future__ import annotations

import numpy as np

from pandas_hier.families.base import Family
from pandas_hier.families.studentt import t_loglik_at

__all__ = ["FAMILY", "Cauchy"]


class Cauchy(Family):
    """``y ~ Cauchy(mu, sigma)``."""

    name = "cauchy"
    augmentation = "gamma"

    def mixture_nu(self, extra) -> float:
        return 1.0

    def logpdf(self, y, mu, sigma, **extra) -> np.ndarray:
        z = (np.asarray(y) - mu) / sigma
        return -np.log(np.pi * sigma) - np.log1p(z * z)

    def loglik_at(self, y, mu, **data):
        return t_loglik_at(y, mu, nu=1.0)

    def draw(self, rng, mu, sigma, **extra) -> np.ndarray:
        return mu + sigma * rng.standard_cauchy(np.shape(mu))

    def pymc_observed(self, pm, mu, sigma, observed, extra) -> None:
        pm.Cauchy("y", alpha=mu, beta=sigma, observed=observed)


FAMILY = Cauchy()
