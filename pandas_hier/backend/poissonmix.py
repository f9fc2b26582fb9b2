"""Logistic-type likelihoods on the Poisson's sweep, as Gamma mixtures of Poissons: the
negative binomial, the binomial and the Bernoulli. Also the choice of each family's Gibbs chain
(:func:`chain_type`).

Each of these likelihoods is, per cell of rows that share their linear predictor, ``mu^Y
(a + mu)^-b`` in ``mu = exp(eta)``: the binomial's ``Y`` successes in ``b`` trials with
``a = 1`` (its ``sigmoid(eta)^Y (1 - sigmoid(eta))^(b - Y)``), the negative binomial's ``Y``
counts over ``n`` rows with ``a = alpha`` and ``b = n alpha + Y``. Since
``(a + mu)^-b = int lambda^(b-1) exp(-lambda (a + mu)) dlambda / Gamma(b)``, the cell is a
Gamma mixture of Poissons: given ``lambda ~ Gamma(b, rate a + mu)``, its likelihood in ``mu``
is ``mu^Y exp(-lambda mu)``, a Poisson count ``Y`` with exposure ``lambda``. For the negative
binomial this is Greenwood and Yule's (1920) mixture; for the binomial it follows from the
same integral. Given every cell's ``lambda`` the Poisson's sweep
(:mod:`pandas_hier.backend.leafmh`) applies as it is, on the cells. Each sweep:

1. **The likelihood's own parameter** (the negative binomial's ``alpha``), the Gamma
   variables integrated out: Newton Metropolis-Hastings steps in ``log alpha`` on the
   likelihood itself.
2. **The sds and the upper coefficients given the leaves**, as the Poisson's steps 1 and 2.
3. **The leaves, and the leaf level's interweaving, on the likelihood itself** (the Gamma
   variables integrated out): the Poisson's Newton Metropolis-Hastings step with the exact
   gradient ``Y - b p`` and curvature ``b p (1 - p)``, ``p = mu / (a + mu)``. Moved on the
   Poisson given ``lambda`` instead, the leaves mixed slowly (negative binomial, 200k rows:
   ESS 358, r_hat 1.017).
4. **The Gamma variables**, one draw per cell, then, given them, the Poisson's moves of the
   upper levels and their interweaving, on the Poisson's cells (far fewer than rows where
   predictors are discrete).
5. **The leaves once more**, on the likelihood itself, and the leaf level's sds again.

Steps 1 and 3 integrate the Gamma variables out; each step that conditions on them comes
right after their draw (step 4), so every step leaves the posterior invariant. Pólya-Gamma
variables (:mod:`pandas_hier.backend.augmented`) cost a draw per trial or per count (their
shape grows with ``b``); they stay the route for models the Poisson's sweep does not cover
(:func:`pandas_hier.routes.leaf_mh_covers`).

Examples
--------
>>> import numpy as np
>>> from pandas_hier.backend.poissonmix import chain_type
>>> every_level = np.ones((2, 2), dtype=bool)
>>> [chain_type(f, every_level).__name__ for f in ("negbinomial", "binomial", "poisson")]
['MixChain', 'MixChain', 'LeafChain']
>>> chain_type("negbinomial", np.array([[True, True], [True, False]])).__name__  # top-only slope
'DispersionChain'
"""

from __future__ import annotations

import numpy as np

from pandas_hier import families, names
from pandas_hier.backend.augmented import _Chain
from pandas_hier.backend.dispersion import AlphaSteps, DispersionChain
from pandas_hier.backend.leafmh import LeafChain
from pandas_hier.backend.slicing import slice_update
from pandas_hier.kernels.rows import group_newton_stats, linear_predictor, logistic_loglik_shifted
from pandas_hier.routes import leaf_mh_covers

__all__ = ["MixChain", "chain_type", "mixture_is_cheaper"]


#: Per-sweep costs behind the choice between Pólya-Gamma draws and the mixture, measured on
#: the benchmark's shapes (``benchmarks/families.py``, 20k and 200k rows): a Pólya-Gamma draw
#: costs about 31 ns per unit of shape up to shape 24 (Devroye's sampler draws one PG(1) per
#: unit) and 1.2 us above it (saddle point), and a fractional part of the shape 130 ns more (the
#: alternate sampler); the mixture's whole sweep about 7.6 ms plus 0.26 us per cell (from its
#: wall times at both sizes). The Pólya-Gamma sweep's other work (about 3 ms at 20k rows) is
#: left out of its side.
_PG_PER_UNIT, _PG_MAX, _PG_FRACTION, _MIX_PER_CELL, _MIX_FIXED = 31e-9, 1.2e-6, 130e-9, 0.26e-6, 7.6e-3


def mixture_is_cheaper(shapes, cells: int, fractional: bool = False) -> bool:
    """Whether the mixture's sweep on ``cells`` cells costs less than Pólya-Gamma draws of
    integer ``shapes`` (one per draw; ``fractional``: each with a fractional part as well).
    Binomial 200k rows of 1 to 10 trials merge into 48k cells of 23 trials: the mixture, 20
    against 34 ms a sweep. Binomial 20k rows (6 a cell) or Bernoulli 200k rows (4 a cell):
    Pólya-Gamma draws.

    Examples
    --------
    >>> import numpy as np
    >>> mixture_is_cheaper(np.full(48_000, 23.0), 48_000), mixture_is_cheaper(np.full(48_000, 4.0), 48_000)
    (True, False)
    """
    shapes = np.asarray(shapes, dtype=float)
    # Devroye's sampler up to shape 24, the saddle-point one above (backend/latent.py)
    pg = float(np.where(shapes <= 24, _PG_PER_UNIT * shapes, _PG_MAX).sum()) + _PG_FRACTION * len(shapes) * fractional
    return _MIX_FIXED + _MIX_PER_CELL * cells < pg


def chain_type(likelihood: str, varying, data=None) -> type[_Chain]:
    """The class of a Gibbs chain for ``likelihood`` and a model whose coefficients vary as
    ``varying`` (levels x coefficients): the Poisson's sweep for the Poisson; where the
    Poisson's sweep covers the model, this module's for the families that are Gamma mixtures
    of Poissons if it costs less on ``data`` than their Pólya-Gamma draws
    (:func:`mixture_is_cheaper`; without ``data``, this module's); else the Gibbs sampler of
    the augmented families (for the negative binomial :class:`DispersionChain`, whose
    ``alpha`` takes Newton steps). Both are exact; the cheaper one is chosen. The negative
    binomial's draws have shape ``Y + n alpha`` per cell of ``n`` rows (``alpha`` is not known
    yet: ``Y + n`` and a fractional part)."""
    family = families.get(likelihood)
    if family.augmentation == "leaf-mh":
        return LeafChain
    pg = DispersionChain if family.merge == "rows" else _Chain
    if not (family.poisson_mixture and leaf_mh_covers(varying)):
        return pg
    if data is None:
        return MixChain
    key = np.column_stack([np.asarray(data.leaf, float), data.X, *([] if data.offset is None else [data.offset])])
    _, cell = np.unique(key, axis=0, return_inverse=True)
    cells = int(cell.max()) + 1
    if family.merge == "trials":  # Pólya-Gamma draws per merged row, of its trials
        trials = np.ones(len(key)) if data.trials is None else np.asarray(data.trials, float)
        cheaper = mixture_is_cheaper(np.bincount(cell.ravel(), weights=trials), cells)
    else:  # per cell (of equal offsets): its count and, alpha unknown yet, 1 a row, and a fraction
        cell = cell.ravel()
        shapes = np.bincount(cell, weights=np.asarray(data.y, float)) + np.bincount(cell)
        cheaper = mixture_is_cheaper(shapes, cells, fractional=True)
    return MixChain if cheaper else pg


class MixChain(AlphaSteps, LeafChain):
    """One chain of a Gamma mixture of Poissons (the module's steps)."""

    mixture = True

    def __init__(self, target, data, opts, rng):
        self._exact = False  # whether moves use the likelihood itself (else the Poisson's)
        self._level_X = {}  # per level, the cells' predictors of its coefficients
        super().__init__(target, data, opts, rng)

    def _merge_rows(self) -> None:
        """Rows of one leaf with equal predictors and offsets become one cell
        (``Family.merge``). Binomial and Bernoulli: successes and trials add. Negative
        binomial: ``n_rows`` rows and their summed count; the distinct counts of the rows and
        their frequencies are kept for ``alpha``'s likelihood."""
        super()._merge_rows()
        if self.family.merge == "trials":
            self.n_rows = None
            self.extra.setdefault("trials", np.ones(len(self.y)))  # unmerged Bernoulli rows: 1 each
        else:
            self.n_rows = self.extra["rows"]
            self._alpha = float(self.params(self.x)[1][names.ALPHA])
            self._b = (None, None)  # (alpha, each cell's b at it)
        self.base = self.offset.copy()  # the offsets less the Gamma variables' logs

    def mix_terms(self):
        """Each cell's ``b`` and ``log a`` at the current parameters (the module's notation)."""
        if self.n_rows is None:
            return self.extra["trials"], 0.0
        if self._b[0] != self._alpha:
            self._b = (self._alpha, self.n_rows * self._alpha + self.y)
        return self._b[1], float(np.log(self._alpha))

    def base_eta(self) -> np.ndarray:
        """The cells' linear predictor at the current leaves, without the Gamma variables."""
        return linear_predictor(self.X, self.leaf, np.ascontiguousarray(self.leaves())) + self.base

    # -- moves on the likelihood itself ------------------------------------------------------
    def cell_view(self, lev):
        if not self._exact:
            return super().cell_view(lev)
        info = self.levels[lev]
        if lev not in self._level_X:
            self._level_X[lev] = np.ascontiguousarray(self.X[:, info["coords"]])
        return self.y, self.base_eta(), self._level_X[lev], info["group"]

    def group_rows(self, y, eta, Xc, group, n):
        """As the Poisson's; on the likelihood itself while ``_exact``: per cell, up to a
        constant, ``Y eta - b log(a + mu)``, its gradient ``Y - b p`` and curvature
        ``b p (1 - p)`` in ``eta``, with ``p = mu / (a + mu)``."""
        if not self._exact:
            return LeafChain.group_rows(y, eta, Xc, group, n)
        b, log_a = self.mix_terms()
        return group_newton_stats(y, b, log_a, eta, Xc, group, n, True)

    def shifted_loglik(self, y, eta, Xc, group, delta) -> float:
        if not self._exact:
            return super().shifted_loglik(y, eta, Xc, group, delta)
        b, log_a = self.mix_terms()
        return logistic_loglik_shifted(y, b, log_a, eta, Xc, group, delta)

    def exactly(self, move, *args) -> None:
        """Run ``move`` on the likelihood itself."""
        self._exact = True
        try:
            move(*args)
        finally:
            self._exact = False

    def _start(self) -> None:
        self.exactly(super()._start)

    # -- the sweep ---------------------------------------------------------------------------
    def sweep(self, tuning: bool) -> None:
        """The module's steps 1 to 5."""
        x, t = self.x, self.t
        if self.n_rows is not None:
            self.update_row_params(self.base_eta())
            self._alpha = self.params(x)[1][names.ALPHA]
        self.scales_and_upper()
        Ls = t.scales(x)[2]
        self.exactly(self.shift, self.k, Ls)
        self.exactly(self.interweave, self.k)
        self.draw_mixture()
        Ls = t.scales(x)[2]  # at the interweaved scales (the upper levels' rows are unchanged)
        for lev in range(self.k - 1, -1, -1):
            self.shift(lev, Ls)
        for lev in range(self.k - 1, 0, -1):
            self.interweave(lev)
        self.exactly(self.shift, self.k, t.scales(x)[2])
        # the leaf level's sds once more, given the moved leaves: with one update a sweep, the
        # county intercepts' sd was the slowest part (negative binomial, 20k rows: bulk ESS
        # 363; 482 with this)
        self.scales_and_upper(self.levels[self.k]["scale_coords"])
        if tuning:
            self._adapt()

    def scales_and_upper(self, coords=None) -> None:
        """The sds (``coords``: those, default every one) given the leaves, upper
        coefficients integrated out, then those."""
        stats = self.pseudo_stats()
        logp = lambda z: self.collapsed_logp(z, stats)  # noqa: E731
        lp = logp(self.x)
        for i in self.t.collapsed if coords is None else coords:
            lp = slice_update(logp, self.x, i, self.width[i], lp, self.rng)
        self.draw_upper(stats)

    def draw_mixture(self) -> None:
        """Each cell's Gamma variable given the coefficients, into the offsets."""
        b, log_a = self.mix_terms()
        eta = self.base_eta()
        with np.errstate(over="ignore"):
            rate = np.exp(log_a) + np.exp(eta)
        total = self.rng.standard_gamma(b) / rate
        self.offset = self.base + np.log(np.maximum(total, np.finfo(float).tiny))
