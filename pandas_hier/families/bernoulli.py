"""The Bernoulli likelihood, logit link: ``y ~ Bernoulli(sigmoid(eta))`` for a 0/1 or bool
response. Coefficients are log-odds; ``predict(kind="mean")`` gives probabilities.

Sampled by the augmented Gibbs route: with Pólya-Gamma variables
(:mod:`pandas_hier.backend.augmented`), or, where cells of many trials make that cheaper, as a
Gamma mixture of Poissons on the Poisson's sweep (:mod:`pandas_hier.backend.poissonmix`).

Examples
--------
>>> import numpy as np
>>> from pandas_hier.families.bernoulli import FAMILY
>>> round(float(FAMILY.logpdf(1.0, 0.0, None)), 6)  # log(1/2)
-0.693147
>>> FAMILY.inverse_link(np.array([0.0])).tolist()
[0.5]
"""

from __future__ import annotations

import numpy as np

from pandas_hier.families._glm import log_sigmoid, sigmoid
from pandas_hier.families.base import Family

__all__ = ["FAMILY", "Bernoulli"]


class Bernoulli(Family):
    """``y ~ Bernoulli(sigmoid(eta))``."""

    name = "bernoulli"
    link = "logit"
    scale = False
    outcome = "binary"
    augmentation = "polyagamma"
    merge = "trials"
    poisson_mixture = True

    def polyagamma_terms(self, y, extra):
        return 1.0, np.asarray(y, dtype=float) - 0.5, 0.0

    def logpdf(self, y, mu, sigma=None, **extra) -> np.ndarray:
        y = np.asarray(y, dtype=float)
        return y * log_sigmoid(mu) + (1.0 - y) * log_sigmoid(-mu)

    def draw(self, rng, mu, sigma=None, **extra) -> np.ndarray:
        return (rng.random(np.shape(mu)) < sigmoid(mu)).astype(float)

    def pymc_observed(self, pm, mu, sigma, observed, extra) -> None:
        pm.Bernoulli("y", logit_p=mu, observed=observed)


FAMILY = Bernoulli()
