"""Sampler traces and the posterior predictive check, drawn with ArviZ's ``arviz-plots``."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

import pandas as pd

from pandas_hier import families, names
from pandas_hier._params import Integer, validate_params
from pandas_hier.plots import _common

if TYPE_CHECKING:  # pragma: no cover
    from pandas_hier.result import HierFit

__all__ = ["ppc", "trace"]


def _arviz_plots():
    try:
        import arviz_plots
    except ImportError as err:  # pragma: no cover - the plots extra installs it
        raise ImportError(
            "plot_trace and plot_ppc need arviz-plots: pip install 'pandas-hier[plots]'"
        ) from err
    return arviz_plots


def _figure(pc):
    return pc.viz["figure"].item()


@validate_params({"var_names": [None, str, list, tuple]}, caller="plot_trace")
def trace(fit: HierFit, var_names: str | Sequence[str] | None = None):
    """Trace plot: each parameter's marginal density (left) and its draws per chain (right).

    Coefficients share one colour per coefficient across parameters (legend ``coef``); chains
    differ by line style. The default shows the global coefficients, the sds of every level
    and the likelihood's own parameters (``sigma``, ``nu``, ``alpha``): what the sampler
    explored. Group coefficients (``b_<level>``) may be named too.

    Parameters
    ----------
    fit : HierFit
    var_names : str or list of str, optional
        Variables of ``fit.idata["posterior"]``.

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = fit.plot_trace()
    >>> [ax.get_ylabel() for ax in fig.axes if ax.get_ylabel()][:2]
    ['b_global', 'sd_degree']
    """
    azp = _arviz_plots()
    import xarray as xr

    post = fit.idata["posterior"].to_dataset()
    levels = [str(lv) for lv in fit.levels]
    default = [names.GLOBAL, *map(names.sd, levels), names.SIGMA, names.NU, names.ALPHA]
    wanted = [v for v in default if v in post] if var_names is None else (
        [var_names] if isinstance(var_names, str) else list(var_names))  # fmt: skip
    for v in wanted:
        if v not in post:
            raise _common.unknown("variable", v, sorted(map(str, post.data_vars)))
    ds = post[wanted]
    coef_dims = [d for d in ds.dims if str(d).startswith("coef_")]
    # one "coef" dim, so that a coefficient has one colour in every panel
    parts = [ds[[v]].rename({d: "coef" for d in coef_dims if d in ds[v].dims}) for v in wanted]
    ds = xr.merge([p.drop_vars(coef_dims, errors="ignore") for p in parts], join="outer",
                  compat="no_conflicts")  # fmt: skip
    ds = ds.drop_vars([c for c in ds.coords if c not in ds.dims])
    tree = xr.DataTree.from_dict({"posterior": ds})
    aes = {"aes": {"color": ["coef"], "linestyle": ["chain"]}} if "coef" in ds.dims else {}
    pc = azp.plot_trace_dist(tree, backend="matplotlib", kind="kde", compact=True, **aes,
                             figure_kwargs={"figsize": (11, 1.2 + 1.7 * len(wanted))})  # fmt: skip
    if "coef" in ds.dims:
        pc.add_legend("coef", loc="outside right upper", fontsize=8)
    return _common.adopt(_figure(pc), f"Traces of {fit.sampler}: {fit.diagnostics.chains} chains "
                                      f"x {fit.diagnostics.draws} draws")  # fmt: skip


@validate_params(
    {"data": [None, pd.DataFrame], "num_samples": [Integer(1)], "random_seed": [None, Integer(0)]},
    caller="plot_ppc",
)
def ppc(
    fit: HierFit,
    data: pd.DataFrame | None = None,
    num_samples: int = 50,
    random_seed: int | None = None,
):
    """Posterior predictive check: the observed response's distribution against
    ``num_samples`` replicates drawn from the posterior (:meth:`HierFit.posterior_predictive`).

    A real-valued response is shown as densities (``num_samples`` replicates against the
    observed), counts and successes as a rootogram, 0/1 outcomes as a calibration (PAV) plot,
    all on the response's own scale (ArviZ's ``plot_ppc_dist``, ``plot_ppc_rootogram``,
    ``plot_ppc_pava``).

    Parameters
    ----------
    fit : HierFit
    data : pandas.DataFrame, optional
        Rows of training groups to replicate; default the training rows (required after
        :func:`pandas_hier.load`).
    num_samples : int, default 50
        Replicates drawn for a real-valued response.
    random_seed : int, optional

    Returns
    -------
    matplotlib.figure.Figure

    Examples
    --------
    >>> fig = fit.plot_ppc(random_seed=0)
    >>> fig.axes[0].get_title()
    'salary'
    """
    azp = _arviz_plots()
    _common.needs_data(fit, data, "plot_ppc")
    tree = fit.posterior_predictive(data, random_seed=random_seed).idata
    outcome = families.get(fit.options.likelihood).outcome
    draws = fit.diagnostics.chains * fit.diagnostics.draws
    size = {"figure_kwargs": {"figsize": (7, 3.8)}, "backend": "matplotlib"}
    if outcome == "binary":  # calibration: observed frequency against predicted probability
        pc, what = azp.plot_ppc_pava(tree, **size), "calibration (PAV) of the replicates"
    elif outcome in ("count", "successes"):
        import xarray as xr

        for group in ("observed_data", "posterior_predictive"):  # whole numbers stored as floats
            tree[group] = xr.DataTree(tree[group].to_dataset().round().astype("int64"))
        pc, what = azp.plot_ppc_rootogram(tree, **size), "rootogram: observed counts and replicates"
    else:
        n = min(num_samples, draws)
        pc = azp.plot_ppc_dist(tree, num_samples=n, kind="kde", **size)
        what = f"observed (black) and {n} replicates"
    return _common.adopt(
        _figure(pc),
        f"Posterior predictive check of {fit.y} (response scale): {what}",
    )
