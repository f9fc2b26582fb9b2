"""The Poisson likelihood on the augmented route: per-leaf Metropolis-Hastings inside the
collapsed Gibbs sampler of :mod:`pandas_hier.backend.augmented`.

The Poisson has no exact Gaussian augmentation, so the rows are never made Gaussian. The leaf
coefficients are kept instead, and everything above them is Gaussian *given* them. Each sweep
(``docs/model.md``, "Poisson"):

1. **Every sd, upper coefficients integrated out.** Given the leaves ``b_g``, the upper levels
   are a Gaussian model with the leaves as data: ``b_g ~ N(theta_parent, D)``. The exact
   marginal kernel evaluates it when each leaf is given as a pseudo-observation of its own
   coefficients with noise ``eps I`` and the leaf level's scale replaced by the Cholesky factor
   of ``D - eps I`` (``0 < eps < min eig D``): the two add back up to ``D``, so the value is
   exact for any such ``eps`` (``_leaf_scales``). Every sd gets a slice update on it.
2. **Upper coefficients, exactly**: one top-down draw of the same kernel.
3. **Every group of every level, with its subtree**, leaves first, the global group (with the
   fixed effects) last: one Metropolis-Hastings step per group whose proposal is a Newton
   (IWLS) step of its conditional posterior from the current value with the inverse Hessian as
   covariance (Gamerman 1997), accepted or refused per group, vectorised across a level's
   groups. Above the leaves it is the non-centred move of a location.
4. **Every level's scales, interweaved** (Yu and Meng 2011): each coordinate is slice-sampled
   again with the standardised offsets ``u_g = L^-1 (theta_g - theta_parent)`` held fixed, on
   the rows' likelihood, within the scales the kernel of step 1 evaluates (``admissible``).
   Step 1 is the centred update and mixes slowly where groups have little data; this one where
   they have much; together they mix at both ends.
5. **The leaves once more**, at the moved scales.

Steps 3 to 5 work on a level's *cells* (``_cells``): its rows grouped by group and by the values
of the predictors whose coefficients vary there. A move shifts every row of a cell alike, and on
the log link ``exp(eta + delta)`` sums to ``exp(delta)`` times the cell's summed ``mu``, so
cell totals give every likelihood difference and Newton statistic exactly, on far fewer cells
than rows where predictors are discrete.

Rows of one leaf with equal predictors are merged first (counts and exposures add: the same
likelihood up to a constant). Every step leaves the posterior invariant, so the chain targets the row-level model's
posterior. A model whose coefficient varies at an upper level but not at the leaf level is
outside this scheme (its coefficient would enter the rows below an upper group without a leaf
of its own) and takes the row-level model (:func:`pandas_hier.routes.leaf_mh_covers`).
"""

from __future__ import annotations

import numpy as np

from pandas_hier.backend.augmented import _Chain
from pandas_hier.backend.slicing import slice_update
from pandas_hier.kernels.rows import (
    group_newton_stats, linear_predictor, newton_step, poisson_loglik_shifted,
)

__all__ = ["LeafChain"]

#: ``eps`` as a fraction of the smallest eigenvalue of the leaves' ``D``.
_EPS = 0.5


def _quad(H, r):
    """``r' H r`` (batched)."""
    return np.einsum("...i,...ij,...j->...", r, H, r)


class LeafChain(_Chain):
    """One chain of the Poisson sweep (the module's steps 1 to 5)."""

    def __init__(self, target, data, opts, rng):
        super().__init__(target, data, opts, rng)
        t, k, G = target, len(data.sizes), self.G
        varying = np.asarray(t.varying, dtype=bool)
        self.k = k
        self.v = np.flatnonzero(varying[-1])
        self.nv = len(self.v)
        self.first = int(self.off[k - 1])  # theta row of leaf 0
        self.root = int(self.off[-1])
        self.theta[: self.root] = self.theta[self.root]
        # per level l = 1..k (0: the global group): its groups' theta rows, their parents' rows,
        # the coefficients that vary there, each row's group, and every theta row at or below
        # the level with its ancestor there (a shift of a group moves its whole subtree)
        anc = np.arange(G)
        self.levels = {}
        below_rows, below_anc = [], []
        for lev in range(k, 0, -1):
            lo, hi = int(self.off[lev - 1]), int(self.off[lev])
            parent = np.asarray(t.parents[t.off[lev - 1] : t.off[lev]], dtype=np.int64)
            up = int(self.off[lev - 2]) if lev > 1 else self.root
            below_rows.insert(0, np.arange(lo, hi))
            below_anc.insert(0, np.arange(hi - lo))
            rows = np.concatenate(below_rows)
            chain_anc = np.concatenate(below_anc)
            self.levels[lev] = dict(
                rows=np.arange(lo, hi), parent=parent + up, coords=np.flatnonzero(varying[lev - 1]),
                group=np.ascontiguousarray(anc[self.leaf]), n=hi - lo, below=(rows, chain_anc),
                Lrows=(int(t.loff[lev - 1]), int(t.loff[lev])), kind=int(t.kinds[lev - 1]),
            )
            below_anc = [parent[a] for a in below_anc]
            anc = parent[anc]
        self.levels[0] = dict(
            rows=np.array([self.root]), coords=np.arange(t.d), group=np.zeros(len(self.y), np.int64),
            n=1, below=(np.arange(self.root + 1), np.zeros(self.root + 1, np.int64)),
        )
        # per level, the coordinates of x that move its scales (step 5)
        Ls0 = t.scales(self.x)[2]
        for lev in range(1, k + 1):
            moved = []
            for i in t.collapsed:
                z = self.x.copy()
                z[i] += 0.25
                if not np.allclose(self.level_L(t.scales(z)[2], lev), self.level_L(Ls0, lev)):
                    moved.append(i)
            self.levels[lev]["scale_coords"] = np.asarray(moved, dtype=np.int64)
        for info in self.levels.values():
            info["cells"] = self._cells(info)
        self.accepted = np.zeros(2)  # the leaves' acceptances and proposals (for tests)
        self._start()

    # -- pieces ------------------------------------------------------------------------------
    def _cells(self, info):
        """A level's cells: its rows grouped by (group, predictors of the level's coefficients).
        A move of the level's groups shifts every row of a cell by the same amount, and on the
        log link ``exp(eta + delta)`` sums to ``exp(delta)`` times the cell's sum of ``mu``:
        cell totals give the moves' likelihood differences and Newton statistics exactly.
        Discrete predictors make an upper level's cells far fewer than its rows."""
        Xc = np.ascontiguousarray(self.X[:, info["coords"]])
        key = np.column_stack([info["group"].astype(float), Xc])
        _, first, cell = np.unique(key, axis=0, return_index=True, return_inverse=True)
        if len(first) == len(self.y):
            return None, self.y, Xc, info["group"]
        cell = cell.ravel()
        y = np.bincount(cell, weights=self.y, minlength=len(first))
        return cell, y, np.ascontiguousarray(Xc[first]), np.ascontiguousarray(info["group"][first])

    def cell_view(self, lev):
        """Level ``lev``'s cells at the current leaves: their counts, the log of their summed
        ``mu`` (the rows themselves where no two rows share a cell), predictors and groups."""
        cell, y, Xc, group = self.levels[lev]["cells"]
        eta = self.eta_of(self.leaves())
        if cell is None:
            return y, eta, Xc, group
        with np.errstate(over="ignore", divide="ignore"):
            mu = np.bincount(cell, weights=np.exp(eta), minlength=len(y))
            return y, np.log(np.maximum(mu, np.finfo(float).tiny)), Xc, group

    def level_L(self, Ls, lev) -> np.ndarray:
        """Level ``lev``'s scale factors on its varying coefficients, ``(rows, c, c)``."""
        info = self.levels[lev]
        c = info["coords"]
        L = Ls[slice(*info["Lrows"])][:, c][:, :, c]
        return L * np.eye(len(c)) if info["kind"] == 0 else np.tril(L)

    def leaf_L(self, Ls) -> np.ndarray:
        return self.level_L(Ls, self.k)

    def per_leaf(self, a, n=None) -> np.ndarray:
        """Broadcast a per-row array of a level (one row, or one per group) to its groups."""
        n = self.G if n is None else n
        return np.broadcast_to(a, (n, *a.shape[1:])) if len(a) == 1 else a

    def leaves(self) -> np.ndarray:
        return self.theta[self.first : self.first + self.G]

    def eta_of(self, leaves) -> np.ndarray:
        return linear_predictor(self.X, self.leaf, np.ascontiguousarray(leaves)) + self.offset

    @staticmethod
    def group_rows(y, eta, Xc, group, n):
        """Per group of a level: the log-likelihood of its cells (up to a constant), ``X'WX``
        and ``X'(y - mu)`` on the level's coefficients, at linear predictor ``eta``."""
        return group_newton_stats(y, y, 0.0, eta, Xc, group, n, False)

    def shifted_loglik(self, y, eta, Xc, group, delta) -> float:
        """The cells' log-likelihood (up to a constant) after moving each group by ``delta``."""
        return poisson_loglik_shifted(y, eta, Xc, group, delta)

    def prior_of(self, lev, Ls):
        """Mean and precision of level ``lev``'s groups' prior (the global's for ``lev = 0``)."""
        info, t = self.levels[lev], self.t
        c = info["coords"]
        if lev == 0:
            return t.m0[None, :], np.diag(1.0 / t.s0**2)[None]
        Linv = np.linalg.inv(self.level_L(Ls, lev))
        P = self.per_leaf(np.swapaxes(Linv, -1, -2) @ Linv, info["n"])
        return self.theta[info["parent"]][:, c], P

    # -- step 1 and 2: the sds and the upper coefficients given the leaves ---------------------
    def pseudo_stats(self):
        """The leaves as pseudo-data for the kernel: each leaf observes its own varying
        coefficients, one pseudo-row per coefficient (the noise sd is given separately)."""
        b = self.leaves()[:, self.v]
        xtx = np.zeros((self.G, self.t.d, self.t.d))
        xtx[:, self.v, self.v] = 1.0
        xty = np.zeros((self.G, self.t.d))
        xty[:, self.v] = b
        return np.full(self.G, float(self.nv)), xtx, xty, np.einsum("gi,gi->g", b, b)

    def _leaf_scales(self, Ls):
        """The kernel's scales and noise sd for the leaves as data: the leaf level's ``D``
        reduced by ``eps I``, and pseudo-observations with noise ``eps``, which add back up to
        ``D`` (``eps`` a fixed fraction of the smallest eigenvalue of any leaf's ``D``).
        ``None`` where ``D`` is not positive definite."""
        L = self.leaf_L(Ls)
        if self.levels[self.k]["kind"] == 0:  # diagonal: no factorisation needed
            var = np.einsum("gii->gi", L) ** 2
            lam = var.min(axis=1)
        else:
            D = L @ np.swapaxes(L, -1, -2)
            lam = np.linalg.eigvalsh(D)[:, 0]
        if not np.all(np.isfinite(lam) & (lam > 0)):
            return None
        eps = _EPS * float(lam.min())
        block = np.zeros((len(L), self.t.d, self.t.d))
        if self.levels[self.k]["kind"] == 0:
            block[:, self.v, self.v] = np.sqrt(var - eps)
        else:
            block[:, self.v[:, None], self.v] = np.linalg.cholesky(D - eps * np.eye(self.nv))
        Ls = Ls.copy()
        Ls[slice(*self.levels[self.k]["Lrows"])] = block
        return Ls, np.sqrt(eps)

    def collapsed_logp(self, x, stats=None) -> float:
        """Log-density of the sds in ``x`` given the leaves (``stats``: their
        :meth:`pseudo_stats`), every upper coefficient integrated out."""
        t = self.t
        prior, _, Ls = t.scales(x)
        if not np.isfinite(prior):
            return -np.inf
        scales = self._leaf_scales(Ls)
        if scales is None:
            return -np.inf
        stats = self.pseudo_stats() if stats is None else stats
        ll = self.kern.loglik_grad(
            scales[1], scales[0], t.loff, t.kinds, *stats, t.parents, t.off, t.m0, t.s0, False
        )[0]  # fmt: skip
        return prior + ll

    def admissible(self, x) -> bool:
        """Whether the kernel evaluates the sds in ``x`` (:data:`~pandas_hier.kernels.PIVOT_MAX`:
        it refuses scales whose ratios it cannot resolve, as a leaf sd about a millionth of its
        parent level's). That depends on the scales alone, not on the leaves. The centred update
        of the sds (step 1) never leaves this box; the interweaving (step 4) is restricted to
        it too, so that every step targets the same posterior. Unrestricted, the interweaving
        reached a leaf slope sd of ``e^-15.7`` in the posterior's tail (its log-density falls
        only linearly there), where the upper draws came out NaN and the next centred update,
        starting from a refused point, jumped to an sd of 16."""
        return bool(np.isfinite(self.collapsed_logp(x)))

    def draw_upper(self, stats) -> None:
        t = self.t
        Ls, sd = self._leaf_scales(t.scales(self.x)[2])
        eps = self.rng.standard_normal((1, self.root + 1, t.d))
        theta = self.kern.draw(
            np.array([sd]), Ls[None], t.loff, t.kinds, *stats, t.parents, t.off, t.m0, t.s0, eps
        )[0]  # fmt: skip
        leaves = self.leaves().copy()
        self.theta[: len(theta)] = theta
        self.theta[self.first : self.first + self.G] = leaves
        # coefficients varying at no level got no data in the kernel: they keep their value
        fixed = np.flatnonzero(~self.t.varying.any(axis=0))
        self.theta[:, fixed] = leaves[0, fixed]

    # -- steps 3 and 4: every group moved with its subtree ---------------------------------
    def shift(self, lev, Ls, newton_only: bool = False) -> None:
        """One Metropolis-Hastings step per group of level ``lev`` (0: the global group) that
        moves the group and its whole subtree by the same amount (the groups below keep their
        offsets from their parents), with a Newton (IWLS) proposal on the rows below it. At
        the leaf level this is the plain per-leaf update; above it, it is the non-centred move
        of a location (Yu and Meng 2011). ``newton_only``: a damped Newton step, to start."""
        info = self.levels[lev]
        c = info["coords"]
        if not len(c):
            return
        m, P = self.prior_of(lev, Ls)
        cur = self.theta[info["rows"]][:, c]
        cells = self.cell_view(lev)
        eta, n = cells[1], info["n"]
        ll, xtx, grad = self.group_rows(*cells, n)
        z = np.zeros(cur.shape) if newton_only else self.rng.standard_normal(cur.shape)

        def newton(b, xtx, grad, z):
            H = xtx + P
            step, noise, logdet = newton_step(H, grad - np.einsum("gij,gj->gi", P, b - m), z)
            return H, b + step, noise, logdet

        H, mean, noise, logdet = newton(cur, xtx, grad, z)
        if newton_only:
            step = np.nan_to_num(mean - cur)
            self._move(lev, step / np.maximum(1.0, np.abs(step).max(axis=1, keepdims=True)))
            return
        new = mean + noise
        y, _, Xc, group = cells
        ll1, xtx1, grad1 = self.group_rows(y, eta + linear_predictor(Xc, group, new - cur), Xc, group, n)
        H1, mean1, _, logdet1 = newton(new, xtx1, grad1, np.zeros_like(z))
        log_fwd = logdet - 0.5 * np.einsum("gi,gi->g", z, z)
        log_rev = logdet1 - 0.5 * _quad(H1, cur - mean1)
        prior = -0.5 * (_quad(P, new - m) - _quad(P, cur - m))
        with np.errstate(invalid="ignore"):
            log_a = ll1 - ll + prior + log_rev - log_fwd
        log_a = np.where(np.isfinite(log_a), log_a, -np.inf)
        accept = np.log(self.rng.random(len(cur))) < log_a
        self._move(lev, np.where(accept[:, None], new - cur, 0.0))
        if lev == self.k:
            self.accepted += (accept.sum(), len(accept))

    def _move(self, lev, delta) -> None:
        info = self.levels[lev]
        rows, anc = info["below"]
        self.theta[rows[:, None], info["coords"]] += delta[anc]

    # -- step 5: the scales, non-centred ---------------------------------------------------
    def interweave(self, lev) -> None:
        """Slice updates of level ``lev``'s scale coordinates with its groups' standardised
        offsets ``u = L^-1 (theta - theta_parent)`` fixed: each group, with its subtree,
        follows its scale; the rows' likelihood decides."""
        t, x, info = self.t, self.x, self.levels[lev]
        c, coords = info["coords"], info["scale_coords"]
        if not len(coords) or not len(c):
            return
        m = self.theta[info["parent"]][:, c]
        cur = self.theta[info["rows"]][:, c]
        L = self.per_leaf(self.level_L(t.scales(x)[2], lev), info["n"])
        u = np.linalg.solve(L, (cur - m)[..., None])[..., 0]
        y, eta, Xc, group = self.cell_view(lev)

        def logp(z) -> float:
            prior, _, Ls = t.scales(z)
            if not np.isfinite(prior):
                return -np.inf
            new = m + np.einsum("gij,gj->gi", self.per_leaf(self.level_L(Ls, lev), info["n"]), u)
            ll = self.shifted_loglik(y, eta, Xc, group, new - cur)
            return prior + ll if np.isfinite(ll) else -np.inf

        lp = logp(x)
        for i in coords:
            lp = slice_update(logp, x, i, self.width[i], lp, self.rng, admissible=self.admissible)
        L = self.per_leaf(self.level_L(t.scales(x)[2], lev), info["n"])
        self._move(lev, m + np.einsum("gij,gj->gi", L, u) - cur)

    def _start(self) -> None:
        """Leaves and the global coefficients at their conditional modes given the starting
        values (damped Newton steps), so that the first proposals start near the posterior."""
        Ls = self.t.scales(self.x)[2]
        for _ in range(30):
            before = self.theta.copy()
            self.shift(self.k, Ls, newton_only=True)
            self.shift(0, Ls, newton_only=True)
            if np.abs(self.theta - before).max() < 1e-6:
                break

    # -- the sweep ---------------------------------------------------------------------------
    def sweep(self, tuning: bool) -> None:
        x, rng, t = self.x, self.rng, self.t
        stats = self.pseudo_stats()
        logp = lambda z: self.collapsed_logp(z, stats)  # noqa: E731
        lp = logp(x)
        for i in t.collapsed:
            lp = slice_update(logp, x, i, self.width[i], lp, rng)
        self.draw_upper(stats)
        Ls = t.scales(x)[2]
        for lev in range(self.k, -1, -1):
            self.shift(lev, Ls)
        for lev in range(self.k, 0, -1):
            self.interweave(lev)
        # the leaves once more, at the moved scales: one Metropolis-Hastings step per sweep left
        # the leaf coefficients the slowest part (20k rows: bulk ESS 337; 1,038 with this step,
        # for about a tenth more time)
        self.shift(self.k, t.scales(x)[2])
        if tuning:
            self._adapt()
