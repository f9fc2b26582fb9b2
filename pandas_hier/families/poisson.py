"""The Poisson likelihood, log link: ``y ~ Poisson(exposure * exp(eta))``, with an optional
column of exposures named by ``fit(exposure=...)`` (entering as the offset ``log exposure``).
Coefficients are log rates; ``predict(kind="mean")`` gives the rate per unit of exposure.

Sampled by the augmented route's Gibbs sampler with a per-leaf Metropolis-Hastings step
(:mod:`pandas_hier.backend.leafmh`): the Poisson has no exact Gaussian augmentation, but given
the leaf coefficients everything above them is Gaussian (``docs/model.md``, "Poisson").

Examples
--------
>>> import numpy as np
>>> from pandas_hier.families.poisson import FAMILY
>>> round(float(FAMILY.logpdf(0.0, 0.0, None)), 6)  # P(0 | rate 1) = exp(-1)
-1.0
"""

from __future__ import annotations

import numpy as np

from pandas_hier.families.base import Family

__all__ = ["FAMILY", "Poisson"]


class Poisson(Family):
    """``y ~ Poisson(exp(eta))`` (``eta`` includes the log exposure)."""

    name = "poisson"
    link = "log"
    scale = False
    outcome = "count"
    rows_column = "exposure"
    augmentation = "leaf-mh"
    merge = "exposure"

    def logpdf(self, y, mu, sigma=None, **extra) -> np.ndarray:
        from scipy.special import gammaln

        y = np.asarray(y, dtype=float)
        return y * mu - np.exp(mu) - gammaln(y + 1)

    def draw(self, rng, mu, sigma=None, **extra) -> np.ndarray:
        return rng.poisson(np.exp(mu)).astype(float)

    def pymc_observed(self, pm, mu, sigma, observed, extra) -> None:
        pm.Poisson("y", mu=pm.math.exp(mu), observed=observed)


FAMILY = Poisson()
