"""The design: a validated frame turned into the arrays of the model, and back.

``prepare`` runs the checks on the data, encodes it, standardises predictors and response
(:class:`Scaling`), builds the level coordinates (path labels, parent labels) and the per-leaf
sufficient statistics, and returns a :class:`Design`. Nothing here imports PyMC.

Examples
--------
>>> import pandas_hier
>>> from pandas_hier.design import prepare
>>> from pandas_hier.options import FitOptions
>>> df = pandas_hier.datasets.load_salary()
>>> design = prepare(df, "month", "salary", levels=["degree", "state", "county"], dropna=False,
...                  options=FitOptions())
>>> design.data.sizes, design.parameterization
((2, 10, 100), ('marginal', 'marginal', 'marginal'))
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from pandas_hier import encoding, families, names, progress, report, schema
from pandas_hier.errors import InvalidParameterError
from pandas_hier.options import FitOptions, varying_mask
from pandas_hier.routes import resolve_parameterization
from pandas_hier.stats import LeafStats, check_float64, intercept_mean, leaf_stats, mean_sd

__all__ = [
    "PATH_SEP", "Design", "ModelData", "Scaling", "Training", "check_arguments", "prepare",
    "structure_key",
]  # fmt: skip

#: Separator of the labels in a group's path label (``"degree / Ohio / Clay"``).
PATH_SEP = " / "


@dataclass(frozen=True)
class Scaling:
    """Standardisation constants: the model works on ``(x - x_mean) / x_sd``, ``(y - y_mean) / y_sd``.

    With ``standardize=False`` the means are 0 and the sds 1.

    Examples
    --------
    >>> from pandas_hier.design import Scaling
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


@dataclass(frozen=True)
class ModelData:
    """Everything the model needs, as arrays (no DataFrame).

    Attributes
    ----------
    X : ndarray (n, d)
        Design on the model's scale; column 0 is the intercept (ones).
    y : ndarray (n,)
        Response on the model's scale.
    leaf : ndarray (n,)
        Leaf (lowest-level) group code of each row.
    parents : tuple of ndarray
        ``parents[l]`` maps each group of level ``l`` to its parent group at level ``l-1``;
        ``parents[0]`` is all zeros (the single global group). Non-decreasing: children of one
        parent are contiguous, as ``encode`` orders codes by label path.
    sizes : tuple of int
        Number of groups per level.
    levels : tuple of str
        Level names (used in variable and dimension names).
    coefs : tuple of str
        ``("intercept", *predictors)``.
    coords : mapping
        Dimension name -> labels, for PyMC's coords.
    coef_scale : ndarray (d,)
        Multiplier for default prior scales per coefficient (ones when data are standardised).
    y_scale : float
        Multiplier for the default noise-sd prior scale.
    stats : LeafStats
        Per-leaf sufficient statistics of ``(X, y)``.
    trials : ndarray (n,), optional
        Binomial trials per row.
    offset : ndarray (n,), optional
        Per-row offset of the linear predictor (``log exposure``).
    intercept_mean : float
        Mean of the default intercept prior: 0 on the standardised scale, the link of the
        outcome's overall mean for GLM families (their response is not standardised).
    """

    X: np.ndarray
    y: np.ndarray
    leaf: np.ndarray
    parents: tuple[np.ndarray, ...]
    sizes: tuple[int, ...]
    levels: tuple[str, ...]
    coefs: tuple[str, ...]
    coords: Mapping[str, Sequence]
    coef_scale: np.ndarray
    y_scale: float
    stats: LeafStats
    trials: np.ndarray | None = None
    offset: np.ndarray | None = None
    intercept_mean: float = 0.0

    @property
    def d(self) -> int:
        """Number of coefficients (intercept plus predictors)."""
        return len(self.coefs)


@dataclass(frozen=True)
class Training:
    """Training arrays kept in memory (never saved) for posterior predictive checks and LOO."""

    x: np.ndarray
    y: np.ndarray
    leaf: np.ndarray
    trials: np.ndarray | None = None
    exposure: np.ndarray | None = None


@dataclass(frozen=True)
class Design:
    """A frame turned into the model's arrays: what every later step of a fit works from.

    Attributes
    ----------
    data : ModelData
        Arrays on the model's scale, with the leaf sufficient statistics.
    varying : ndarray of bool (levels, d)
        Which coefficient varies at which level.
    parameterization : tuple of str
        Per level, from :func:`resolve_parameterization`.
    options : FitOptions
    hierarchy : Hierarchy
    tables : mapping of level -> DataFrame
        Lookup tables of the training data.
    scaling : Scaling
    extra_coords : mapping
        Non-dimension coordinates of the levels (parent and ancestor labels).
    x : tuple
        Predictor names.
    n_rows : int
    training : Training
    """

    data: ModelData
    varying: np.ndarray
    parameterization: tuple[str, ...]
    options: FitOptions
    hierarchy: encoding.Hierarchy
    tables: Mapping
    scaling: Scaling
    extra_coords: Mapping
    x: tuple
    n_rows: int
    training: Training


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


def level_coords(hier: encoding.Hierarchy, tabs: Mapping) -> tuple[dict, dict]:
    """Dimension coords (path labels) and non-dimension coords (parent path, own labels)."""
    dims: dict = {}
    extra: dict = {}
    paths: dict = {}
    for depth, level in enumerate(hier.levels):
        name = str(level)
        table = tabs[level]
        paths[level] = _path_labels(table, hier.levels[: depth + 1])
        dims[name] = paths[level]
        extra[names.label(name)] = (name, table[level].astype(object).map(str).to_numpy().astype(str))
        if depth:
            parent = hier.levels[depth - 1]
            parent_codes = table[hier.code_columns[depth - 1]].to_numpy()
            extra[names.parent(name)] = (name, paths[parent][parent_codes])
            for anc in hier.levels[:depth]:
                extra[f"{name}_{anc}"] = (name, table[anc].astype(object).map(str).to_numpy().astype(str))
    return dims, extra


def check_arguments(df, x, y, levels, opts: FitOptions) -> tuple[encoding.Hierarchy, list, list]:
    """The checks of :func:`prepare` on names alone (``df`` is read for its recorded levels only;
    a Dask frame's empty ``_meta`` will do): the hierarchy, the predictors and the columns read."""
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
    trials, exposure = opts.trials, opts.exposure
    rows_cols = [c for c in (trials, exposure) if c is not None]
    clash = [c for c in [*xs, y, *rows_cols] if c in hier.levels]
    if clash:
        raise ValueError(f"{clash!r} cannot be both a level and a predictor or response")
    if len(set(map(str, hier.levels))) != len(hier.levels) or "coef" in map(str, hier.levels):
        raise ValueError("level names must be distinct as strings and not 'coef'")
    opts.check_prior_keys([str(lv) for lv in hier.levels])

    used = [c for c in rows_cols if c in xs or c == y]
    if used:
        raise InvalidParameterError(
            f"fit: {used!r} cannot be both trials= or exposure= and a predictor or response"
        )
    return hier, xs, [*hier.levels, *dict.fromkeys([*xs, y, *rows_cols])]


def prepare(df, x, y, *, levels, dropna, options: FitOptions) -> Design:
    """Validate and encode ``df`` and turn it into the arrays of the model (:class:`Design`).

    Arguments as in :func:`pandas_hier.fit`; ``options`` already validated.
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"fit expects a pandas DataFrame, got {type(df).__name__}")
    opts = options
    hier, xs, cols = check_arguments(df, x, y, levels, opts)
    family, trials, exposure = families.get(opts.likelihood), opts.trials, opts.exposure
    work = df[[c for c in cols if c in df.columns]]
    work.attrs = {}
    missing = work.isna().any(axis=1) if not any(c not in df.columns for c in cols) else None
    if missing is not None and dropna and missing.any():
        encoding.warn_dropped(
            int(missing.sum()), len(work), [c for c in cols if work[c].isna().any()]
        )
        work = work.loc[~missing]
    model_schema = schema.model_schema(hier.levels, xs, y, family.outcome, trials, exposure)
    with progress.step(f"checking {len(work):,} rows"):
        report.check(model_schema, work, "data to fit", df.columns)
    if len(work) == 0:
        raise ValueError("no rows to fit")

    enc, tabs = encoding._encode_with_tables(work, hier)
    Xraw = enc[xs].to_numpy(dtype=np.float64)
    yraw = enc[y].to_numpy(dtype=np.float64)
    trials_arr = enc[trials].to_numpy(np.float64) if trials is not None else None
    exposure_arr = enc[exposure].to_numpy(np.float64) if exposure is not None else None
    x_mean, x_sd = mean_sd(Xraw)
    y_mean, y_sd = (float(v[0]) for v in mean_sd(yraw[:, None]))
    if not family.scale:  # GLM: the response keeps its values (0/1, counts), on no scale
        y_mean, y_sd = 0.0, 1.0
    const = [c for c, s in zip([*xs, y], [*x_sd, y_sd], strict=True) if not s > 0]
    if const:
        raise ValueError(f"constant columns cannot be standardised or fitted: {const!r}")
    if opts.standardize:
        scaling = Scaling(tuple(map(float, x_mean)), tuple(map(float, x_sd)), y_mean, y_sd)
    else:
        scaling = Scaling(tuple(np.zeros(len(xs))), tuple(np.ones(len(xs))), 0.0, 1.0)

    Xs = (Xraw - np.asarray(scaling.x_mean)) / np.asarray(scaling.x_sd)
    ys = (yraw - scaling.y_mean) / scaling.y_sd
    check_float64(Xs, ys, xs, y, opts.standardize)
    X = np.column_stack([np.ones(len(ys)), Xs])
    codes = [enc[c].to_numpy(np.int64) for c in hier.code_columns]
    sizes = tuple(len(tabs[lv]) for lv in hier.levels)
    parents = (np.zeros(sizes[0], np.int64),) + tuple(
        tabs[hier.levels[i]][hier.code_columns[i - 1]].to_numpy(np.int64) for i in range(1, len(sizes))
    )
    dim_coords, extra_coords = level_coords(hier, tabs)
    coef_names = ("intercept", *map(str, xs))
    if opts.standardize:
        coef_scale, y_scale = np.ones(len(coef_names)), 1.0
    else:  # default priors scaled to the data
        coef_scale = np.r_[np.abs(yraw.mean()) + yraw.std(), yraw.std() / x_sd]
        y_scale = float(yraw.std())

    data = ModelData(
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
        trials=trials_arr,
        offset=np.log(exposure_arr) if exposure_arr is not None else None,
        intercept_mean=intercept_mean(family, yraw, trials_arr, exposure_arr),
    )
    varying = varying_mask(opts, hier.levels, coef_names)
    rows = [tabs[lv]["n_rows"].to_numpy() for lv in hier.levels]
    return Design(
        data, varying, resolve_parameterization(opts, rows, varying=varying), opts, hier, tabs, scaling,
        extra_coords, tuple(xs), len(enc),
        Training(Xraw, yraw, data.leaf, trials_arr, exposure_arr),
    )  # fmt: skip


def structure_key(data: ModelData, opts: FitOptions, varying: np.ndarray, param) -> tuple:
    """Everything that is baked into the compiled graph: two fits with equal keys can share one
    compiled model and differ only in the values of the ``pm.Data`` containers.

    Variable and dimension names (levels, coefficients) are part of it: the compiled model names
    its outputs after them, so a fit with renamed levels must not reuse another's.
    """
    dtypes = (data.X.dtype, data.y.dtype, data.leaf.dtype, *(p.dtype for p in data.parents))
    return (
        tuple(param), data.levels, data.coefs, data.sizes, data.d, len(data.y), varying.tobytes(),
        repr(sorted(opts.to_dict().items())), data.coef_scale.tobytes(), data.y_scale,
        tuple(str(t) for t in dtypes), data.intercept_mean,
    )  # fmt: skip


