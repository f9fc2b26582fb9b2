"""The Student-t likelihood: ``y ~ StudentT(nu, mu, sigma)``, robust to outliers. ``nu`` is
fixed by ``fit(nu=...)`` or sampled under the ``nu`` prior (default Gamma(2, 0.1)).

Examples
--------
>>> import numpy as np
>>> from pandas_hier.families.studentt import FAMILY
>>> round(float(FAMILY.logpdf(0.0, 0.0, 1.0, nu=1.0)), 6)  # nu = 1: Cauchy
-1.14473
"""

from __future__ import annotations

import numpy as np

from pandas_hier.families.base import Family, per_draw

__all__ = ["FAMILY", "StudentT", "t_loglik_at"]


class StudentT(Family):
    """``y ~ StudentT(nu, mu, sigma)``."""

    name = "studentt"
    extra = ("nu",)
    augmentation = "gamma"

    def mixture_nu(self, extra) -> float:
        return float(extra["nu"])

    def fixed(self, options) -> dict[str, float]:
        return {} if options.nu is None else {"nu": float(options.nu)}

    def logpdf(self, y, mu, sigma, *, nu) -> np.ndarray:
        from scipy import special

        nu = per_draw(nu, mu)
        z = (np.asarray(y) - mu) / sigma
        return (
            special.gammaln((nu + 1) / 2) - special.gammaln(nu / 2) - 0.5 * np.log(nu * np.pi)
            - np.log(sigma) - (nu + 1) / 2 * np.log1p(z * z / nu)
        )  # fmt: skip

    def loglik_at(self, y, mu, **data):
        return t_loglik_at(y, mu)

    def draw(self, rng, mu, sigma, *, nu) -> np.ndarray:
        return mu + sigma * rng.standard_t(per_draw(nu, mu), size=np.shape(mu))

    def pymc_observed(self, pm, mu, sigma, observed, extra) -> None:
        pm.StudentT("y", nu=extra["nu"], mu=mu, sigma=sigma, observed=observed)


FAMILY = StudentT()


def t_loglik_at(y, mu, nu: float | None = None):
    """The rows' summed Student-t log-likelihood at a fixed location ``mu``, as a function
    ``f(sigma, nu=...)`` (``nu`` fixed here, for the Cauchy, or passed per call): the squared
    residuals are computed once, and each call is one pass over the rows without temporaries
    (the augmented route's slice updates call it about a dozen times a sweep).

    Examples
    --------
    >>> y, mu = np.array([0.0, 2.0, -1.0]), np.array([0.5, 0.0, 0.0])
    >>> f = t_loglik_at(y, mu)
    >>> bool(np.isclose(f(1.5, nu=3.0), FAMILY.logpdf(y, mu, 1.5, nu=3.0).sum()))
    True
    """
    from scipy.special import gammaln

    r2 = (np.asarray(y, dtype=float) - mu) ** 2
    buf = np.empty_like(r2)

    def f(sigma, nu=nu) -> float:
        np.multiply(r2, 1.0 / (nu * sigma * sigma), out=buf)
        const = gammaln((nu + 1) / 2) - gammaln(nu / 2) - 0.5 * np.log(nu * np.pi) - np.log(sigma)
        return float(len(r2) * const - (nu + 1) / 2 * np.sum(np.log1p(buf, out=buf)))

    return f
