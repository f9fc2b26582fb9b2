"""validate -> encode -> build -> sample; returns an immutable, labelled :class:`HierFit`.

PyMC, PyTensor, nutpie and ArviZ are imported inside the functions that need them, so
``import pandas_hier`` stays light.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Hashable, Sequence
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pandas_hier.backend.sample import approximate, check_sampler, sample
from pandas_hier.design import prepare
from pandas_hier.diagnostics import diagnose, no_diagnostics, warn_if_unhealthy
from pandas_hier.errors import SamplerNotInstalledError
from pandas_hier.options import METHODS, FitOptions

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = ["HierFit", "build", "fit"]


#: Sampling settings: (smallest, largest) accepted value. NUTS needs warm-up to adapt its step
#: size and mass matrix: with tune=0 nutpie cannot start (it panicked), and a few dozen
#: iterations are the least that adapts at all.
_COUNTS = {"draws": (1, 1_000_000), "tune": (50, 1_000_000), "chains": (1, 64)}


def _is_int(value) -> bool:
    return isinstance(value, (int, np.integer)) and not isinstance(value, (bool, np.bool_))


def _check_settings(method: str, *, random_seed, progressbar, dropna, **counts) -> None:
    """Sampling settings are checked before any work; a bool is not a count."""
    for name, value in counts.items():
        lo, hi = _COUNTS[name]
        if name in ("tune", "chains") and method != "nuts":
            continue  # approximations do not warm up and run one "chain"
        if not _is_int(value):
            raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
        if not lo <= value <= hi:
            why = (
                "; NUTS needs warm-up iterations to adapt its step size (default 1000)"
                if name == "tune" else ""
            )
            raise ValueError(f"{name}={value!r} is out of range: choose {lo} <= {name} <= {hi:,}{why}")
    if random_seed is not None and not (_is_int(random_seed) and random_seed >= 0):
        raise ValueError(f"random_seed must be None or a non-negative integer, got {random_seed!r}")
    for name, value in (("progressbar", progressbar), ("dropna", dropna)):
        if not isinstance(value, (bool, np.bool_)):
            raise TypeError(f"{name} must be True or False, got {value!r} ({type(value).__name__})")


def _check_method(method: str, iterations) -> None:
    if method not in METHODS:
        raise ValueError(f"method={method!r} is not one of {', '.join(map(repr, METHODS))}")
    if not _is_int(iterations) or iterations < 1:
        raise ValueError(f"iterations must be a positive integer, got {iterations!r}")
    if method == "pathfinder" and importlib.util.find_spec("pymc_extras") is None:
        raise SamplerNotInstalledError(
            "method='pathfinder' needs the package 'pymc-extras', which is not installed; "
            'install it with: pip install "pandas-hier[pathfinder]" (or use method=\'advi\')'
        )


def build(
    df: pd.DataFrame,
    x: Hashable | Sequence[Hashable],
    y: Hashable,
    *,
    levels: Sequence[Hashable] | None = None,
    dropna: bool = False,
    **options: Any,
):
    """Validate, encode and build the PyMC model that :func:`fit` would sample, without sampling.

    For inspecting the model (``pm.model_to_graphviz(build(...).model)``) or extending it.
    Arguments as in :func:`fit`.

    Returns
    -------
    pandas_hier.backend.model.BuiltModel
        ``.model`` is the ``pymc.Model``; ``.parameterization`` the per-level choice.

    Examples
    --------
    >>> import pandas_hier
    >>> from pandas_hier.fitting import build
    >>> df = pandas_hier.datasets.load_salary()
    >>> built = build(df, "month", "salary", levels=["degree", "state", "county"])
    >>> built.parameterization
    ('marginal', 'marginal', 'marginal')
    >>> sorted(rv.name for rv in built.model.free_RVs)
    ['sd_county', 'sd_degree', 'sd_state', 'sigma']
    """
    from pandas_hier.backend.model import build_model

    design = prepare(df, x, y, levels=levels, dropna=dropna, options=FitOptions(**options))
    return build_model(design.data, design.options, design.varying, design.parameterization)


def fit(
    df: pd.DataFrame,
    x: Hashable | Sequence[Hashable],
    y: Hashable,
    *,
    levels: Sequence[Hashable] | None = None,
    draws: int = 1000,
    tune: int = 1000,
    chains: int = 4,
    sampler: str = "nutpie",
    method: str = "nuts",
    iterations: int = 10_000,
    random_seed: int | None = None,
    progressbar: bool = True,
    dropna: bool = False,
    **options: Any,
) -> HierFit:
    """Fit the nested hierarchical linear model and return an immutable :class:`HierFit`.

    Intercept and slopes vary at every level of the hierarchy; each level's coefficients are
    centred on their parent's, with a global coefficient vector on top and one sd per level and
    coefficient. ``x`` and ``y`` are standardised internally; every reported number is on the
    original scale.

    Parameters
    ----------
    df : pandas.DataFrame
        Raw or encoded frame; never modified.
    x : hashable or sequence of hashable
        Predictor column(s).
    y : hashable
        Response column.
    levels : sequence of hashable, optional
        Hierarchy levels, top first; defaults to the levels recorded by ``encode``. The frame is
        (re-)encoded from its labels, so stale code columns do no harm.
    draws, tune, chains : int
        Posterior draws and warm-up iterations per chain, and the number of chains.
    sampler : {"nutpie", "pymc", "numpyro", "blackjax"}
        NUTS implementation. A missing package is an error naming the extra to install.
    method : {"nuts", "advi", "pathfinder"}, default "nuts"
        ``"nuts"`` samples with ``sampler``. ``"advi"`` (mean-field ADVI, ``iterations``
        steps) and ``"pathfinder"`` (needs ``pymc-extras``) approximate the posterior for a
        quick look: ``draws`` draws in one "chain", every coefficient still drawn exactly given
        the approximate sds in a marginal model, and no convergence diagnostics
        (``diagnostics`` holds NaN and ``diagnostics.ok`` is False). ``sampler``, ``tune`` and
        ``chains`` do not apply.
    iterations : int, default 10000
        Optimisation steps of ``method="advi"``.
    random_seed : int, optional
        Makes sampling and the exact coefficient draws reproducible.
    progressbar : bool, default True
        Show the sampler's own progress bar.
    dropna : bool, default False
        Rows with missing level, predictor or response values are an error; with
        ``dropna=True`` they are dropped with a :class:`~pandas_hier.DroppedRowsWarning`.
    **options
        Model options (see :class:`~pandas_hier.options.FitOptions`):

        ``parameterization`` : {"auto", "marginal", "centered", "noncentered"}
            ``auto`` (default) integrates all coefficients out analytically for a Gaussian
            likelihood ("marginal": NUTS samples only the sds, coefficients are then drawn
            exactly), and otherwise picks per level: centred where every group has at least
            100 rows, non-centred elsewhere.
        ``sd_per`` : {"level", "parent"}
            One sd per level and coefficient, or one per parent group (the blog's choice).
        ``likelihood`` : {"normal", "studentt", "cauchy"}, and ``nu`` for Student-t
            (estimated with a Gamma(2, 0.1) prior when not given).
        ``priors`` : dict of str -> :class:`~pandas_hier.Prior`
            Keys ``intercept``, ``slope`` (global coefficients), ``sd`` (group sds; ``sd_<level>``
            for one level), ``sigma`` (noise sd), ``nu``, ``corr`` (LKJ ``eta``). Defaults are
            weakly informative on the standardised scale; user priors apply to the model's
            scale (standardised unless ``standardize=False``).
        ``varying`` : dict of level -> list of coefficient names
            Which coefficients vary at a level (``"intercept"`` or predictor names); levels not
            named vary in all coefficients.
        ``correlated`` : bool
            LKJ-correlated varying coefficients within a level.
        ``standardize`` : bool, default True
            Work on the original scale when False (needed to reproduce a model with priors on
            the original scale, such as the blog's).
        ``target_accept`` : float, default 0.9

    Returns
    -------
    HierFit

    Raises
    ------
    HierValidationError
        Every data problem at once: absent columns, missing values, non-numeric or infinite
        predictors or response.
    SamplerNotInstalledError
        The sampler's package is missing.

    Warns
    -----
    DivergenceWarning, ConvergenceWarning
        After sampling, with where the trouble concentrates and what to try.

    Examples
    --------
    >>> import pandas_hier
    >>> df = pandas_hier.datasets.load_salary()
    >>> fit = df.hier.fit("month", "salary", levels=["degree", "state", "county"],
    ...                   draws=200, tune=200, chains=2, random_seed=1,
    ...                   progressbar=False)  # doctest: +SKIP
    >>> fit.coef("county").head()  # doctest: +SKIP
    """
    started = time.perf_counter()
    check_sampler(sampler)
    _check_method(method, iterations)
    _check_settings(method, draws=draws, tune=tune, chains=chains, random_seed=random_seed,
                    progressbar=progressbar, dropna=dropna)  # fmt: skip
    impl = "graph" if method == "nuts" and sampler in ("numpyro", "blackjax") else "op"
    design = prepare(df, x, y, levels=levels, dropna=dropna, options=FitOptions(**options))
    from pandas_hier.backend.model import build_model

    built = build_model(design.data, design.options, design.varying, design.parameterization, impl)
    data, opts, hier, tabs = design.data, design.options, design.hierarchy, design.tables
    scaling, extra_coords, param, xs = design.scaling, design.extra_coords, built.parameterization, design.x
    prepared = time.perf_counter()

    rng = np.random.default_rng(random_seed)
    seed = int(rng.integers(2**31 - 1))
    if method == "nuts":
        compile_s, trace = sample(
            built, sampler, draws=draws, tune=tune, chains=chains, seed=seed,
            progressbar=progressbar, target_accept=opts.target_accept,
        )  # fmt: skip
    else:
        compile_s, trace = None, approximate(
            built, method, draws=draws, iterations=iterations, seed=seed, progressbar=progressbar
        )
        sampler = method
    sampled = time.perf_counter()
    idata = _assemble(trace, data, built, scaling, extra_coords, rng)
    if method == "nuts":
        diag = diagnose(idata, data.levels)
        warn_if_unhealthy(diag)
    else:
        diag = no_diagnostics(trace)
    return HierFit(
        idata=idata,
        hierarchy=hier,
        x=tuple(xs),
        y=y,
        options=opts,
        tables=tabs,
        scaling=scaling,
        diagnostics=diag,
        parameterization=dict(zip(hier.levels, param, strict=True)),
        sampler=sampler,
        training=design.training,
        timings={
            "prepare_s": prepared - started,
            "compile_s": compile_s if compile_s is not None else float("nan"),
            "sample_s": sampled - prepared - (compile_s or 0.0),
            "postprocess_s": time.perf_counter() - sampled,
        },
        n_rows=design.n_rows,
    )


def _draws(ds: xr.Dataset, name: str) -> np.ndarray:
    da = ds[name]
    return da.to_numpy().reshape((da.shape[0] * da.shape[1], *da.shape[2:]))  # shape[2:] may hold 0


def _assemble(trace, data, built, scaling, extra_coords, rng):
    import xarray as xr

    post = trace["posterior"].to_dataset()
    # A reused compiled model carries the coords of the fit it was compiled for: relabel.
    post = post.assign_coords({k: v for k, v in data.coords.items() if k in post.dims})
    chains, draws = post.sizes["chain"], post.sizes["draw"]
    S = chains * draws
    levels = data.levels
    marginal = all(p == "marginal" for p in built.parameterization)
    sigma = _draws(post, "sigma")
    if marginal:
        scales = []
        for lv in levels:
            if f"chol_{lv}" in post:
                scales.append(("chol", _draws(post, f"chol_{lv}")))
            elif f"sd_{lv}" in post:
                arr = _draws(post, f"sd_{lv}")
                scales.append(("parent" if arr.ndim == 3 else "level", arr))
            else:
                scales.append(("level", np.zeros((S, 0))))
        from pandas_hier.backend.model import draw_coefficients

        thetas = draw_coefficients(data, built, sigma, scales, rng)
    else:
        thetas = [_draws(post, "b_global")] + [_draws(post, f"b_{lv}") for lv in levels]

    t0, M = scaling.coef_map()
    sdf = scaling.sd_factor()
    shape = (chains, draws)
    out: dict = {}
    out["b_global"] = (("chain", "draw", "coef"), (thetas[0] @ M.T + t0).reshape(*shape, -1))
    for depth, lv in enumerate(levels):
        out[f"b_{lv}"] = (
            ("chain", "draw", lv, "coef"),
            (thetas[depth + 1] @ M.T + t0).reshape(*shape, data.sizes[depth], -1),
        )
    pooling = {}
    for depth, lv in enumerate(levels):
        v = np.flatnonzero(built.varying[depth])
        dim = f"coef_{lv}"
        if f"sd_{lv}" in post:
            sd = post[f"sd_{lv}"].to_numpy() * sdf[v]
            dims = ("chain", "draw", *post[f"sd_{lv}"].dims[2:])
            out[f"sd_{lv}"] = (dims, sd)
        if f"corr_{lv}" in post:
            out[f"corr_{lv}"] = (("chain", "draw", dim, f"{dim}_"), post[f"corr_{lv}"].to_numpy())
        # pooling factor per group and varying coefficient: posterior variance of the group's
        # offset from its parent over the prior variance (1 = fully pooled, 0 = not at all)
        parent = thetas[depth][:, data.parents[depth]] if depth else thetas[0][:, None, :]
        offset = thetas[depth + 1][..., v] - parent[..., v]
        if f"sd_{lv}" in post:
            tau = _draws(post, f"sd_{lv}")
            tau2 = (tau**2).mean(0)
            tau2 = tau2[data.parents[depth]] if tau2.ndim == 2 else tau2[None, :]
            pooling[lv] = np.clip(offset.var(0) / np.maximum(tau2, 1e-300), 0.0, 1.0)
        else:
            pooling[lv] = np.ones((data.sizes[depth], 0))
    out["sigma"] = (("chain", "draw"), post["sigma"].to_numpy() * scaling.y_sd)
    if "nu" in post:
        out["nu"] = (("chain", "draw"), post["nu"].to_numpy())

    coords = {
        "chain": post["chain"].to_numpy(),
        "draw": post["draw"].to_numpy(),
        "coef": list(data.coefs),
        **{lv: np.asarray(data.coords[lv]) for lv in levels},
        **{f"coef_{lv}": [data.coefs[i] for i in np.flatnonzero(built.varying[d])] for d, lv in enumerate(levels)},
        **{f"coef_{lv}_": [data.coefs[i] for i in np.flatnonzero(built.varying[d])] for d, lv in enumerate(levels)},
    }
    used = {dim for dims, _ in out.values() for dim in dims}
    posterior = xr.Dataset(out, coords={k: v for k, v in coords.items() if k in used})
    posterior = posterior.assign_coords({k: v for k, v in extra_coords.items()})
    posterior.attrs = {"created_by": "pandas-hier", "scale": "original"}
    pooling_ds = xr.Dataset(
        {f"pooling_{lv}": ((lv, f"coef_{lv}"), pooling[lv]) for lv in levels},
        coords={k: v for k, v in coords.items() if k in levels or k in {f"coef_{lv}" for lv in levels}},
    )
    groups = {"posterior": posterior, "model_scale": post, "pooling": pooling_ds}
    if "sample_stats" in trace.children:
        groups["sample_stats"] = trace["sample_stats"].to_dataset()
    tree = xr.DataTree.from_dict(groups)
    for node in tree.subtree:
        for var in node.dataset.data_vars.values():
            var.values.flags.writeable = False
    return tree


def _hdi(da, prob: float):
    import arviz as az

    h = az.hdi(da.to_dataset(name="v"), prob=prob)["v"]
    return h.sel(ci_bound="lower"), h.sel(ci_bound="upper")


class HierFit:
    """The result of :func:`fit`: immutable, labelled, opens in ArviZ.

    Attributes
    ----------
    idata : xarray.DataTree
        ArviZ 1 data: ``posterior`` on the original scale (``b_global`` (coef), ``b_<level>``
        (level, coef) with TOTAL coefficients per group, ``sd_<level>``, ``sigma``, ...),
        ``model_scale`` (the sampled parameters on the model's scale) and ``sample_stats``.
        Level dims are labelled by the group's path (``"degree / Ohio / Clay"``) and carry
        ``<level>_parent``, ``<level>_label`` and ``<level>_<ancestor>`` coordinates. Arrays are
        read-only; each access returns a fresh shallow copy.
    hierarchy : Hierarchy
    x : tuple
        Predictor names.
    y : hashable
        Response name.
    options : FitOptions
    scaling : Scaling
    diagnostics : Diagnostics
    parameterization : mapping of level -> str
    sampler : str
        What produced the draws: the NUTS sampler's name, or ``"advi"`` / ``"pathfinder"``.
    timings : mapping of str -> float
        Seconds spent preparing (validation, encoding, model build), compiling (nutpie; NaN
        for samplers that compile inside sampling), sampling and post-processing.
    n_rows : int

    Examples
    --------
    >>> import pandas_hier
    >>> fit = pandas_hier.datasets.load_salary().hier.fit(
    ...     "month", "salary", levels=["degree", "state", "county"], draws=100, tune=100,
    ...     chains=1, progressbar=False, random_seed=0)  # doctest: +SKIP
    >>> fit.summary().columns.tolist()[:4]  # doctest: +SKIP
    ['parameter', 'level', 'group', 'coef']
    """

    __slots__ = (
        "_idata", "hierarchy", "x", "y", "options", "_tables", "scaling", "diagnostics",
        "parameterization", "sampler", "_training", "timings", "n_rows",
    )  # fmt: skip

    def __init__(self, *, idata, hierarchy, x, y, options, tables, scaling, diagnostics,
                 parameterization, sampler, training, timings, n_rows) -> None:  # fmt: skip
        values = {
            "_idata": idata, "hierarchy": hierarchy, "x": x, "y": y, "options": options,
            "_tables": MappingProxyType(dict(tables)), "scaling": scaling,
            "diagnostics": diagnostics,
            "parameterization": MappingProxyType(dict(parameterization)),
            "sampler": sampler, "_training": training,
            "timings": MappingProxyType(dict(timings)), "n_rows": n_rows,
        }  # fmt: skip
        for k, v in values.items():
            object.__setattr__(self, k, v)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"HierFit is immutable; cannot set {name!r}")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"HierFit is immutable; cannot delete {name!r}")

    @property
    def idata(self):
        """The ArviZ DataTree (a fresh shallow copy; arrays are read-only)."""
        return self._idata.copy(deep=False)

    @property
    def tables(self) -> dict:
        """Lookup tables of the training data, as returned by :func:`pandas_hier.tables` (copies)."""
        return {k: v.copy() for k, v in self._tables.items()}

    @property
    def levels(self) -> tuple:
        """Hierarchy levels, top first."""
        return self.hierarchy.levels

    def __repr__(self) -> str:
        d = self.diagnostics
        levels = " > ".join(f"{lv} ({len(self._tables[lv])})" for lv in self.levels)
        stuck = f", stuck chains {list(d.stuck_chains)}" if d.stuck_chains else ""
        status = "ok" if d.ok else "see the warnings"
        return (
            f"<HierFit {self.y} ~ {' + '.join(map(str, self.x))} | {levels}; {self.n_rows} rows\n"
            f" {d.chains} chains x {d.draws} draws ({self.sampler}): {d.divergences} divergences"
            f"{stuck}, max r_hat {d.max_rhat:.3f}, min bulk ESS {d.min_ess_bulk:,.0f}; {status}>"
        )

    def _level(self, level: Hashable | None) -> Hashable:
        if level is None:
            return self.levels[-1]
        if level not in self.levels:
            raise KeyError(f"unknown level {level!r}; the levels are {list(self.levels)!r}")
        return level

    def summary(self, hdi_prob: float = 0.94) -> pd.DataFrame:
        """Tidy posterior summary, one row per scalar parameter, on the original scale.

        Parameters
        ----------
        hdi_prob : float, default 0.94
            Probability mass of the highest-density interval.

        Returns
        -------
        pandas.DataFrame
            Columns ``parameter``, ``level`` (``"global"``, a level name, or missing for
            ``sigma``/``nu``), ``group`` (the path label), ``coef``, ``mean``, ``sd``,
            ``hdi_low``, ``hdi_high``, ``ess_bulk``, ``ess_tail``, ``r_hat``.

        Examples
        --------
        >>> fit.summary().query("parameter == 'b_global'")  # doctest: +SKIP
        """
        import arviz as az

        post = self._idata["posterior"].to_dataset()
        levels = [str(lv) for lv in self.levels]
        order = ["b_global", *[f"b_{lv}" for lv in levels], *[f"sd_{lv}" for lv in levels],
                 *[f"corr_{lv}" for lv in levels], "sigma", "nu"]  # fmt: skip
        frames = []
        for name in [n for n in order if n in post.data_vars]:
            da = post[name]
            lo, hi = _hdi(da, hdi_prob)
            ds = da.to_dataset(name="v")
            stats = {
                "mean": da.mean(("chain", "draw")),
                "sd": da.std(("chain", "draw"), ddof=1),
                "hdi_low": lo,
                "hdi_high": hi,
                "ess_bulk": az.ess(ds, method="bulk")["v"],
                "ess_tail": az.ess(ds, method="tail")["v"],
                "r_hat": az.rhat(ds)["v"],
            }
            frame = pd.DataFrame({k: np.ravel(v.to_numpy()) for k, v in stats.items()})
            dims = [dm for dm in da.dims if dm not in ("chain", "draw")]
            grid = np.meshgrid(*[post[dm].to_numpy() for dm in dims], indexing="ij") if dims else []
            level = None
            frame.insert(0, "parameter", name)
            group = coef = None
            for dm, g in zip(dims, grid, strict=True):
                if dm in map(str, self.levels):
                    level, group = dm, np.ravel(g)
                elif dm.startswith("coef") and coef is None:
                    coef = np.ravel(g)
                elif dm.startswith("coef"):
                    coef = np.char.add(np.char.add(np.asarray(coef, str), ":"), np.ravel(g).astype(str))
            if name == "b_global":
                level = "global"
            elif name.startswith(("sd_", "corr_")):
                level = name.split("_", 1)[1]
            frame.insert(1, "level", level)
            frame.insert(2, "group", group)
            frame.insert(3, "coef", coef)
            frames.append(frame)
        return pd.concat(frames, ignore_index=True)

    def coef(self, level: Hashable | None = None, hdi_prob: float = 0.94) -> pd.DataFrame:
        """Per-group TOTAL coefficients on the original scale, one row per group.

        Parameters
        ----------
        level : hashable, optional
            A level name; default the lowest level.
        hdi_prob : float, default 0.94

        Returns
        -------
        pandas.DataFrame
            Indexed by the level's code (as in ``tables``): the labels of the group's path,
            for each coefficient its posterior mean and HDI (``<coef>``, ``<coef>_hdi_low``,
            ``<coef>_hdi_high``), ``n_rows``, and per varying coefficient the pooling factor
            ``pooling_<coef>`` (posterior variance of the group's offset over the prior
            variance: 1 = fully pooled to the parent, 0 = not pooled).

        Examples
        --------
        >>> fit.coef("county")[["county", "intercept", "month"]].head()  # doctest: +SKIP
        """
        level = self._level(level)
        depth = self.levels.index(level)
        table = self._tables[level]
        da = self._idata["posterior"][f"b_{level}"]
        mean = da.mean(("chain", "draw")).to_numpy()
        lo, hi = (b.to_numpy() for b in _hdi(da, hdi_prob))
        out = table[list(self.levels[: depth + 1])].copy()
        for i, name in enumerate(("intercept", *map(str, self.x))):
            out[name] = mean[:, i]
            out[f"{name}_hdi_low"] = lo[:, i]
            out[f"{name}_hdi_high"] = hi[:, i]
        out["n_rows"] = table["n_rows"].to_numpy()
        pooling = self._idata["pooling"][f"pooling_{level}"].to_numpy()
        varying = self._idata["posterior"][f"coef_{level}"].to_numpy().tolist()
        for i, name in enumerate(varying):
            out[f"pooling_{name}"] = pooling[:, i]
        return out

    def plot_forest(self, level: Hashable | None = None, coef: str = "intercept", **kwargs):
        """Forest plot of one coefficient per group; see :func:`pandas_hier.plots.forest`.

        Examples
        --------
        >>> fit.plot_forest("county", "month").figure.savefig("slopes.png")  # doctest: +SKIP
        """
        from pandas_hier.plots import forest

        return forest(self, level, coef, **kwargs)

    # ------------------------------------------------------------------ prediction and checks

    @property
    def schema(self):
        """pandera schema that new data must satisfy for :meth:`predict`.

        Examples
        --------
        >>> fit.schema.validate(new_df, lazy=True)  # doctest: +SKIP
        """
        from pandas_hier.predict import prediction_schema

        return prediction_schema(self)

    def encode(self, new_df: pd.DataFrame) -> pd.DataFrame:
        """Apply the fit's own codes to new data; returns a new frame.

        Known groups get their training code; unseen groups ``-1``
        (:data:`pandas_hier.predict.UNSEEN`) and missing level values ``-2``
        (:data:`pandas_hier.predict.MISSING`). Nothing else changes.

        Examples
        --------
        >>> fit.encode(new_df)[["county", "county_idx"]]  # doctest: +SKIP
        """
        from pandas_hier.predict import encode_new

        return encode_new(self, new_df)

    def predict(
        self,
        new_df: pd.DataFrame,
        *,
        kind: str = "mean",
        hdi_prob: float = 0.94,
        unseen: str = "sample",
        missing: str = "error",
        random_seed: int | None = None,
    ):
        """Predict for new rows, including rows of groups not seen in training.

        Parameters
        ----------
        new_df : pandas.DataFrame
            Needs the level columns and the predictors (validated lazily: every problem is
            reported at once). Not modified.
        kind : {"mean", "posterior_predictive", "draws"}
            ``"mean"``: the expected value's posterior mean and HDI; ``"posterior_predictive"``:
            a new observation's (noise included); ``"draws"``: an ``xarray.Dataset`` with the
            draws ``mu`` and ``y_rep`` (chain, draw, obs).
        hdi_prob : float, default 0.94
        unseen : {"sample", "parent", "error"}
            A group not seen in training walks up the tree to its deepest known ancestor.
            ``"sample"`` then draws a new offset for each unseen level from that level's sd,
            per posterior draw and per new group; ``"parent"`` uses the ancestor's
            coefficients; ``"error"`` raises, listing the unseen paths.
        missing : {"error", "parent", "global"}
            A missing level value is an error, or the row uses the coefficients above the
            missing level (``"parent"``) or the global ones (``"global"``).
        random_seed : int, optional
            Makes sampled predictions reproducible.

        Returns
        -------
        pandas.DataFrame or xarray.Dataset
            Aligned to ``new_df.index``: ``mean``, ``hdi_low``, ``hdi_high``, ``level`` (the
            deepest known level the coefficients came from, or ``"global"``) and ``sampled``
            (new offsets were drawn below that level).

        Examples
        --------
        >>> new = pd.DataFrame({"degree": ["degree"], "state": ["Ohio"], "county": ["Nowhere"],
        ...                     "month": [24]})  # doctest: +SKIP
        >>> fit.predict(new, random_seed=0)  # doctest: +SKIP
        """
        from pandas_hier.predict import predict

        return predict(
            self, new_df, kind=kind, hdi_prob=hdi_prob, unseen=unseen, missing=missing,
            random_seed=random_seed,
        )  # fmt: skip

    def _observed(self, data: pd.DataFrame | None):
        if data is None:
            if self._training is None:
                raise ValueError(
                    "this fit was loaded from a file, which holds no training rows; pass the "
                    "training data as data="
                )
            return self._training.x, self._training.y, self._training.leaf, None
        enc = self.encode(data)
        leaf = enc[self.hierarchy.code_columns[-1]].to_numpy()
        if (leaf < 0).any():
            raise ValueError(
                f"{int((leaf < 0).sum())} rows of data= belong to groups not seen in training or "
                "have missing level values; posterior predictive checks need training groups"
            )
        x = data[list(self.x)].to_numpy(np.float64)
        return x, data[self.y].to_numpy(np.float64), leaf, np.asarray(data.index)

    def _pointwise(self, data):
        x, y, leaf, index = self._observed(data)
        post = self._idata["posterior"]
        c, dr = post.sizes["chain"], post.sizes["draw"]
        b = post[f"b_{self.levels[-1]}"].to_numpy().reshape(c * dr, -1, 1 + len(self.x))
        X = np.column_stack([np.ones(len(y)), x])
        mu = np.einsum("snd,nd->sn", b[:, leaf, :], X)
        sigma = post["sigma"].to_numpy().reshape(-1, 1)
        return mu, sigma, y, (c, dr), index

    def posterior_predictive(
        self, data: pd.DataFrame | None = None, random_seed: int | None = None
    ) -> HierFit:
        """A new fit whose DataTree also has ``posterior_predictive`` and ``observed_data``.

        Parameters
        ----------
        data : pandas.DataFrame, optional
            Rows to replicate; default the training data (needed after :func:`load`).
        random_seed : int, optional

        Returns
        -------
        HierFit

        Examples
        --------
        >>> checked = fit.posterior_predictive(random_seed=0)  # doctest: +SKIP
        >>> az.plot_ppc_dist(checked.idata)  # doctest: +SKIP
        """
        import xarray as xr
        from scipy import stats

        mu, sigma, y, (c, dr), index = self._pointwise(data)
        rng = np.random.default_rng(random_seed)
        lik = self.options.likelihood
        if lik == "normal":
            eps = rng.standard_normal(mu.shape)
        elif lik == "cauchy":
            eps = rng.standard_cauchy(mu.shape)
        else:
            nu = self._nu(mu.shape[0])
            eps = stats.t.rvs(nu[:, None], size=mu.shape, random_state=rng)
        y_rep = (mu + sigma * eps).reshape(c, dr, -1)
        obs = np.arange(len(y)) if index is None else index
        name = str(self.y)
        tree = self._idata.copy(deep=False)
        tree["posterior_predictive"] = xr.DataTree(
            xr.Dataset({name: (("chain", "draw", "obs"), y_rep)},
                       coords={"chain": np.arange(c), "draw": np.arange(dr), "obs": obs})  # fmt: skip
        )
        tree["observed_data"] = xr.DataTree(xr.Dataset({name: (("obs",), y)}, coords={"obs": obs}))
        return self._with_tree(tree)

    def _nu(self, n_draws: int) -> np.ndarray:
        post = self._idata["posterior"]
        if "nu" in post:
            return post["nu"].to_numpy().reshape(-1)
        return np.full(n_draws, self.options.nu)

    def log_likelihood(self, data: pd.DataFrame | None = None):
        """Pointwise log-likelihood ``(chain, draw, obs)`` of the training data (or ``data``).

        Examples
        --------
        >>> fit.log_likelihood().shape  # doctest: +SKIP
        """
        import xarray as xr
        from scipy import stats

        mu, sigma, y, (c, dr), index = self._pointwise(data)
        lik = self.options.likelihood
        if lik == "normal":
            ll = stats.norm.logpdf(y[None, :], mu, sigma)
        elif lik == "cauchy":
            ll = stats.cauchy.logpdf(y[None, :], mu, sigma)
        else:
            ll = stats.t.logpdf(y[None, :], self._nu(mu.shape[0])[:, None], mu, sigma)
        obs = np.arange(len(y)) if index is None else index
        return xr.DataArray(ll.reshape(c, dr, -1), dims=("chain", "draw", "obs"),
                            coords={"obs": obs}, name=str(self.y))  # fmt: skip

    def loo(self, data: pd.DataFrame | None = None):
        """PSIS-LOO cross-validation (ArviZ) from the pointwise log-likelihood.

        Parameters
        ----------
        data : pandas.DataFrame, optional
            The training data; needed only after :func:`load`.

        Returns
        -------
        arviz ELPDData
            ``elpd``, its standard error, ``p``, and Pareto k per row.

        Examples
        --------
        >>> fit.loo()  # doctest: +SKIP
        """
        import arviz as az
        import xarray as xr

        tree = self._idata.copy(deep=False)
        tree["log_likelihood"] = xr.DataTree(self.log_likelihood(data).to_dataset())
        return az.loo(tree)

    def _with_tree(self, tree) -> HierFit:
        values = {k: getattr(self, k) for k in self.__slots__}
        values["_idata"] = tree
        new = object.__new__(HierFit)
        for k, v in values.items():
            object.__setattr__(new, k, v)
        return new

    def save(self, path) -> Path:
        """Save to one self-contained file; see :func:`pandas_hier.io.save`.

        Examples
        --------
        >>> fit.save("salary.hier")  # doctest: +SKIP
        """
        from pandas_hier.io import save

        return save(self, path)

    def variance_components(self, hdi_prob: float = 0.94) -> pd.DataFrame:
        """Standard deviation of the group offsets per level and coefficient (original scale).

        The intercept's sd refers to intercepts at the predictors' means (the model centres the
        predictors). With ``sd_per="parent"`` there is one row per parent group.

        Parameters
        ----------
        hdi_prob : float, default 0.94

        Returns
        -------
        pandas.DataFrame
            Columns ``level``, ``parent`` (parent group path, or missing), ``coef``, ``mean``,
            ``sd``, ``hdi_low``, ``hdi_high``; last row the residual sd (``level="residual"``).

        Examples
        --------
        >>> fit.variance_components()  # doctest: +SKIP
        """
        rows = self.summary(hdi_prob)
        keep = rows["parameter"].str.startswith("sd_") | (rows["parameter"] == "sigma")
        out = rows.loc[keep, ["level", "group", "coef", "mean", "sd", "hdi_low", "hdi_high"]]
        out = out.rename(columns={"group": "parent"}).reset_index(drop=True)
        out.loc[out["level"].isna(), ["level", "coef"]] = ["residual", "sigma"]
        return out
