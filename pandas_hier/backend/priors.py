"""Priors as PyMC random variables: the keyword arguments of a :class:`~pandas_hier.Prior`,
the group sds (sampled through softplus), and a family's extra parameters."""

from __future__ import annotations

import pymc as pm

from pandas_hier.options import FitOptions, Prior

__all__ = ["extra_rvs"]


def _params(prior: Prior, default: bool, scale) -> dict:
    """PyMC keyword arguments of a prior: defaults are scaled to the data, user priors are not."""
    params = prior.scaled(scale) if default else prior.params
    if prior.dist == "Exponential" and "scale" in params:
        params = {"lam": 1.0 / params.pop("scale"), **params}
    return params


def _rv(name: str, prior: Prior, default: bool, scale, **kwargs):
    return getattr(pm, prior.dist)(name, **_params(prior, default, scale), **kwargs)


def _sd_rv(name: str, prior: Prior, default: bool, scale, **kwargs):
    """An sd of group offsets, sampled as ``u = log(exp(sd) - 1)`` (``sd = softplus(u)``)
    where its prior lives on ``(0, inf)``; a bounded prior (``Uniform``) keeps its interval.

    Like ``log``, softplus is ``exp(u)`` for small sds; for large ones it is ``u`` itself, so a
    weakly identified sd whose posterior is close to its HalfNormal prior has a Gaussian upper
    tail in ``u`` instead of the double-exponential wall ``-exp(2u)/2`` of the log transform.
    That wall, next to the sd's long flat lower tail, gave divergences in every data-rich fit
    (a two-group top level beside precisely known lower levels): no single step size suits both.
    """
    if prior.dist != "Uniform":
        kwargs["default_transform"] = pm.distributions.transforms.log_exp_m1
    return _rv(name, prior, default, scale, **kwargs)


def extra_rvs(opts: FitOptions, family) -> dict:
    """The family's extra parameters: fixed by the options, or random variables under their
    priors (``nu``, ``alpha``)."""
    extra = dict(family.fixed(opts))
    for name in family.extra:
        if name not in extra:
            prior, default = opts.prior(name)
            extra[name] = _rv(name, prior, default, 1.0)
    return extra
