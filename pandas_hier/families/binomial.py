"""The binomial likelihood, logit link: ``y ~ Binomial(trials, sigmoid(eta))``, with the
column of trials named by ``fit(trials=...)``. Coefficients are log-odds;
``predict(kind="mean")`` gives the probability of success per trial.

Sampled by the augmented Gibbs route: with Pólya-Gamma variables
(:mod:`pandas_hier.backend.augmented`), or, where cells of many trials make that cheaper, as a
Gamma mixture of Poissons on the Poisson's sweep (:mod:`pandas_hier.backend.poissonmix`).

Examples
--------
>>> import numpy as np
>>> from pandas_hier.families.binomial import FAMILY
>>> round(float(FAMILY.logpdf(1.0, 0.0, None, trials=2.0)), 6)  # log(2 / 4)
-0.693147
"""

from __future__ import annotations

import numpy as np

from pandas_hier.families._glm import log_sigmoid, sigmoid
from pandas_hier.families.base import Family

__all__ = ["FAMILY", "Binomial"]


class Binomial(Family):
    """``y ~ Binomial(trials, sigmoid(eta))``."""

    name = "binomial"
    link = "logit"
    scale = False
    outcome = "successes"
    rows_column = "trials"
    augmentation = "polyagamma"
    merge = "trials"
    poisson_mixture = True

    def polyagamma_terms(self, y, extra):
        n = np.asarray(extra["trials"], dtype=float)
        return n, np.asarray(y, dtype=float) - 0.5 * n, 0.0

    def logpdf(self, y, mu, sigma=None, *, trials, **extra) -> np.ndarray:
        from scipy.special import gammaln

        y = np.asarray(y, dtype=float)
        n = np.asarray(trials, dtype=float)
        log_choose = gammaln(n + 1) - gammaln(y + 1) - gammaln(n - y + 1)
        return log_choose + y * log_sigmoid(mu) + (n - y) * log_sigmoid(-mu)

    def draw(self, rng, mu, sigma=None, *, trials, **extra) -> np.ndarray:
        n = np.broadcast_to(np.asarray(trials, dtype=np.int64), np.shape(mu))
        return rng.binomial(n, sigmoid(mu)).astype(float)

    def pymc_observed(self, pm, mu, sigma, observed, extra) -> None:
        pm.Binomial("y", n=extra["trials"], logit_p=mu, observed=observed)


FAMILY = Binomial()
