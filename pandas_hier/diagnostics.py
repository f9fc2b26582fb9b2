"""Sampling diagnostics of a fit and the warnings that say what went wrong and what to do.

Convergence is judged on what the sampler explored (the ``model_scale`` group of the fit's
DataTree): in a marginal model every coefficient is an exact conditional draw given those
parameters. Besides divergences, r_hat and ESS, every chain is checked on its own: a chain whose
step size collapsed or that keeps hitting the maximum tree depth is *stuck* and gets its own
:class:`~pandas_hier.StuckChainWarning` naming the chain and the parameter it sits on.

Examples
--------
>>> from pandas_hier.diagnostics import stuck_chains
>>> import numpy as np
>>> stuck_chains(np.array([0.45, 0.47, 3e-12, 0.46]), np.array([0.0, 0.0, 1.0, 0.0]))
(2,)
>>> stuck_chains(np.array([0.004, 0.004]), np.array([0.99, 0.98]))  # all deep: none singled out
()
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from pandas_hier._convergence import diagnose_draws
from pandas_hier.errors import (
    ConvergenceWarning,
    DivergenceWarning,
    StuckChainWarning,
    TreeDepthWarning,
    warn,
)

__all__ = ["Diagnostics", "diagnose", "no_diagnostics", "stuck_chains", "warn_if_unhealthy"]

#: Thresholds of a healthy fit, written once: r_hat at most this, ESS at least this per chain.
RHAT_MAX = 1.01
ESS_PER_CHAIN = 100
#: A chain is stuck when its step size is below this fraction of the chains' median, or below
#: the absolute floor (on the standardised model scale steps are of order 0.1 to 1), or when
#: more than this share of its draws hit the maximum tree depth while the typical chain's did
#: not. When most chains hit it, no chain is singled out: the whole fit gets a
#: TreeDepthWarning instead.
STEP_RATIO = 1e-3
STEP_FLOOR = 1e-8
MAXDEPTH_SHARE = 0.5
#: Maximum tree depth of nutpie's and PyMC's NUTS (their default; pandas-hier does not change it).
MAX_TREE_DEPTH = 10


@dataclass(frozen=True)
class Diagnostics:
    """Sampling diagnostics: divergent transitions, worst r_hat and smallest ESS, and where.

    Attributes
    ----------
    divergences : int
        Post-warm-up divergent transitions over all chains.
    draws, chains : int
    max_rhat, min_ess_bulk, min_ess_tail : float
        Worst values over the sampled parameters (model scale); NaN for approximations.
    worst_rhat_param, worst_ess_param : str
        Where they occur.
    divergence_level : str or None
        The level whose sds differ most between divergent and other draws.
    stuck_chains : tuple of int
        Chains whose step size collapsed or that kept hitting the maximum tree depth.
    stuck_param : str
        The parameter the first stuck chain sits furthest from the others on (``""`` if none).
    step_sizes : tuple of float
        Post-warm-up step size per chain (empty where the sampler does not report it).
    maxdepth_share : tuple of float
        Share of each chain's draws that hit the maximum tree depth.

    Examples
    --------
    >>> from pandas_hier.diagnostics import Diagnostics
    >>> d = Diagnostics(0, 1000, 4, 1.003, 1500.0, 1200.0, "sigma", "sd_county", None)
    >>> d.ok, d.stuck_chains
    (True, ())
    """

    divergences: int
    draws: int
    chains: int
    max_rhat: float
    min_ess_bulk: float
    min_ess_tail: float
    worst_rhat_param: str
    worst_ess_param: str
    divergence_level: str | None
    stuck_chains: tuple[int, ...] = ()
    stuck_param: str = ""
    step_sizes: tuple[float, ...] = ()
    maxdepth_share: tuple[float, ...] = ()

    def __post_init__(self) -> None:  # tuples, also when read back from JSON lists
        object.__setattr__(self, "stuck_chains", tuple(int(c) for c in self.stuck_chains))
        object.__setattr__(self, "step_sizes", tuple(float(c) for c in self.step_sizes))
        object.__setattr__(self, "maxdepth_share", tuple(float(c) for c in self.maxdepth_share))

    @property
    def ok(self) -> bool:
        """True when no chain is stuck, there are no divergences, r_hat <= 1.01 and ESS >= 100
        per chain."""
        floor = ESS_PER_CHAIN * self.chains
        return (
            not self.stuck_chains
            and self.divergences == 0
            and self.max_rhat <= RHAT_MAX
            and min(self.min_ess_bulk, self.min_ess_tail) >= floor
        )


def no_diagnostics(trace) -> Diagnostics:
    """An approximation (ADVI, Pathfinder) has no MCMC diagnostics: NaN, so ``ok`` is False."""
    post = trace["posterior"]
    nan = float("nan")
    return Diagnostics(0, int(post.sizes["draw"]), int(post.sizes["chain"]), nan, nan, nan, "", "", None)


def stuck_chains(step_size: np.ndarray, maxdepth_share: np.ndarray) -> tuple[int, ...]:
    """Chains that stopped exploring, from per-chain post-warm-up step sizes and the share of
    draws that hit the maximum tree depth.

    Parameters
    ----------
    step_size : ndarray (chains,)
    maxdepth_share : ndarray (chains,)

    Returns
    -------
    tuple of int
        The stuck chains, in order.
    """
    step_size = np.asarray(step_size, float)
    share = np.asarray(maxdepth_share, float)
    small = (step_size < STEP_RATIO * np.median(step_size)) | (step_size < STEP_FLOOR)
    deep = (share > MAXDEPTH_SHARE) & (np.median(share) <= MAXDEPTH_SHARE)
    return tuple(int(c) for c in np.flatnonzero(small | deep))


def _chain_stats(stats, chains: int, draws: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-chain step size and max-depth share from nutpie's or PyMC's sample stats."""
    step = np.full(chains, np.nan)
    share = np.zeros(chains)
    if stats is None:
        return step, share
    if "step_size" in stats:  # nutpie jitters the adapted step size: take each chain's median
        step = np.median(stats["step_size"].to_numpy().reshape(chains, -1), axis=1)
    at_max = np.zeros((chains, draws), bool)
    for name in ("maxdepth_reached", "reached_max_treedepth"):
        if name in stats:
            at_max |= stats[name].to_numpy().reshape(chains, -1).astype(bool)
    for name in ("depth", "tree_depth"):  # nutpie does not always set its flag at full depth
        if name in stats:
            at_max |= stats[name].to_numpy().reshape(chains, -1) >= MAX_TREE_DEPTH
    return step, at_max.mean(axis=1)


def _farthest(post, chain: int) -> str:
    """The parameter entry on which ``chain`` sits furthest from the other chains."""
    best, where = -1.0, ""
    for name, da in post.data_vars.items():
        if name.endswith("__"):
            continue  # the transformed copy of a parameter: report the parameter itself
        vals = da.to_numpy().reshape(da.shape[0], da.shape[1], -1)
        if vals.shape[0] < 2:
            return ""
        mine = vals[chain].mean(axis=0)
        rest = np.delete(vals, chain, axis=0).reshape(-1, vals.shape[2])
        score = np.abs(mine - rest.mean(axis=0)) / (rest.std(axis=0) + 1e-300)
        k = int(np.argmax(score))
        if score[k] > best:
            labels = [str(v) for dim in da.dims[2:] for v in da[dim].to_numpy()]
            entry = f"{name}[{labels[k]}]" if vals.shape[2] > 1 and labels else name
            best, where = float(score[k]), f"{entry} = {mine[k]:.3g} (other chains: {rest.mean(axis=0)[k]:.3g})"
    return where


def diagnose(idata, levels: Sequence[str]) -> Diagnostics:
    """Diagnostics of a sampled fit's DataTree (``model_scale`` and ``sample_stats`` groups).

    Parameters
    ----------
    idata : xarray.DataTree
    levels : sequence of str
        Level names, to attribute divergences to a level.

    Returns
    -------
    Diagnostics
    """
    model = idata["model_scale"].to_dataset()
    # corr_ and chol_ are functions of the sampled sd_ and lkj_ (whose constant entries have no
    # r_hat and are skipped below)
    # sampler-internal transformed copies (``sd_county_log_exp_m1__`` beside ``sd_county``) are
    # skipped too: ranks, hence bulk r_hat and ESS, do not change under their monotone
    # transforms, and a warning should name the parameter the user asked for
    every = list(model.data_vars)
    copies = {v for v in every if v.endswith("__") and any(v.startswith(f"{b}_") for b in every if b != v)}
    names = [v for v in every if not v.startswith(("corr_", "chol_")) and v not in copies]
    post = model[names]
    chains, draws = int(post.sizes["chain"]), int(post.sizes["draw"])
    stats = idata["sample_stats"].to_dataset() if "sample_stats" in idata.children else None
    if stats is not None and "diverging" in stats:
        div = stats["diverging"].to_numpy().astype(bool)
    else:
        div = np.zeros((chains, draws), bool)
    # every scalar of every variable at once (ArviZ's algorithm, vectorised: _convergence)
    arrays = [post[k].transpose("chain", "draw", ...).to_numpy().reshape(chains, draws, -1) for k in names]
    bounds = np.cumsum([0, *(a.shape[2] for a in arrays)])
    rhat, ess_b, ess_t = (
        {k: v[bounds[i] : bounds[i + 1]] for i, k in enumerate(names)}
        for v in diagnose_draws(np.concatenate(arrays, axis=2))
    )

    def worst(ds: dict, fn, default: float) -> dict:
        # constant entries (e.g. a coefficient fixed at a level) have NaN diagnostics: skip them
        out = {}
        for k, vals in ds.items():
            vals = vals[np.isfinite(vals)]
            out[k] = float(fn(vals)) if vals.size else default
        return out

    r = worst(rhat, np.max, 1.0)
    eb = worst(ess_b, np.min, np.inf)
    et = worst(ess_t, np.min, np.inf)
    rname = max(r, key=r.get)
    ename = min(eb, key=eb.get)
    level = None
    if div.any():
        scores = {}
        for lv in levels:
            if f"sd_{lv}" in model:
                logsd = np.log(model[f"sd_{lv}"].to_numpy().reshape(div.size, -1))
                flat = div.reshape(-1)
                diff = np.abs(logsd[flat].mean(0) - logsd.mean(0)) / (logsd.std(0) + 1e-12)
                scores[lv] = float(diff.max())
        level = max(scores, key=scores.get) if scores else None
    step, share = _chain_stats(stats, chains, draws)
    stuck = stuck_chains(step, share) if np.isfinite(step).all() else ()
    return Diagnostics(
        divergences=int(div.sum()),
        draws=draws,
        chains=chains,
        max_rhat=r[rname],
        min_ess_bulk=eb[ename],
        min_ess_tail=min(et.values()),
        worst_rhat_param=rname,
        worst_ess_param=ename,
        divergence_level=level,
        stuck_chains=stuck,
        stuck_param=_farthest(post, stuck[0]) if stuck else "",
        step_sizes=tuple(step) if np.isfinite(step).all() else (),
        maxdepth_share=tuple(share),
    )


def warn_if_unhealthy(diag: Diagnostics) -> None:
    """Issue the warnings a fit deserves, each attributed to the caller's line.

    Examples
    --------
    >>> import warnings
    >>> from pandas_hier.diagnostics import Diagnostics, warn_if_unhealthy
    >>> stuck = Diagnostics(0, 1000, 2, 1.5, 7.0, 4.0, "sd_county", "sd_county", None,
    ...                     stuck_chains=(1,), step_sizes=(0.4, 3e-12), maxdepth_share=(0, 1))
    >>> with warnings.catch_warnings(record=True) as seen:
    ...     warnings.simplefilter("always")
    ...     warn_if_unhealthy(stuck)
    >>> [w.category.__name__ for w in seen]
    ['StuckChainWarning', 'ConvergenceWarning']
    """
    if diag.stuck_chains:
        which = ", ".join(str(c) for c in diag.stuck_chains)
        detail = ""
        if diag.step_sizes:
            c = diag.stuck_chains[0]
            detail = (
                f": its step size is {diag.step_sizes[c]:.2g} (median of the chains "
                f"{np.median(diag.step_sizes):.2g}) and {100 * diag.maxdepth_share[c]:.0f}% of "
                "its draws hit the maximum tree depth"
            )
        where = f"; it sits at {diag.stuck_param}" if diag.stuck_param else ""
        warn(
            f"chain {which} of {diag.chains} is stuck{detail}{where}. Its draws are part of the "
            "fit, so summaries mix in a chain that did not explore. Fit again with another "
            "random_seed; if chains keep getting stuck, the posterior has a region the sampler "
            "cannot adapt to: please report it with the data shape and options.",
            StuckChainWarning,
        )
    if diag.maxdepth_share and np.median(diag.maxdepth_share) > MAXDEPTH_SHARE:
        warn(
            f"the chains hit the maximum tree depth ({2**MAX_TREE_DEPTH - 1} gradient steps) in "
            f"{100 * np.median(diag.maxdepth_share):.0f}% of draws (median over chains): the "
            "posterior is badly scaled for NUTS, so sampling is slow and may not have explored "
            "it. The default parameterization='auto' avoids this for a Gaussian likelihood; "
            "otherwise try 'centered' where groups have many rows.",
            TreeDepthWarning,
        )
    if diag.divergences:
        where = f", concentrated at level {diag.divergence_level!r}" if diag.divergence_level else ""
        warn(
            f"{diag.divergences} of {diag.draws * diag.chains} post-warm-up transitions diverged"
            f"{where}. Try target_accept=0.95 or 0.99; if the level has few groups, a tighter "
            f"prior on its sd (priors={{'sd_<level>': Prior('HalfNormal', sigma=0.5)}}); for a "
            "non-Gaussian likelihood, parameterization='noncentered' (few rows per group) or "
            "'centered' (many).",
            DivergenceWarning,
        )
    floor = ESS_PER_CHAIN * diag.chains
    if diag.max_rhat > RHAT_MAX or min(diag.min_ess_bulk, diag.min_ess_tail) < floor:
        warn(
            f"chains may not have converged: max r_hat {diag.max_rhat:.3f} "
            f"({diag.worst_rhat_param}), min bulk ESS {diag.min_ess_bulk:.0f} "
            f"({diag.worst_ess_param}), min tail ESS {diag.min_ess_tail:.0f} (want r_hat <= "
            f"{RHAT_MAX} and ESS >= {floor}). Draw more (draws=, tune=) or reparameterize.",
            ConvergenceWarning,
        )
