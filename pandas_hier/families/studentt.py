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

__all__ = ["FAMILY", "StudentT"]


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

    def draw(self, rng, mu, sigma, *, nu) -> np.ndarray:
        return mu + sigma * rng.standard_t(per_draw(nu, mu), size=np.shape(mu))

    def pymc_observed(self, pm, mu, sigma, observed, extra) -> None:
        pm.StudentT("y", nu=extra["nu"], mu=mu, sigma=sigma, observed=observed)


FAMILY = StudentT()
