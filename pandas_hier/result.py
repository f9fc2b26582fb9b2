"""The frozen result of a fit: :class:`HierFit`, labelled and immutable, opening in ArviZ.

Summaries (``summary``, ``coef``, ``variance_components``) read its DataTree; prediction, model
checks, saving and plots are one call each to :mod:`pandas_hier.predict`,
:mod:`pandas_hier.checks`, :mod:`pandas_hier.io` and :mod:`pandas_hier.plots`, and its displays
(``repr``, ``_repr_html_``) come from :mod:`pandas_hier.display`; these use only its public
interface.
"""

from __future__ import annotations

from collections.abc import Hashable
from pathlib import Path
from types import MappingProxyType

import numpy as np
import pandas as pd

from pandas_hier import checks, display, families, names, plots
from pandas_hier import predict as _predict
from pandas_hier._facade import facade
from pandas_hier._params import Real, close_match, validate_params
from pandas_hier.errors import ColumnNotFoundError
from pandas_hier.intervals import hdi

__all__ = ["HierFit"]

_HDI = {"hdi_prob": [Real(0, 1, closed="neither")]}


def _hdi(da, prob: float) -> tuple[np.ndarray, np.ndarray]:
    """HDI bounds over chains and draws of a (chain, draw, ...) DataArray."""
    return hdi(da.to_numpy().reshape(-1, *da.shape[2:]), prob, axis=0)


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
        What produced the draws: the NUTS sampler's name, ``"gibbs"`` (the augmented route)
        or ``"advi"`` / ``"pathfinder"``.
    training : Training or None
        The training arrays (predictors, response, leaf codes) kept in memory for
        :meth:`posterior_predictive` and :meth:`loo`; None after :func:`pandas_hier.load`.
    timings : mapping of str -> float
        Seconds spent preparing (validation, encoding, model build), compiling (nutpie; NaN
        for samplers that compile inside sampling), sampling and post-processing.
    n_rows : int

    Examples
    --------
    The fit is skipped as a doctest (a real fit is run in :func:`pandas_hier.fit`'s example);
    the lines after it run on a small fit.

    >>> import pandas_hier
    >>> fit = pandas_hier.datasets.load_salary().hier.fit(
    ...     "month", "salary", levels=["degree", "state", "county"], draws=100, tune=100,
    ...     chains=1, progressbar=False, random_seed=0)  # doctest: +SKIP
    >>> fit.summary().columns.tolist()[:4]
    ['parameter', 'level', 'group', 'coef']
    """

    __slots__ = (
        "_idata",
        "_tables",
        "diagnostics",
        "hierarchy",
        "n_rows",
        "options",
        "parameterization",
        "sampler",
        "scaling",
        "timings",
        "training",
        "x",
        "y",
    )  # fmt: skip

    def __init__(self, *, idata, hierarchy, x, y, options, tables, scaling, diagnostics,
                 parameterization, sampler, training, timings, n_rows) -> None:  # fmt: skip
        values = {
            "_idata": idata, "hierarchy": hierarchy, "x": x, "y": y, "options": options,
            "_tables": MappingProxyType(dict(tables)), "scaling": scaling,
            "diagnostics": diagnostics,
            "parameterization": MappingProxyType(dict(parameterization)),
            "sampler": sampler, "training": training,
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
        """Lookup tables of the training data, as returned by :func:`pandas_hier.tables` (copies;
        a dict that displays one block per level)."""
        return display.Tables({k: v.copy() for k, v in self._tables.items()})

    @property
    def levels(self) -> tuple:
        """Hierarchy levels, top first."""
        return self.hierarchy.levels

    def __repr__(self) -> str:
        return display.text(self)

    def _repr_html_(self) -> str:
        return display.html(self)

    def _level(self, level: Hashable | None) -> Hashable:
        if level is None:
            return self.levels[-1]
        if level not in self.levels:
            guess = close_match(level, list(self.levels))
            hint = f"; did you mean {guess!r}?" if guess is not None else "."
            raise ColumnNotFoundError(
                f"unknown level {level!r}{hint} The levels are {list(self.levels)!r}"
            )
        return level

    @validate_params(_HDI, caller="summary")
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
            ``sigma``/``nu``/``alpha``), ``group`` (the path label), ``coef``, ``mean``, ``sd``,
            ``hdi_low``, ``hdi_high``, ``ess_bulk``, ``ess_tail``, ``r_hat``. ``attrs["scale"]``
            says what the coefficients mean (the link scale of a GLM likelihood).

        Examples
        --------
        >>> fit.summary().query("parameter == 'b_global'")[["parameter", "level", "coef"]]
          parameter   level       coef
        0  b_global  global  intercept
        1  b_global  global      month
        """
        import arviz as az

        post = self._idata["posterior"].to_dataset()
        levels = [str(lv) for lv in self.levels]
        order = [names.GLOBAL, *map(names.b, levels), *map(names.sd, levels),
                 *map(names.corr, levels), names.SIGMA, names.NU, names.ALPHA]  # fmt: skip
        level_of = {**{names.sd(lv): lv for lv in levels}, **{names.corr(lv): lv for lv in levels},
                    names.GLOBAL: "global"}  # fmt: skip
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
            frame = pd.DataFrame({k: np.ravel(np.asarray(v)) for k, v in stats.items()})
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
            level = level_of.get(name, level)
            frame.insert(1, "level", level)
            frame.insert(2, "group", group)
            frame.insert(3, "coef", coef)
            frames.append(frame)
        out = pd.concat(frames, ignore_index=True)
        out.attrs["scale"] = families.get(self.options.likelihood).scale_note()
        return out

    @validate_params(_HDI, caller="coef")
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
        >>> table = fit.coef("county")
        >>> table.columns[:3].tolist(), len(table) == len(fit.tables["county"])
        (['degree', 'state', 'county'], True)
        """
        level = self._level(level)
        depth = self.levels.index(level)
        table = self._tables[level]
        da = self._idata["posterior"][names.b(str(level))]
        mean = da.mean(("chain", "draw")).to_numpy()
        lo, hi = _hdi(da, hdi_prob)
        out = table[list(self.levels[: depth + 1])].copy()
        for i, name in enumerate(("intercept", *map(str, self.x))):
            out[name] = mean[:, i]
            out[f"{name}_hdi_low"] = lo[:, i]
            out[f"{name}_hdi_high"] = hi[:, i]
        out["n_rows"] = table["n_rows"].to_numpy()
        pooling = self._idata["pooling"][names.pooling(str(level))].to_numpy()
        varying = self._idata["posterior"][names.coef_dim(str(level))].to_numpy().tolist()
        for i, name in enumerate(varying):
            out[f"pooling_{name}"] = pooling[:, i]
        return out

    # plots (pandas_hier.plots): each returns a matplotlib Figure
    plot_forest = facade(plots.forest, target=lambda fit: fit)
    plot_shrinkage = facade(plots.shrinkage, target=lambda fit: fit)
    plot_groups = facade(plots.groups, target=lambda fit: fit)
    plot_trace = facade(plots.trace, target=lambda fit: fit)
    plot_ppc = facade(plots.ppc, target=lambda fit: fit)

    # ------------------------------------------------------------------ prediction and checks

    @property
    def schema(self):
        """pandera schema that new data must satisfy for :meth:`predict`.

        Examples
        --------
        >>> fit.schema.validate(new_df, lazy=True).equals(new_df)  # every check passes
        True
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
        >>> fit.encode(new_df)["county_idx"].tolist()  # a known county, then an unseen one
        [0, -1]
        """
        from pandas_hier.predict import encode_new

        return encode_new(self, new_df)

    predict = facade(_predict.predict, target=lambda fit: fit)

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
        >>> checked = fit.posterior_predictive(random_seed=0)
        >>> {"posterior_predictive", "observed_data"} <= set(checked.idata.children)
        True
        """
        return self._with_tree(checks.posterior_predictive_tree(self, data, random_seed))

    log_likelihood = facade(checks.log_likelihood, target=lambda fit: fit)
    loo = facade(checks.loo, target=lambda fit: fit)

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
        >>> import tempfile, pathlib
        >>> path = fit.save(pathlib.Path(tempfile.mkdtemp()) / "salary.hier")
        >>> path.name
        'salary.hier'
        """
        from pandas_hier.io import save

        return save(self, path)

    @validate_params(_HDI, caller="variance_components")
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
        >>> fit.variance_components()[["level", "coef"]].tail(3)
             level       coef
        4   county  intercept
        5   county      month
        6  residual      sigma
        """
        rows = self.summary(hdi_prob)
        levels = [str(lv) for lv in self.levels]
        keep = rows["parameter"].isin(list(map(names.sd, levels))) | (rows["parameter"] == names.SIGMA)
        out = rows.loc[keep, ["level", "group", "coef", "mean", "sd", "hdi_low", "hdi_high"]]
        out = out.rename(columns={"group": "parent"}).reset_index(drop=True)
        out.loc[out["level"].isna(), ["level", "coef"]] = ["residual", names.SIGMA]
        return out
