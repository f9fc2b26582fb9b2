"""The negative binomial likelihood, log link: ``y ~ NegativeBinomial(mu, alpha)`` with mean
``mu = exposure * exp(eta)`` and variance ``mu + mu^2 / alpha`` (PyMC's parameterisation;
large ``alpha`` approaches the Poisson). ``alpha`` is sampled under the ``alpha`` prior
(default HalfCauchy(1), as bambi's). Coefficients are log rates.

Sampled by the augmented Gibbs route (Pólya-Gamma variables;
:mod:`pandas_hier.backend.augmented`).

Examples
--------
>>> import numpy as np
>>> from pandas_hier.families.negbinomial import FAMILY
>>> from scipy import stats
>>> ll = FAMILY.logpdf(3.0, np.log(2.0), None, alpha=np.array([4.0]))
>>> bool(np.isclose(ll, stats.nbinom(4.0, 4.0 / 6.0).logpmf(3)))
True
"""

from __future__ import annotations

import numpy as np

from pandas_hier.families.base import Family, per_draw

__all__ = ["FAMILY", "NegBinomial"]


class NegBinomial(Family):
    """``y ~ NegativeBinomial(mu=exp(eta), alpha)``."""

    name = "negbinomial"
    link = "log"
    scale = False
    outcome = "count"
    rows_column = "exposure"
    extra = ("alpha",)
    augmentation = "polyagamma"

    def polyagamma_terms(self, y, extra):
        # mean mu, dispersion alpha: p(y) ~ sigmoid(psi)^y (1 - sigmoid(psi))^alpha with
        # psi = log mu - log alpha (Zhou et al. 2012)
        a = float(extra["alpha"])
        y = np.asarray(y, dtype=float)
        return y + a, 0.5 * (y - a), -np.log(a)

    def logpdf(self, y, mu, sigma=None, *, alpha, **extra) -> np.ndarray:
        from scipy.special import gammaln

        a = per_draw(alpha, mu)
        y = np.asarray(y, dtype=float)
        log_a_mu = np.logaddexp(np.log(a), mu)  # log(alpha + exp(eta))
        return (gammaln(y + a) - gammaln(a) - gammaln(y + 1)
                + a * (np.log(a) - log_a_mu) + y * (mu - log_a_mu))  # fmt: skip

    def loglik_at(self, y, mu, **data):
        # sum_i lgamma(y_i + alpha) over the distinct counts only, and exp(mu) once: the
        # alpha slices of the augmented route evaluate this many times at one mu
        from scipy.special import gammaln

        y = np.asarray(y, dtype=float)
        mu = np.asarray(mu, dtype=float)
        values, counts = np.unique(y, return_counts=True)
        n, y_mu, const = len(y), float(y @ mu), -float(np.sum(gammaln(y + 1)))

        def f(sigma=None, *, alpha, **params) -> float:
            a = float(alpha)
            log_a_mu = np.logaddexp(np.log(a), mu)
            return (const + float(counts @ gammaln(values + a)) - n * float(gammaln(a))
                    + n * a * np.log(a) + y_mu - float((a + y) @ log_a_mu))  # fmt: skip

        return f

    def draw(self, rng, mu, sigma=None, *, alpha, **extra) -> np.ndarray:
        a = per_draw(alpha, mu)
        rate = rng.gamma(a, np.exp(mu) / a, size=np.shape(mu))  # Gamma-Poisson mixture
        return rng.poisson(rate).astype(float)

    def pymc_observed(self, pm, mu, sigma, observed, extra) -> None:
        pm.NegativeBinomial("y", mu=pm.math.exp(mu), alpha=extra["alpha"], observed=observed)


FAMILY = NegBinomial()
