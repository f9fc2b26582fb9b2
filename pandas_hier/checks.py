"""Model checks of a fit: posterior predictive replicates, pointwise log-likelihood, PSIS-LOO.

The numerics go through the fit's likelihood family (:mod:`pandas_hier.families`): the same
log-pdf and draws as prediction. Functions take a :class:`~pandas_hier.HierFit` and use only its
public interface; the fit's methods of the same names call them.

Examples
--------
>>> from pandas_hier import checks
>>> checks.log_likelihood(fit).dims
('chain', 'draw', 'obs')
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from pandas_hier import families, names

__all__ = ["log_likelihood", "loo", "posterior_predictive_tree"]


def _observed(fit, data: pd.DataFrame | None):
    """Predictors, response, leaf codes and row labels of the training data or of ``data``."""
    if data is None:
        if fit.training is None:
            raise ValueError(
                "this fit was loaded from a file, which holds no training rows; pass the "
                "training data as data="
            )
        t = fit.training
        return t.x, t.y, t.leaf, None, t.trials, t.exposure
    enc = fit.encode(data)
    leaf = enc[fit.hierarchy.code_columns[-1]].to_numpy()
    if (leaf < 0).any():
        raise ValueError(
            f"{int((leaf < 0).sum())} rows of data= belong to groups not seen in training or "
            "have missing level values; posterior predictive checks need training groups"
        )
    x = data[list(fit.x)].to_numpy(np.float64)
    opts = fit.options
    rows = [data[c].to_numpy(np.float64) if c is not None else None for c in (opts.trials, opts.exposure)]
    return x, data[fit.y].to_numpy(np.float64), leaf, np.asarray(data.index), *rows


def _pointwise(fit, data):
    """Per draw and row: the linear predictor, sigma and the family's extra parameters."""
    x, y, leaf, index, trials, exposure = _observed(fit, data)
    post = fit.idata["posterior"]
    c, dr = post.sizes["chain"], post.sizes["draw"]
    b = post[names.b(str(fit.levels[-1]))].to_numpy().reshape(c * dr, -1, 1 + len(fit.x))
    X = np.column_stack([np.ones(len(y)), x])
    mu = np.einsum("snd,nd->sn", b[:, leaf, :], X)
    if exposure is not None:
        mu = mu + np.log(exposure)
    sigma = post[names.SIGMA].to_numpy().reshape(-1, 1) if names.SIGMA in post else None
    family = families.get(fit.options.likelihood)
    extra = family.extra_draws({k: post[k].to_numpy() for k in family.extra if k in post},
                               fit.options, c * dr)  # fmt: skip
    if trials is not None:
        extra["trials"] = trials
    obs = np.arange(len(y)) if index is None else index
    return family, mu, sigma, extra, y, (c, dr), obs


def posterior_predictive_tree(fit, data: pd.DataFrame | None = None, random_seed: int | None = None):
    """The fit's DataTree with ``posterior_predictive`` and ``observed_data`` groups added.

    Parameters
    ----------
    fit : HierFit
    data : pandas.DataFrame, optional
        Rows to replicate; default the training data (needed after :func:`pandas_hier.load`).
    random_seed : int, optional

    Returns
    -------
    xarray.DataTree
    """
    import xarray as xr

    family, mu, sigma, extra, y, (c, dr), obs = _pointwise(fit, data)
    y_rep = family.draw(np.random.default_rng(random_seed), mu, sigma, **extra).reshape(c, dr, -1)
    name = str(fit.y)
    tree = fit.idata
    tree["posterior_predictive"] = xr.DataTree(
        xr.Dataset({name: (("chain", "draw", "obs"), y_rep)},
                   coords={"chain": np.arange(c), "draw": np.arange(dr), "obs": obs})  # fmt: skip
    )
    tree["observed_data"] = xr.DataTree(xr.Dataset({name: (("obs",), y)}, coords={"obs": obs}))
    return tree


def log_likelihood(fit, data: pd.DataFrame | None = None):
    """Pointwise log-likelihood ``(chain, draw, obs)`` of the training data (or ``data``).

    Parameters
    ----------
    fit : HierFit
    data : pandas.DataFrame, optional
        Rows of training groups to evaluate; default the training data.

    Returns
    -------
    xarray.DataArray

    Examples
    --------
    >>> fit.log_likelihood().dims
    ('chain', 'draw', 'obs')
    """
    import xarray as xr

    family, mu, sigma, extra, y, (c, dr), obs = _pointwise(fit, data)
    ll = family.logpdf(y[None, :], mu, sigma, **extra)
    return xr.DataArray(ll.reshape(c, dr, -1), dims=("chain", "draw", "obs"),
                        coords={"obs": obs}, name=str(fit.y))  # fmt: skip


def loo(fit, data: pd.DataFrame | None = None):
    """PSIS-LOO cross-validation (ArviZ) from the pointwise log-likelihood.

    Parameters
    ----------
    fit : HierFit
    data : pandas.DataFrame, optional

    Returns
    -------
    arviz ELPDData
        ``elpd``, its standard error, ``p``, and Pareto k per row.

    Examples
    --------
    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")  # Pareto k warnings on these prior draws
    ...     result = fit.loo()
    >>> bool(np.isfinite(result.elpd))
    True
    """
    import arviz as az
    import xarray as xr

    tree = fit.idata
    tree["log_likelihood"] = xr.DataTree(log_likelihood(fit, data).to_dataset())
    return az.loo(tree)
