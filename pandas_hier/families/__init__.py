"""Likelihood families: everything about one family lives in one module, registered here.

A family module defines a :class:`Family` subclass and one instance ``FAMILY``: its name, link,
extra parameters (Student-t's ``nu``), whether the exact Gaussian marginal engine applies, the
PyMC log-density of a row, and the numpy log-pdf and random draws used by posterior predictive
checks, LOO and prediction. Adding a family means adding a module and naming it in ``_MODULES``.

Examples
--------
>>> from pandas_hier import families
>>> sorted(families.FAMILIES)
['bernoulli', 'binomial', 'cauchy', 'negbinomial', 'normal', 'poisson', 'studentt']
>>> families.get("studentt").extra
('nu',)
"""

from __future__ import annotations

from pandas_hier.families import bernoulli, binomial, cauchy, negbinomial, normal, poisson, studentt
from pandas_hier.families.base import Family

__all__ = ["FAMILIES", "Family", "get"]

_MODULES = (normal, studentt, cauchy, bernoulli, binomial, poisson, negbinomial)
#: Every family by name, in the order the documentation lists them.
FAMILIES: dict[str, Family] = {m.FAMILY.name: m.FAMILY for m in _MODULES}


def get(name: str) -> Family:
    """The family called ``name`` (``fit(likelihood=...)``); ``KeyError`` lists the names."""
    try:
        return FAMILIES[name]
    except KeyError:
        raise KeyError(f"unknown likelihood {name!r}; choose from {list(FAMILIES)}") from None
