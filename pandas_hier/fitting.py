"""validate -> encode -> build -> sample; returns an immutable, labelled :class:`HierFit`.

PyMC, PyTensor, nutpie and ArviZ are imported inside the functions that need them, so
``import pandas_hier`` stays light.
"""

from __future__ import annotations

import importlib.util
import time
import warnings
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from pandas_hier import encoding, schema
from pandas_hier.diagnostics import Diagnostics, diagnose, no_diagnostics, warn_if_unhealthy
from pandas_hier.errors import SamplerNotInstalledError
from pandas_hier.options import METHODS, SAMPLERS, FitOptions

if TYPE_CHECKING:  # pragma: no cover
    import xarray as xr

__all__ = ["Diagnostics", "HierFit", "Scaling", "build", "fit"]

PATH_SEP = " / "


@dataclass(frozen=True)
class Scaling:
    """Standardisation constants: the model works on ``(x - x_mean) / x_sd``, ``(y - y_mean) / y_sd``.

    With ``standardize=False`` the means are 0 and the sds 1.

    Examples
    --------
    >>> from pandas_hier.fitting import Scaling
    >>> t0, M = Scaling((10.0,), (2.0,), 100.0, 5.0).coef_map()
    >>> (t0 + M @ [0.0, 1.0]).tolist()  # slope 1 sd(y) per sd(x), intercept at x = 0
    [75.0, 2.5]
    """

    x_mean: tuple[float, ...]
    x_sd: tuple[float, ...]
    y_mean: float
    y_sd: float

    def coef_map(self) -> tuple[np.ndarray, np.ndarray]:
        """``(t0, M)`` with ``theta_original = t0 + M @ theta_model`` for a coefficient vector."""
        m, s = np.asarray(self.x_mean), np.asarray(self.x_sd)
        d = 1 + m.size
        M = np.zeros((d, d))
        M[0, 0] = self.y_sd
        M[0, 1:] = -self.y_sd * m / s
        M[np.arange(1, d), np.arange(1, d)] = self.y_sd / s
        t0 = np.zeros(d)
        t0[0] = self.y_mean
        return t0, M

    def sd_factor(self) -> np.ndarray:
        """Per coefficient, the factor turning a model-scale sd into an original-scale one (the
        intercept's refers to the intercept at the predictors' means)."""
        return self.y_sd / np.r_[1.0, np.asarray(self.x_sd)]


def _as_list(x) -> list:
    if isinstance(x, (str, bytes)) or not isinstance(x, Sequence):
        return [x]
    return list(x)


def _path_labels(table: pd.DataFrame, path_cols: Sequence[Hashable]) -> np.ndarray:
    parts = [table[c].astype(object).map(str) for c in path_cols]
    joined = parts[0] if len(parts) == 1 else parts[0].str.cat(parts[1:], sep=PATH_SEP)
    labels = joined.to_numpy(dtype=object)
    if len(set(labels)) < len(labels):  # e.g. 1 and "1": fall back to repr, which differs
        parts = [table[c].astype(object).map(repr) for c in path_cols]
        joined = parts[0] if len(parts) == 1 else parts[0].str.cat(parts[1:], sep=PATH_SEP)
        labels = joined.to_numpy(dtype=object)
    return labels.astype(str)


def _level_coords(hier: encoding.Hierarchy, tabs: Mapping) -> tuple[dict, dict]:
    """Dimension coords (path labels) and non-dimension coords (parent path, own labels)."""
    dims: dict = {}
    extra: dict = {}
    paths: dict = {}
    for depth, level in enumerate(hier.levels):
        name = str(level)
        table = tabs[level]
        paths[level] = _path_labels(table, hier.levels[: depth + 1])
        dims[name] = paths[level]
        extra[f"{name}_label"] = (name, table[level].astype(object).map(str).to_numpy().astype(str))
        if depth:
            parent = hier.levels[depth - 1]
            parent_codes = table[hier.code_columns[depth - 1]].to_numpy()
            extra[f"{name}_parent"] = (name, paths[parent][parent_codes])
            for anc in hier.levels[:depth]:
                extra[f"{name}_{anc}"] = (name, table[anc].astype(object).map(str).to_numpy().astype(str))
    return dims, extra


def _varying_mask(opts: FitOptions, levels: Sequence[Hashable], coefs: Sequence[str]) -> np.ndarray:
    mask = np.ones((len(levels), len(coefs)), dtype=bool)
    if opts.varying is None:
        return mask
    unknown = [k for k in opts.varying if k not in levels]
    if unknown:
        raise ValueError(f"varying= names unknown levels {unknown!r}; the levels are {list(levels)!r}")
    for level, names in opts.varying.items():
        bad = [n for n in names if n not in coefs]
        if bad:
            raise ValueError(
                f"varying[{level!r}] names unknown coefficients {bad!r}; choose from {list(coefs)!r}"
            )
        mask[list(levels).index(level)] = [c in names for c in coefs]
    return mask


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


def _approximate(built, method: str, *, draws, iterations, seed, progressbar):
    """Draws from ADVI (mean-field, ``iterations`` steps) or Pathfinder; one "chain"."""
    import pymc as pm

    if method == "advi":
        approx = pm.fit(
            n=iterations, method="advi", model=built.model, random_seed=seed, progressbar=progressbar
        )
        return approx.sample(draws, random_seed=seed + 1)
    import pymc_extras as pmx

    return pmx.fit(
        method="pathfinder", model=built.model, num_draws=draws, random_seed=seed,
        progressbar=progressbar,
    )  # fmt: skip


def _check_sampler(sampler: str) -> None:
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler={sampler!r} is not one of {', '.join(map(repr, SAMPLERS))}")
    needs = {"nutpie": "nutpie", "numpyro": "numpyro", "blackjax": "blackjax"}.get(sampler)
    if needs and importlib.util.find_spec(needs) is None:
        extra = "jax" if sampler in ("numpyro", "blackjax") else None
        hint = f'pip install "pandas-hier[{extra}]"' if extra else f"pip install {needs}"
        raise SamplerNotInstalledError(
            f"sampler={sampler!r} needs the package {needs!r}, which is not installed; "
            f"install it with: {hint} (or choose sampler='pymc')"
        )


#: Compiled nutpie models by structure key (see ``model.structure_key``), most recent last.
_COMPILED: dict = {}
_COMPILED_MAX = 8


def _compiled(built):
    """The nutpie model for ``built``: compiled once per structure, then reused with new data."""
    from pandas_hier._compile import compile_pyfunc, with_data

    hit = _COMPILED.pop(built.structure, None)
    if hit is not None:
        _COMPILED[built.structure] = hit  # most recently used
        return with_data(hit, built.data_values)
    compiled = compile_pyfunc(built.model)
    _COMPILED[built.structure] = compiled
    while len(_COMPILED) > _COMPILED_MAX:
        _COMPILED.pop(next(iter(_COMPILED)))
    return compiled


def _sample(built, sampler: str, *, draws, tune, chains, seed, progressbar, target_accept):
    import pymc as pm

    model = built.model
    if sampler == "nutpie":
        import nutpie

        started = time.perf_counter()
        compiled = _compiled(built)
        compile_s = time.perf_counter() - started
        return compile_s, nutpie.sample(
            compiled,
            draws=draws,
            tune=tune,
            chains=chains,
            seed=seed,
            progress_bar=progressbar,
            save_warmup=False,
            target_accept=target_accept,
            # Stan-style mass matrix from the draws' variance: nutpie's default also divides by
            # the gradients' variance, which is 0 where a weakly identified sd's log-density is
            # flat, and blew that coordinate's scale up to ~1e8 (see docs/model.md).
            adaptation="draw_diag",
        )
    kwargs = {} if sampler == "pymc" else {"nuts_sampler": sampler}
    with warnings.catch_warnings():
        # PyMC's own convergence messages are replaced by ours, which name the level.
        warnings.filterwarnings("ignore", message=".*(r_hat|rhat|effective sample|diverg).*")
        return None, pm.sample(
            draws=draws,
            tune=tune,
            chains=chains,
            random_seed=seed,
            progressbar=progressbar,
            target_accept=target_accept,
            model=model,
            compute_convergence_checks=False,
            **kwargs,
        )


@dataclass(frozen=True)
class _Prepared:
    data: Any
    built: Any
    options: FitOptions
    hierarchy: encoding.Hierarchy
    tables: Mapping
    scaling: Scaling
    extra_coords: Mapping
    x: tuple
    n_rows: int
    x_raw: np.ndarray
    y_raw: np.ndarray


@dataclass(frozen=True)
class _Training:
    """Training arrays kept in memory (never saved) for posterior predictive checks and LOO."""

    x: np.ndarray
    y: np.ndarray
    leaf: np.ndarray


def _prepare(df, x, y, *, levels, dropna, options, impl="op") -> _Prepared:
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"fit expects a pandas DataFrame, got {type(df).__name__}")
    opts = FitOptions(**options)
    hier = encoding.hierarchy_of(df, levels)
    xs = _as_list(x)
    if not xs:
        raise ValueError("x must name at least one predictor column")
    repeated = sorted({repr(c) for c in xs if xs.count(c) > 1})
    if repeated:
        raise ValueError(
            f"x lists {', '.join(repeated)} more than once; each predictor may appear once "
            "(a repeated column makes the coefficients unidentifiable)"
        )
    if y in xs:
        raise ValueError(
            f"y={y!r} is also a predictor in x={xs!r}: the response cannot predict itself"
        )
    clash = [c for c in [*xs, y] if c in hier.levels]
    if clash:
        raise ValueError(f"{clash!r} cannot be both a level and a predictor or response")
    if len(set(map(str, hier.levels))) != len(hier.levels) or "coef" in map(str, hier.levels):
        raise ValueError("level names must be distinct as strings and not 'coef'")
    opts.check_prior_keys([str(lv) for lv in hier.levels])

    cols = [*hier.levels, *dict.fromkeys([*xs, y])]
    work = df[[c for c in cols if c in df.columns]]
    work.attrs = {}
    missing = work.isna().any(axis=1) if not any(c not in df.columns for c in cols) else None
    if missing is not None and dropna and missing.any():
        encoding.warn_dropped(
            int(missing.sum()), len(work), [c for c in cols if work[c].isna().any()]
        )
        work = work.loc[~missing]
    schema.check(schema.model_schema(hier.levels, xs, y), work, "data to fit")
    if len(work) == 0:
        raise ValueError("no rows to fit")

    enc, tabs = encoding._encode_with_tables(work, hier)
    Xraw = enc[xs].to_numpy(dtype=np.float64)
    yraw = enc[y].to_numpy(dtype=np.float64)
    x_mean, x_sd = _mean_sd(Xraw)
    y_mean, y_sd = (float(v[0]) for v in _mean_sd(yraw[:, None]))
    const = [c for c, s in zip([*xs, y], [*x_sd, y_sd], strict=True) if not s > 0]
    if const:
        raise ValueError(f"constant columns cannot be standardised or fitted: {const!r}")
    if opts.standardize:
        scaling = Scaling(tuple(map(float, x_mean)), tuple(map(float, x_sd)), y_mean, y_sd)
    else:
        scaling = Scaling(tuple(np.zeros(len(xs))), tuple(np.ones(len(xs))), 0.0, 1.0)

    from pandas_hier.stats import leaf_stats

    Xs = (Xraw - np.asarray(scaling.x_mean)) / np.asarray(scaling.x_sd)
    ys = (yraw - scaling.y_mean) / scaling.y_sd
    _check_float64(Xs, ys, xs, y, opts.standardize)
    X = np.column_stack([np.ones(len(ys)), Xs])
    codes = [enc[c].to_numpy(np.int64) for c in hier.code_columns]
    sizes = tuple(len(tabs[lv]) for lv in hier.levels)
    parents = (np.zeros(sizes[0], np.int64),) + tuple(
        tabs[hier.levels[i]][hier.code_columns[i - 1]].to_numpy(np.int64) for i in range(1, len(sizes))
    )
    dim_coords, extra_coords = _level_coords(hier, tabs)
    coef_names = ("intercept", *map(str, xs))
    if opts.standardize:
        coef_scale, y_scale = np.ones(len(coef_names)), 1.0
    else:  # default priors scaled to the data
        coef_scale = np.r_[np.abs(yraw.mean()) + yraw.std(), yraw.std() / x_sd]
        y_scale = float(yraw.std())

    from pandas_hier import model as hm

    data = hm.ModelData(
        X=X,
        y=ys,
        leaf=codes[-1],
        parents=parents,
        sizes=sizes,
        levels=tuple(map(str, hier.levels)),
        coefs=coef_names,
        coords={**dim_coords, "coef": list(coef_names), "predictor": list(coef_names[1:])},
        coef_scale=coef_scale,
        y_scale=y_scale,
        stats=leaf_stats(X, ys, codes[-1], sizes[-1]),
    )
    varying = _varying_mask(opts, hier.levels, coef_names)
    rows = [tabs[lv]["n_rows"].to_numpy() for lv in hier.levels]
    param = hm.resolve_parameterization(opts, rows)
    built = hm.build_model(data, opts, varying, param, impl)
    return _Prepared(
        data, built, opts, hier, tabs, scaling, extra_coords, tuple(xs), len(enc), Xraw, yraw
    )



def _mean_sd(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and sds computed on values divided by their largest magnitude, so that data
    near the float64 limits (1e200 squared overflows) are standardised exactly as any other."""
    big = np.max(np.abs(values), axis=0) if len(values) else np.ones(values.shape[1])
    big = np.where(big > 0, big, 1.0)
    scaled = values / big
    return scaled.mean(axis=0) * big, scaled.std(axis=0) * big


def _check_float64(Xs: np.ndarray, ys: np.ndarray, xs: list, y, standardize: bool) -> None:
    """Refuse data whose model-scale sums of squares (the sufficient statistics) are not finite
    in float64, naming the column (possible only with ``standardize=False``)."""
    with np.errstate(over="ignore"):
        bad = [c for c, col in zip([*xs, y], [*Xs.T, ys], strict=True)
               if not np.isfinite(np.dot(col, col))]  # fmt: skip
    if bad:
        how = (
            "rescale it (e.g. divide by a power of 10), or keep standardize=True"
            if not standardize else "rescale it (e.g. divide by a power of 10)"
        )
        raise ValueError(
            f"columns {bad!r} cannot be summed in float64: their sums of squares overflow "
            f"(largest magnitude {max(np.max(np.abs(c)) for c in [*Xs.T, ys]):.3g}); {how}"
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
    pandas_hier.model.BuiltModel
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
    return _prepare(df, x, y, levels=levels, dropna=dropna, options=options).built


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
    _check_sampler(sampler)
    _check_method(method, iterations)
    _check_settings(method, draws=draws, tune=tune, chains=chains, random_seed=random_seed,
                    progressbar=progressbar, dropna=dropna)  # fmt: skip
    impl = "graph" if method == "nuts" and sampler in ("numpyro", "blackjax") else "op"
    prep = _prepare(df, x, y, levels=levels, dropna=dropna, options=options, impl=impl)
    data, built, opts, hier, tabs = prep.data, prep.built, prep.options, prep.hierarchy, prep.tables
    scaling, extra_coords, param, xs = prep.scaling, prep.extra_coords, built.parameterization, prep.x
    prepared = time.perf_counter()

    rng = np.random.default_rng(random_seed)
    seed = int(rng.integers(2**31 - 1))
    if method == "nuts":
        compile_s, trace = _sample(
            built, sampler, draws=draws, tune=tune, chains=chains, seed=seed,
            progressbar=progressbar, target_accept=opts.target_accept,
        )  # fmt: skip
    else:
        compile_s, trace = None, _approximate(
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
        training=_Training(prep.x_raw, prep.y_raw, data.leaf),
        timings={
            "prepare_s": prepared - started,
            "compile_s": compile_s if compile_s is not None else float("nan"),
            "sample_s": sampled - prepared - (compile_s or 0.0),
            "postprocess_s": time.perf_counter() - sampled,
        },
        n_rows=prep.n_rows,
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
        from pandas_hier.model import draw_coefficients

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
