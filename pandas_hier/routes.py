"""Which route samples a model: the exact marginal engine (Gaussian), the augmented Gibbs
sampler (:mod:`pandas_hier.backend.augmented`) or NUTS on the row-level model, centred or
non-centred per level. Nothing here imports PyMC.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from pandas_hier import families
from pandas_hier.options import FitOptions

__all__ = ["leaf_mh_covers", "resolve_parameterization"]


def resolve_parameterization(
    opts: FitOptions, rows_per_group: Sequence[np.ndarray], threshold: int = 100,
    varying: np.ndarray | None = None,
) -> tuple[str, ...]:
    """Per-level parameterization. ``auto``: marginal for a Gaussian likelihood, augmented for
    a family with an augmentation (and Normal priors on the global coefficients; for the
    Poisson, every coefficient varying at the leaf level or at none, ``varying``); otherwise
    centred for levels whose every group has at least ``threshold`` rows, else non-centred.

    Examples
    --------
    >>> import numpy as np
    >>> from pandas_hier.routes import resolve_parameterization
    >>> from pandas_hier.options import FitOptions, varying_mask
    >>> top_slope = np.array([[True, True], [True, False]])  # a slope varying by the top only
    >>> resolve_parameterization(FitOptions(likelihood="poisson"), [np.array([500]), np.array([20])],
    ...                          varying=top_slope)
    ('centered', 'noncentered')
    >>> resolve_parameterization(FitOptions(likelihood="bernoulli"), [np.array([500]), np.array([20])])
    ('augmented', 'augmented')
    """
    k = len(rows_per_group)
    family = families.get(opts.likelihood)
    covered = family.augmentation != "leaf-mh" or varying is None or leaf_mh_covers(varying)
    if opts.parameterization == "augmented" and not covered:
        raise ValueError(
            f"parameterization='augmented' for likelihood={opts.likelihood!r} needs every "
            "coefficient to vary at the leaf level or at no level (varying=); use 'auto', "
            "'centered' or 'noncentered' for this model"
        )
    if opts.parameterization != "auto":
        return (opts.parameterization,) * k
    if family.marginal:
        return ("marginal",) * k
    if family.augmentation and _normal_global_priors(opts) and covered:
        return ("augmented",) * k
    return tuple(
        "centered" if len(n) and int(np.min(n)) >= threshold else "noncentered"
        for n in rows_per_group
    )


def leaf_mh_covers(varying: np.ndarray) -> bool:
    """Whether the Poisson's per-leaf sampler (:mod:`pandas_hier.backend.leafmh`) covers a
    model: every coefficient varies at the leaf level or at none (``varying``: levels x coefs)."""
    varying = np.asarray(varying, dtype=bool)
    return bool(np.all(varying[-1] | ~varying.any(axis=0)))


def _normal_global_priors(opts: FitOptions) -> bool:
    """Whether the global coefficients have Normal priors (what the exact kernel integrates)."""
    return all(opts.prior(key)[0].dist == "Normal" for key in ("intercept", "slope"))
