"""validate -> encode -> build -> sample; returns an immutable, labelled :class:`HierFit`.

PyMC, PyTensor, nutpie and ArviZ are imported inside the functions that need them, so
``import pandas_hier`` stays light.
"""

from __future__ import annotations

import importlib.util
import time
from collections.abc import Callable, Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from pandas_hier import progress
from pandas_hier._params import Boolean, Integer, Options, close_match, validate_params
from pandas_hier.backend.sample import approximate, check_sampler, sample
from pandas_hier.design import Design, prepare
from pandas_hier.diagnostics import diagnose, no_diagnostics, warn_if_unhealthy
from pandas_hier.errors import InvalidParameterError, SamplerNotInstalledError
from pandas_hier.options import METHODS, OPTION_CONSTRAINTS, SAMPLERS, FitOptions
from pandas_hier.posterior import assemble
from pandas_hier.result import HierFit

__all__ = ["HierFit", "build", "fit", "fit_prepared"]


#: The sampling settings of ``fit`` and their constraints, declared once. NUTS needs warm-up to
#: adapt its step size and mass matrix: with tune=0 nutpie could not start (it panicked), and a
#: few dozen iterations are the least that adapts at all.
FIT_CONSTRAINTS: dict = {
    "df": [pd.DataFrame],
    "draws": [Integer(1, 1_000_000)],
    "tune": [Integer(50, 1_000_000, hint="NUTS needs warm-up iterations to adapt its step size (default 1000)")],
    "chains": [Integer(1, 64)],
    "sampler": [Options(*SAMPLERS)],
    "method": [Options(*METHODS)],
    "iterations": [Integer(1, 10_000_000)],
    "random_seed": [None, Integer(0)],
    "progressbar": [Boolean()],
    "dropna": [Boolean()],
}  # fmt: skip


def _options(options: dict) -> FitOptions:
    """The model options, with an unknown keyword named and a close match suggested."""
    unknown = [k for k in options if k not in OPTION_CONSTRAINTS]
    if unknown:
        key = unknown[0]
        guess = close_match(key, list(OPTION_CONSTRAINTS))
        hint = f"; did you mean {guess!r}?" if guess else "."
        raise InvalidParameterError(
            f"fit: unknown option {key!r}{hint} The options are {', '.join(OPTION_CONSTRAINTS)}"
        )
    return FitOptions(**options)


def _check_method(method: str) -> None:
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

    design = prepare(df, x, y, levels=levels, dropna=dropna, options=_options(options))
    return build_model(design.data, design.options, design.varying, design.parameterization)


@validate_params(FIT_CONSTRAINTS, caller="fit")
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
        NUTS implementation. A missing package is an error naming the extra to install. On
        the augmented route (the default for Student-t, Cauchy, Bernoulli, binomial and
        negative binomial) the Gibbs sampler runs instead and ``sampler`` does not apply; a
        row-level ``parameterization`` ("centered" or "noncentered") samples with it.
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
        Show the sampler's own progress bar, and say what a long step (encoding, compiling,
        ...) is doing; only on a terminal or in a notebook, never in a pipe or when ``CI`` is
        set (:mod:`pandas_hier.progress`).
    dropna : bool, default False
        Rows with missing level, predictor or response values are an error; with
        ``dropna=True`` they are dropped with a :class:`~pandas_hier.DroppedRowsWarning`.
    **options
        Model options (see :class:`~pandas_hier.options.FitOptions`):

        ``parameterization`` : {"auto", "marginal", "augmented", "centered", "noncentered"}
            ``auto`` (default) integrates all coefficients out analytically for a Gaussian
            likelihood ("marginal": NUTS samples only the sds, coefficients are then drawn
            exactly). Student-t, Cauchy, Bernoulli, binomial and negative binomial
            likelihoods are "augmented": a Gibbs sampler with one latent variable per row
            feeds the same exact engine (``fit.sampler`` is ``"gibbs"``); so is the Poisson,
            with a Metropolis-Hastings step per group instead of latent variables, where every
            coefficient varies at the leaf level or at none. Otherwise (other global priors;
            a Poisson slope varying above the leaves only) it picks per level: centred where
            every group has at least 100 rows, non-centred elsewhere.
        ``sd_per`` : {"level", "parent"}
            One sd per level and coefficient, or one per parent group (the blog's choice).
        ``likelihood`` : {"normal", "studentt", "cauchy", "bernoulli", "binomial", "poisson", "negbinomial"}
            ``nu`` for Student-t (estimated with a Gamma(2, 0.1) prior when not given). GLM
            likelihoods report coefficients on the link scale (logit or log); the response
            keeps its values (0/1 or bool; counts).
        ``trials`` : str
            Column of binomial trials (``likelihood="binomial"``).
        ``exposure`` : str
            Column of exposures for ``poisson`` and ``negbinomial`` (offset ``log exposure``).
        ``priors`` : dict of str -> :class:`~pandas_hier.Prior`
            Keys ``intercept``, ``slope`` (global coefficients), ``sd`` (group sds; ``sd_<level>``
            for one level), ``sigma`` (noise sd), ``nu``, ``alpha`` (negative binomial
            dispersion), ``corr`` (LKJ ``eta``). Defaults are
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
            Target acceptance rate of NUTS.

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
    ...                   random_seed=1, progressbar=False)
    >>> fit.diagnostics.ok, fit.parameterization["county"]
    (True, 'marginal')
    >>> fit.coef("county").shape
    (100, 12)
    """
    return fit_prepared(
        lambda opts: prepare(df, x, y, levels=levels, dropna=dropna, options=opts), y,
        draws=draws, tune=tune, chains=chains, sampler=sampler, method=method,
        iterations=iterations, random_seed=random_seed, progressbar=progressbar, options=options,
    )  # fmt: skip


@progress.controlled_by("progressbar")
def fit_prepared(
    prepare_design: Callable[[FitOptions], Design], y: Hashable, *, draws: int, tune: int, chains: int,
    sampler: str, method: str, iterations: int, random_seed: int | None, progressbar: bool,
    options: dict,
) -> HierFit:  # fmt: skip
    """:func:`fit` once its arguments are checked, taking the :class:`~pandas_hier.design.Design`
    from ``prepare_design(FitOptions)``: :func:`~pandas_hier.design.prepare` on a pandas frame, or
    the one-pass statistics of a Dask frame (:mod:`pandas_hier.dask_frame`); ``y`` names the
    response."""
    started = time.perf_counter()
    check_sampler(sampler)
    _check_method(method)
    impl = "graph" if method == "nuts" and sampler in ("numpyro", "blackjax") else "op"
    design = prepare_design(_options(options))
    from pandas_hier.backend.model import build_model

    built = build_model(design.data, design.options, design.varying, design.parameterization, impl)
    data, opts, hier, tabs = design.data, design.options, design.hierarchy, design.tables
    scaling, param, xs = design.scaling, built.parameterization, design.x
    prepared = time.perf_counter()

    rng = np.random.default_rng(random_seed)
    seed = int(rng.integers(2**31 - 1))
    if method == "nuts" and all(p == "augmented" for p in param):
        from pandas_hier.backend.augmented import sample_augmented
        from pandas_hier.backend.poissonmix import chain_type

        compile_s, trace = sample_augmented(
            built, data, opts, draws=draws, tune=tune, chains=chains, seed=seed,
            progressbar=progressbar, chain=chain_type(opts.likelihood, design.varying, design.data),
        )  # fmt: skip
        sampler = "gibbs"
    elif method == "nuts":
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
    with progress.step("drawing the coefficients"):
        idata = assemble(trace, design, built, rng)
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
