"""The negative binomial likelihood, log link: ``y ~ NegativeBinomial(mu, alpha)`` with mean
``mu = exposure * exp(eta)`` and variance ``mu + mu^2 / alpha`` (PyMC's parameterisation;
large ``alpha`` approaches the Poisson). ``alpha`` is sampled under the ``alpha`` prior
(default HalfCauchy(1), as bambi's). Coefficients are log rates.

Sampled by the augmented Gibbs route: as a Gamma mixture of Poissons on the Poisson's sweep
(:mod:`pandas_hier.backend.poissonmix`) where that sweep covers the model and costs less (many
rows), else with Pólya-Gamma variables (:mod:`pandas_hier.backend.augmented`).

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
    merge = "rows"
    poisson_mixture = True

    def polyagamma_terms(self, y, extra):
        # mean mu, dispersion alpha: p(y) ~ sigmoid(psi)^y (1 - sigmoid(psi))^alpha with
        # psi = log mu - log alpha (Zhou et al. 2012)
        # cells of several rows (``extra["rows"]``, equal mu): PG(b1) + PG(b2) = PG(b1 + b2)
        a = float(extra["alpha"])
        y = np.asarray(y, dtype=float)
        n_a = a * extra.get("rows", 1.0)
        return y + n_a, 0.5 * (y - n_a), -np.log(a)

    def logpdf(self, y, mu, sigma=None, *, alpha, **extra) -> np.ndarray:
        from scipy.special import gammaln

        a = per_draw(alpha, mu)
        y = np.asarray(y, dtype=float)
        log_a_mu = np.logaddexp(np.log(a), mu)  # log(alpha + exp(eta))
        return (gammaln(y + a) - gammaln(a) - gammaln(y + 1)
                + a * (np.log(a) - log_a_mu) + y * (mu - log_a_mu))  # fmt: skip

    def loglik_at(self, y, mu, rows=None, counts_of=None, **data):
        # rows merged into cells (``Family.merge``): each cell's rows, and the rows' counts
        y = np.asarray(y, dtype=float)
        if rows is None:
            return self.loglik_merged(*np.unique(y, return_counts=True), np.ones(len(y)), y, mu)
        return self.loglik_merged(*counts_of, rows, y, mu)

    def loglik_merged(self, values, counts, rows, y, mu):
        """The summed log-likelihood of rows merged into cells of equal ``mu`` (and offset),
        as a function ``f(sigma=None, alpha=...)``: ``rows`` and ``y`` are each cell's number
        of rows and summed count, ``mu`` its linear predictor, and ``values`` and ``counts``
        the distinct counts of the original rows and how often each occurs (the
        ``lgamma(y + alpha)`` terms need the rows' own counts). Every call is one pass over
        the cells, and ``exp(mu)`` is taken once: slice updates of ``alpha`` evaluate it many
        times at one ``mu`` (the Gibbs sweeps' Newton steps use a compiled pass instead,
        :mod:`pandas_hier.backend.dispersion`).

        Examples
        --------
        >>> y, mu = np.array([0.0, 3.0, 1.0]), np.array([0.4, 0.4, 1.2])  # rows 0 and 1: one cell
        >>> f = FAMILY.loglik_merged(np.array([0.0, 1.0, 3.0]), np.array([1, 1, 1]),
        ...                          np.array([2.0, 1.0]), np.array([3.0, 1.0]), np.array([0.4, 1.2]))
        >>> bool(np.isclose(f(alpha=2.5), FAMILY.logpdf(y, mu, alpha=np.array([2.5])).sum()))
        True
        """
        from scipy.special import gammaln

        values, rows, y, mu = (np.asarray(a, dtype=float) for a in (values, rows, y, mu))
        n, y_mu = float(rows.sum()), float(y @ mu)
        const = -float(counts @ gammaln(values + 1))

        def f(sigma=None, *, alpha, **params) -> float:
            a = float(alpha)
            log_a_mu = np.logaddexp(np.log(a), mu)  # log(alpha + exp(eta))
            return (const + float(counts @ gammaln(values + a)) - n * float(gammaln(a))
                    + n * a * np.log(a) + y_mu - float((a * rows + y) @ log_a_mu))  # fmt: skip

        return f

    def draw(self, rng, mu, sigma=None, *, alpha, **extra) -> np.ndarray:
        a = per_draw(alpha, mu)
        rate = rng.gamma(a, np.exp(mu) / a, size=np.shape(mu))  # Gamma-Poisson mixture
        return rng.poisson(rate).astype(float)

    def pymc_observed(self, pm, mu, sigma, observed, extra) -> None:
        pm.NegativeBinomial("y", mu=pm.math.exp(mu), alpha=extra["alpha"], observed=observed)


FAMILY = NegBinomial()
