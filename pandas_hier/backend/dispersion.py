"""The negative binomial's dispersion ``alpha`` in the Gibbs sweeps, given the coefficients and
with the latent variables integrated out: Newton Metropolis-Hastings steps in ``log alpha``
(:class:`AlphaSteps`), shared by the Pólya-Gamma route (:class:`DispersionChain`) and the Gamma
mixture of Poissons (:class:`pandas_hier.backend.poissonmix.MixChain`).

The rows are merged into cells of equal linear predictor (``Family.merge = "rows"``): the
log-likelihood is ``sum_v c_v lgamma(v + alpha) - n lgamma(alpha) + n alpha log alpha`` over
the rows' distinct counts ``v`` (``c_v`` rows each), plus ``T(alpha) = sum_cells Y eta -
(n alpha + Y) log(alpha + exp(eta))``, one compiled pass with its first two derivatives
(:func:`pandas_hier.kernels.rows.dispersion_terms`). Slice sampling took about six such passes
an update.

Examples
--------
>>> from pandas_hier.backend.dispersion import DispersionChain, AlphaSteps
>>> issubclass(DispersionChain, AlphaSteps)
True
"""

from __future__ import annotations

import numpy as np

from pandas_hier import names
from pandas_hier.backend.augmented import _Chain
from pandas_hier.kernels.rows import dispersion_terms

__all__ = ["AlphaSteps", "DispersionChain"]

#: The least precision of the Newton proposal of ``log alpha`` (its sd at most 1), where the
#: log-posterior is flat or convex (little data).
_ALPHA_MIN_PRECISION = 1.0
#: Newton steps of ``log alpha`` a sweep. One left ``alpha`` slower than slice sampling did
#: (720 rows, ten seeds: bulk ESS 238 to 617 against 430 to 771, the upper coefficients' r_hat
#: up to 1.05); two give 666 to 775, in three passes over the cells against slice sampling's six.
_ALPHA_STEPS = 2
#: The longest Newton step of ``log alpha`` a proposal takes. Where the log-posterior is nearly
#: linear (``alpha`` far below the data's), the full step would land thousands of units away and
#: always be refused; the cap depends on the current point only, so the step stays exact.
_ALPHA_MAX_STEP = 2.0
#: Rows from which ``alpha`` takes Newton steps; below, slice sampling. With few rows the
#: posterior of ``log alpha`` has a long right tail (towards the Poisson) where the
#: log-density is nearly linear: a Newton proposal that reaches it is rarely proposed back,
#: and the chain sticks there (720 rows: runs of hundreds of refused steps; exact, but the sd
#: of 4,000 draws came out 0.65 against 0.50). The choice depends on the data only.
_NEWTON_MIN_ROWS = 2000


class AlphaSteps:
    """The steps of ``alpha`` for a chain whose cells are merged rows (``extra["rows"]``,
    ``extra["counts_of"]``)."""

    def _alpha_log_coord(self):
        """The coordinate of ``x`` that is ``log alpha`` (PyMC's log transform of a positive
        prior), or ``None`` where ``alpha`` is not one coordinate on the log scale."""
        rows = np.asarray(self.t.rows)
        if len(rows) != 1:
            return None
        i, z = int(rows[0]), self.x.copy()
        for shift in (0.0, 0.5):
            z[i] = self.x[i] + shift
            if not np.isclose(self.params(z)[1][names.ALPHA], np.exp(z[i]), rtol=1e-9):
                return None
        return i

    def update_row_params(self, eta) -> None:
        """``alpha`` at the cells' linear predictor ``eta``, latent variables integrated out:
        Newton Metropolis-Hastings steps in ``log alpha`` (three passes over the cells, against
        about six for slice sampling), or the base chain's slice sampling on the family's
        likelihood where ``alpha`` is not sampled on the log scale or the rows are few
        (``_NEWTON_MIN_ROWS``)."""
        if "_log_coord" not in self.__dict__:
            few = float(self.extra["rows"].sum()) < _NEWTON_MIN_ROWS
            self._log_coord = None if few else self._alpha_log_coord()
        if self._log_coord is None:
            super().update_row_params(eta)
            return
        at = self._alpha_newton_at(eta, float(self.x[self._log_coord]))
        for _ in range(_ALPHA_STEPS):
            at = self._newton_alpha(eta, at)

    def _newton_alpha(self, eta, at):
        """One Metropolis-Hastings step for ``u = log alpha`` whose proposal is a Newton step
        of the log-posterior from the current value, at most ``_ALPHA_MAX_STEP`` long, with
        its inverse curvature (at least ``_ALPHA_MIN_PRECISION``) as variance (Gamerman 1997;
        the leaves' move in :mod:`pandas_hier.backend.leafmh`, in one dimension). ``at``: the
        current point's :meth:`_alpha_newton_at`; returns the next's. The proposal is defined
        at every point, so the step leaves the posterior invariant; a non-finite point is
        refused."""
        i = self._log_coord
        u, (lp, mean, prec) = float(self.x[i]), at
        if not np.isfinite(lp + mean + prec):
            return at
        z = self.rng.standard_normal()
        new = mean + z / np.sqrt(prec)
        lp1, mean1, prec1 = proposed = self._alpha_newton_at(eta, new)
        log_a = lp1 - lp + 0.5 * (np.log(prec1) - prec1 * (u - mean1) ** 2 - np.log(prec) + z * z)
        if np.isfinite(log_a) and np.log(self.rng.random()) < log_a:
            self.x[i] = new
            return proposed
        return at

    def _alpha_newton_at(self, eta, u) -> tuple[float, float, float]:
        """The log-posterior of ``u = log alpha`` (less a constant), and the Newton
        proposal's mean and precision from ``u``."""
        from scipy.special import digamma, gammaln, polygamma

        with np.errstate(over="ignore"):
            a = float(np.exp(u))
        values, counts = self.extra["counts_of"]
        n = float(self.extra["rows"].sum())
        t, t1, t2 = dispersion_terms(self.y, self.extra["rows"], eta, a)
        r0 = float(counts @ gammaln(values + a)) - n * float(gammaln(a)) + n * a * u
        r1 = float(counts @ digamma(values + a)) - n * float(digamma(a)) + n * (u + 1.0)
        r2 = float(counts @ polygamma(1, values + a)) - n * float(polygamma(1, a)) + n / a
        grad = a * (r1 + t1)
        curv = a * a * (r2 + t2) + grad
        # the prior's (Jacobian included) derivatives by central differences: no pass needed
        z, h = self.x.copy(), 1e-3
        prior = []
        for step in (-h, 0.0, h):
            z[self._log_coord] = u + step
            prior.append(self.params(z)[0])
        grad += (prior[2] - prior[0]) / (2 * h)
        curv += (prior[2] - 2 * prior[1] + prior[0]) / h**2
        prec = max(-curv, _ALPHA_MIN_PRECISION)
        return r0 + t + prior[1], u + float(np.clip(grad / prec, -_ALPHA_MAX_STEP, _ALPHA_MAX_STEP)), prec


class DispersionChain(AlphaSteps, _Chain):
    """The Pólya-Gamma route's chain (:mod:`pandas_hier.backend.augmented`) for the negative
    binomial, ``alpha`` moved by :class:`AlphaSteps`."""
