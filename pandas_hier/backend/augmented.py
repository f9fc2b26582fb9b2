"""The augmented route: a blocked, collapsed Gibbs sampler for likelihoods that become
conditionally Gaussian given per-row latent variables (Student-t and Cauchy by a Gamma scale
mixture; Bernoulli, binomial and negative binomial by Pólya-Gamma variables). The Poisson's
sweep (:mod:`pandas_hier.backend.leafmh`) is a subclass of its chain; the logit-type families
take that sweep where it covers the model and costs less (:mod:`pandas_hier.backend.poissonmix`).

Each iteration, on the model's scale (``docs/model.md``, "The augmented route"):

1. **Augmentation.** Given the coefficients, draw every row's latent variable: for Student-t,
   ``lambda_i ~ Gamma((nu + 1) / 2, (nu + r_i^2 / sigma^2) / 2)`` with ``r_i`` the residual;
   for the logit-type families ``omega_i ~ PG(b_i, psi_i)`` (Polson, Scott and Windle 2013).
   The rows are then Gaussian with precision weights, and one row pass gives weighted
   per-leaf sufficient statistics (:mod:`pandas_hier.kernels.rows`).
2. **Variance parameters, coefficients integrated out.** Every sd (and Student-t's ``sigma``)
   is updated by univariate slice sampling (Neal 2003) on the exact marginal likelihood of the
   weighted statistics (the compiled kernel of the Gaussian route) plus its prior.
3. **Every coefficient, exactly.** One top-down draw from the Gaussian conditional (the same
   kernel that draws the Gaussian route's coefficients). For the Gamma mixture, steps 1 and
   3 then repeat at fixed sds, more often the smaller nu (:func:`gamma_cycles`), with step 2
   again every third time: the weights mix slowly with the coefficients and the sds at small
   nu, and a cycle costs far less than a sweep.
4. **Likelihood parameters**, latent variables integrated out: Student-t's ``sigma`` and
   ``nu`` by slice sampling along the principal axes of their warm-up covariance, the negative
   binomial's ``alpha`` by Newton steps (:mod:`pandas_hier.backend.dispersion`).

Because step 2 integrates every coefficient out, the sds never meet the funnel that makes
row-level NUTS diverge. Every step leaves the posterior invariant, so the chain targets the
same posterior as the row-level model (``tests/test_backend_augmented.py``). No step can
diverge or has a step size to adapt: warm-up only sets the slice widths (3 sds of each
coordinate over doubling windows of sweeps). Chains run in parallel (``backend/chains.py``).
"""

from __future__ import annotations

import time

import numpy as np

from pandas_hier import families, names
from pandas_hier.backend.chains import run_chains, shared_empty
from pandas_hier.backend.latent import polyagamma
from pandas_hier.backend.slicing import slice_update

__all__ = ["gamma_cycles", "sample_augmented"]

_WIDTH_MIN = 1e-4
#: Sweeps in the first warm-up window of the slice widths (each next one twice as long).
_WINDOW = 25


class _Target:
    """The model's unconstrained parameters as one flat vector and the compiled pieces of its
    log-density that the Gibbs steps need."""

    def __init__(self, built, data, opts):
        from pytensor.graph.traversal import ancestors

        from pandas_hier.backend.marginal_op import MarginalLoglik

        model = built.model
        self.model = model
        self.family = families.get(opts.likelihood)
        point = model.initial_point()
        self.values = list(model.value_vars)
        self.shapes = [np.shape(point[v.name]) for v in self.values]
        sizes = [int(np.prod(s)) for s in self.shapes]
        self.bounds = np.cumsum([0, *sizes])
        self._pieces = list(zip(self.bounds[:-1].tolist(), self.bounds[1:].tolist(), self.shapes, strict=True))
        self.x0 = np.concatenate([np.ravel(point[v.name]) for v in self.values]).astype(float)
        rv_of = {model.rvs_to_values[rv].name: rv for rv in model.free_RVs}
        row_names = {n for n in (names.SIGMA, names.NU, names.ALPHA) if n in model.named_vars}
        coll_rvs = [rv for rv in model.free_RVs if rv.name not in (names.NU, names.ALPHA)]
        self.collapsed = self._coords(v for v in self.values if rv_of[v.name] in coll_rvs)
        self.rows = self._coords(
            v for v in self.values if rv_of[v.name].name in row_names
        )
        pot = model.potentials[0]
        node = next(
            v.owner for v in ancestors([pot]) if v.owner and isinstance(v.owner.op, MarginalLoglik)
        )
        self.d = node.op.d
        row_rvs = [model[n] for n in sorted(row_names)]
        prior = model.logp(vars=row_rvs) if row_rvs else model.logp(vars=[])
        consts = [model.replace_rvs_by_values([model[n]])[0] for n in sorted(row_names)]
        outs = model.unobserved_RVs
        self.out_names = [v.name for v in outs]
        self.varying = np.asarray(built.varying, dtype=bool)
        def compile_(outs):
            fn = model.compile_fn(outs, inputs=self.values, point_fn=False, on_unused_input="ignore")
            fn.trust_input = True  # called tens of times a sweep, always on ``split``'s views
            return fn

        # the sds' (and sigma's) prior and the kernel's scale inputs, as functions of x; the
        # kernel itself is called directly, on the weighted statistics, without its gradient
        inputs = model.replace_rvs_by_values(list(node.inputs))
        self._scales = compile_([model.logp(vars=coll_rvs), inputs[0], inputs[1]])
        const = compile_(inputs[2:])(*self.split(self.x0))
        self.loff, self.kinds = (np.asarray(a) for a in const[:2])
        self.parents, self.off, self.m0, self.s0 = (np.asarray(a) for a in const[6:])
        self._rows_prior = compile_([prior, *consts]) if row_names else None
        self.row_names = sorted(row_names)
        self._constrained = compile_(model.replace_rvs_by_values(outs))

    def copy(self) -> _Target:
        """A copy with its own compiled functions (for another thread)."""
        new = object.__new__(_Target)
        new.__dict__.update(self.__dict__)
        for name in ("_scales", "_rows_prior", "_constrained"):
            fn = getattr(self, name)
            setattr(new, name, None if fn is None else fn.copy(share_memory=False))
        return new

    def _coords(self, values) -> np.ndarray:
        idx = {v.name: i for i, v in enumerate(self.values)}
        return np.concatenate(
            [np.arange(self.bounds[idx[v.name]], self.bounds[idx[v.name] + 1]) for v in values]
            or [np.zeros(0, np.int64)]
        ).astype(np.int64)

    def split(self, x):
        return [x[a:b].reshape(s) for a, b, s in self._pieces]

    def scales(self, x) -> tuple[float, float, np.ndarray]:
        """The sds' prior log-density (Jacobian included), the noise sd and the kernel's scale
        matrices at ``x``."""
        prior, sigma, Ls = self._scales(*self.split(x))
        return float(prior), float(sigma), np.asarray(Ls)

    def collapsed_logp(self, x, stats, kern) -> float:
        """Log-density of the sds (and sigma) given the weighted statistics, coefficients
        integrated out."""
        prior, sigma, Ls = self.scales(x)
        if not np.isfinite(prior):
            return -np.inf
        ll = kern.loglik_grad(
            sigma, Ls, self.loff, self.kinds, *stats, self.parents, self.off, self.m0, self.s0, False
        )[0]  # fmt: skip
        return prior + ll

    def row_params(self, x) -> tuple[float, dict]:
        """Prior log-density of the likelihood's parameters and their constrained values."""
        prior, *vals = self._rows_prior(*self.split(x))
        return float(prior), {n: float(v) for n, v in zip(self.row_names, vals, strict=True)}

    def constrained(self, x):
        return self._constrained(*self.split(x))


#: What a sweep's Gamma cycles should shrink the coefficients' autocorrelation to.
_GAMMA_SHRINK = 1 / 32
#: Every how many cycles the sds are updated again (given that cycle's latent variables).
_SD_EVERY = 3


def gamma_cycles(nu: float) -> int:
    """(latent, coefficient) cycles per sweep for the Gamma mixture at ``nu``. The weights and
    the coefficients mix slowly at small ``nu``: the fraction of a location's information that
    the weights hold is ``2 / (nu + 3)`` (complete data ``1 / sigma^2``, observed
    ``(nu + 1) / ((nu + 3) sigma^2)``), and each cycle shrinks the coefficients'
    autocorrelation by about that factor. Cycles are added until it reaches ``_GAMMA_SHRINK``.
    ``nu`` is fixed during the cycles, so choosing their number by it keeps every step exact.

    Examples
    --------
    >>> [gamma_cycles(nu) for nu in (1.0, 4.0, 10.0, 100.0)]
    [5, 3, 2, 1]
    """
    rate = 2.0 / (nu + 3.0)
    return max(1, int(np.ceil(np.log(_GAMMA_SHRINK) / np.log(rate) - 1e-9)))


class _Chain:
    """One chain's state and its Gibbs sweep."""

    #: Whether the rows are a Gamma mixture of Poissons (:mod:`pandas_hier.backend.poissonmix`),
    #: whose rows are merged whatever the family.
    mixture = False

    def __init__(self, target: _Target, data, opts, rng):
        from pandas_hier.kernels import kernel

        self.t, self.data, self.rng = target, data, rng
        self.family = target.family
        self.kern = kernel(target.d)
        self.x = target.x0.copy()
        self.X = np.ascontiguousarray(data.X, dtype=np.float64)
        self.y = np.asarray(data.y, dtype=np.float64)
        self.leaf = np.asarray(data.leaf, dtype=np.int64)
        self.offset = np.zeros(len(self.y)) if data.offset is None else np.asarray(data.offset, float)
        self.extra = {} if data.trials is None else {"trials": np.asarray(data.trials, float)}
        self.fixed = self.family.fixed(opts)
        self.G = data.sizes[-1]
        self.off = np.cumsum([0, *data.sizes]).astype(np.int64)
        root = int(self.off[-1])
        self.theta = np.zeros((root + 2, target.d))
        self.theta[root, 0] = data.intercept_mean
        self.width = np.ones(len(self.x))
        self._moments = np.zeros((3, len(self.x)))  # count, mean, M2 in a warm-up window
        self._rows_cross = np.zeros((len(target.rows), len(target.rows)))
        self._window, self._last_sd = _WINDOW, np.zeros(len(self.x))
        self._axes = None  # principal axes of the likelihood parameters, set during warm-up
        self.terms = self.family  # whose Polya-Gamma terms the rows take
        if self.family.merge or self.mixture:
            self._merge_rows()

    def _merge_rows(self) -> None:
        """Rows of one leaf with equal predictors become one (``Family.merge``), which leaves
        the likelihood unchanged up to a constant. Discrete predictors make this many times
        fewer rows for every pass (and fewer Pólya-Gamma draws of larger shape: less in all)."""
        merge = self.family.merge
        same = merge in ("trials", "rows")  # offsets must then be equal within a cell
        key = np.column_stack([self.leaf.astype(float), self.X, *([self.offset] if same else [])])
        _, first, cell = np.unique(key, axis=0, return_index=True, return_inverse=True)
        cell = cell.ravel()
        if merge == "rows":
            self.extra = {"rows": np.bincount(cell).astype(float), "counts_of": np.unique(self.y, return_counts=True)}
        elif len(first) == len(self.y):
            return
        self.y = np.bincount(cell, weights=self.y)
        self.offset = np.log(np.bincount(cell, weights=np.exp(self.offset))) if merge == "exposure" else self.offset[first]
        if merge == "trials":  # a Bernoulli row is one trial; the merged rows are binomial
            self.extra = {"trials": np.bincount(cell, weights=self.extra.get("trials", np.ones(len(cell))))}
            self.terms = families.get("binomial")
        self.X = np.ascontiguousarray(self.X[first])
        self.leaf = np.ascontiguousarray(self.leaf[first])

    # -- pieces ------------------------------------------------------------------------------
    def eta(self) -> np.ndarray:
        from pandas_hier.kernels.rows import linear_predictor

        leaves = self.theta[self.off[-2] : self.off[-1]]
        return linear_predictor(self.X, self.leaf, leaves) + self.offset

    def params(self, x) -> tuple[float, dict]:
        if self.t._rows_prior is None:
            return 0.0, dict(self.fixed)
        prior, vals = self.t.row_params(x)
        return prior, {**self.fixed, **vals}

    def row_loglik(self, x, loglik) -> float:
        """Prior plus ``loglik`` (the family's :meth:`~pandas_hier.families.base.Family.loglik_at`
        at the current linear predictor) at the likelihood parameters in ``x``."""
        prior, p = self.params(x)
        if not np.isfinite(prior):
            return -np.inf
        sigma = p.pop(names.SIGMA, None)
        return prior + loglik(sigma, **p)

    def augment(self, p=None):
        """Draw every row's latent variable given the coefficients, and the weighted
        per-leaf statistics they give (the module's step 1)."""
        from pandas_hier.kernels.rows import mixture_stats, weighted_stats

        if p is None:
            _, p = self.params(self.x)
        if self.family.augmentation == "gamma":
            nu = self.family.mixture_nu(p)
            # one scalar shape for every row, then each row's rate in the row pass: numpy's
            # draws with a per-row scale cost twice as much (shape 1, the Cauchy's, 4x)
            gam = self.rng.standard_gamma(0.5 * (nu + 1.0), size=len(self.y))
            leaves = self.theta[self.off[-2] : self.off[-1]]  # the rows' eta, formed in the pass
            self.stats = mixture_stats(
                self.X, self.leaf, self.y, leaves, self.offset, gam, p[names.SIGMA], nu, self.G
            )
        else:
            eta = self.eta()
            b, kappa, shift = self.terms.polyagamma_terms(self.y, {**self.extra, **p})
            omega = polyagamma(np.broadcast_to(np.asarray(b, float), eta.shape), eta + shift, self.rng)
            # pseudo-response of x'theta: kappa / omega - offset - shift, precision omega;
            # its sum of squares is constant given omega and left out
            wz = kappa - omega * (self.offset + shift)
            self.stats = weighted_stats(self.X, self.leaf, omega, wz, np.zeros_like(wz), self.G)

    def draw_theta(self, scales=None) -> None:
        t = self.t
        _, sigma, Ls = t.scales(self.x) if scales is None else scales
        eps = self.rng.standard_normal((1, int(t.off[-1]) + 1, t.d))
        self.theta = self.kern.draw(
            np.array([sigma]), Ls[None], t.loff, t.kinds, *self.stats, t.parents, t.off, t.m0,
            t.s0, eps,
        )[0]  # fmt: skip

    # -- the sweep ---------------------------------------------------------------------------
    def sweep(self, tuning: bool) -> None:
        x, rng, t = self.x, self.rng, self.t
        _, p = self.params(x)
        # more (latent, coefficient) cycles at fixed sds where the two mix slowly (Student-t at
        # small nu; Pólya-Gamma families mix well with one, costlier, cycle); every _SD_EVERY-th
        # cycle updates the sds first (Cauchy: the county slopes' sd had lag-1 autocorr. 0.61)
        gamma = self.family.augmentation == "gamma"
        for c in range(gamma_cycles(self.family.mixture_nu(p)) if gamma else 1):
            self.augment(p)
            if c % _SD_EVERY == 0:
                logp = lambda z: t.collapsed_logp(z, self.stats, self.kern)  # noqa: E731
                lp = logp(x)
                for i in t.collapsed:
                    lp = slice_update(logp, x, i, self.width[i], lp, rng)
                scales = t.scales(x)
            self.draw_theta(scales)
        if len(t.rows):  # the likelihood's own parameters (step 4)
            self.update_row_params(self.eta())
        if tuning:
            self._adapt()

    def update_row_params(self, eta) -> None:  # at linear predictor eta
        loglik, x = self.family.loglik_at(self.y, eta, **self.extra), self.x
        lp = self.row_loglik(x, loglik)
        for i, width, direction in self._row_moves():
            lp = slice_update(lambda z: self.row_loglik(z, loglik), x, i, width, lp, self.rng, direction)

    def _row_moves(self):
        """The likelihood parameters' slice moves: one per coordinate, or, where there are
        several, one along each principal axis of their warm-up covariance. Student-t's
        ``log sigma`` and ``log nu`` correlate (0.7 on the benchmark shape), and one-at-a-time
        updates of a correlated pair mix at rate ``rho^2``."""
        rows = self.t.rows
        if self._axes is None:
            return [(int(i), self.width[i], 1.0) for i in rows]
        vals, vecs = self._axes
        return [(rows, 3.0 * np.sqrt(v), vecs[:, k]) for k, v in enumerate(vals)]

    def _adapt(self) -> None:
        """Slice widths: 3 sds per coordinate over doubling windows of sweeps, at least the last
        full window's (all of warm-up left the NB's pinned ``log alpha`` 340 sds wide at 200k
        rows; the current window alone, short for a slow chain, slowed grouseticks)."""
        c, m, s2 = self._moments
        c += 1
        delta = self.x - m
        m += delta / c
        s2 += delta * (self.x - m)
        rows = self.t.rows
        if len(rows) > 1:  # co-moments of the likelihood parameters
            self._rows_cross += np.outer(delta[rows], self.x[rows] - m[rows])
        if c[0] >= 10:
            sd = np.sqrt(s2 / (c - 1))
            self.width = np.maximum(3.0 * np.maximum(sd, self._last_sd), _WIDTH_MIN)
            if len(rows) > 1:
                cov = self._rows_cross / (c[0] - 1) + _WIDTH_MIN**2 * np.eye(len(rows))
                self._axes = np.linalg.eigh(cov)
        if c[0] >= self._window:  # a new window; the widths stand until it has 10 sweeps
            self._last_sd = np.sqrt(s2 / (c - 1))
            self._moments[:], self._rows_cross[:], self._window = 0.0, 0.0, 2 * self._window


def sample_augmented(built, data, opts, *, draws, tune, chains, seed, progressbar, chain=None):
    """Run the Gibbs sampler; returns ``(None, DataTree)`` like
    :func:`pandas_hier.backend.sample.sample` (``posterior`` on the model's scale, coefficients
    included, and ``sample_stats`` with each chain's seconds). ``chain``: the class of a chain
    (:func:`pandas_hier.backend.poissonmix.chain_type`)."""
    import xarray as xr

    from pandas_hier import progress

    with progress.step("compiling the model's pieces", progressbar=progressbar):
        target = _Target(built, data, opts)
    seeds = np.random.SeedSequence(seed).spawn(chains)
    chain_type = chain or _Chain
    root = int(np.sum(data.sizes))
    off = np.cumsum([0, *data.sizes])
    # shared with forked chains (:mod:`pandas_hier.backend.chains`)
    kept_x = shared_empty((chains, draws, len(target.x0)))
    kept_theta = shared_empty((chains, draws, root + 1, target.d))
    seconds = shared_empty((chains,))

    def run(c: int, tgt: _Target, tick) -> None:
        started = time.perf_counter()
        chain = chain_type(tgt, data, opts, np.random.default_rng(seeds[c]))
        for it in range(tune + draws):
            chain.sweep(tuning=it < tune)
            tick(c)
            if it >= tune:
                kept_x[c, it - tune] = chain.x
                kept_theta[c, it - tune] = chain.theta[: root + 1]
        seconds[c] = time.perf_counter() - started

    # The chains are the parallelism: BLAS threads inside a chain busy-wait on the cores the
    # other chains need (2 chains on 2 cores: a negative binomial fit ran twice as slow).
    from threadpoolctl import threadpool_limits

    with progress.bar(chains * (tune + draws), "sampling (Gibbs)", progressbar=progressbar) as shown:
        with threadpool_limits(limits=1, user_api="blas"):
            run_chains(run, chains, target=target, copy=_Target.copy, update=shown.update)
    model = built.model
    dims = model.named_vars_to_dims
    post: dict = {}
    flat = kept_x.reshape(chains * draws, -1)
    outs = [target.constrained(x) for x in flat]
    for j, name in enumerate(target.out_names):
        arr = np.stack([o[j] for o in outs]).reshape(chains, draws, *np.shape(outs[0][j]))
        own = dims.get(name) or tuple(f"{name}_dim_{i}" for i in range(arr.ndim - 2))
        post[name] = (("chain", "draw", *own), arr)
    post[names.GLOBAL] = (("chain", "draw", "coef"), kept_theta[:, :, root])
    for depth, lv in enumerate(data.levels):
        post[names.b(lv)] = (("chain", "draw", lv, "coef"), kept_theta[:, :, off[depth] : off[depth + 1]])
    coords = {k: list(v) for k, v in model.coords.items() if v is not None}
    coords.update(chain=np.arange(chains), draw=np.arange(draws))
    used = {d for dd, _ in post.values() for d in dd}
    ds = xr.Dataset(post, coords={k: v for k, v in coords.items() if k in used})
    stats = xr.Dataset({"chain_seconds": (("chain",), seconds)}, coords={"chain": np.arange(chains)})
    return None, xr.DataTree.from_dict({"posterior": ds, "sample_stats": stats})
