"""One name per concept: the registry of variable and dimension names, and the one type for the
scale of a level's group offsets.

Every variable of the model and of a fit's DataTree is named here (``names.sd("county")`` is
``"sd_county"``); no other module spells such a name out.

The scale of level ``l``'s offsets (``offset ~ N(0, L L')``) comes in three kinds
(:class:`ScaleKind`): one sd per varying coefficient (``LEVEL``), one sd per parent group and
varying coefficient (``PARENT``, the blog's choice), or an LKJ-correlated Cholesky factor
(``CHOL``). The kernel sees a diagonal (``LEVEL``, ``PARENT``) or lower-triangular (``CHOL``)
pattern.

Examples
--------
>>> from pandas_hier import names
>>> names.sd("county"), names.coef_dim("county")
('sd_county', 'coef_county')
>>> names.scale_kind(sd_per="parent", correlated=False, depth=1, n_varying=2)
<ScaleKind.PARENT: 'parent'>
"""

from __future__ import annotations

from enum import Enum

__all__ = [
    "ALPHA", "GLOBAL", "NU", "SIGMA", "ScaleKind", "b", "b_varying", "chol", "coef_dim", "coef_dim2",
    "corr", "label", "lkj", "parent", "pooling", "scale_kind", "sd", "z",
]  # fmt: skip

#: Global coefficients (dims chain, draw, coef).
GLOBAL = "b_global"
#: Residual sd.
SIGMA = "sigma"
#: The negative binomial's dispersion.
ALPHA = "alpha"
#: Student-t degrees of freedom.
NU = "nu"
#: Dimension of all coefficients (intercept and predictors).
COEF = "coef"


def b(level: str) -> str:
    """Total coefficients of every group of ``level`` (dims chain, draw, level, coef)."""
    return f"b_{level}"


def sd(level: str) -> str:
    """sd of the group offsets at ``level``."""
    return f"sd_{level}"


def chol(level: str) -> str:
    """Cholesky factor of the offsets' covariance at ``level`` (``correlated=True``)."""
    return f"chol_{level}"


def corr(level: str) -> str:
    """Correlation matrix of the offsets at ``level`` (``correlated=True``)."""
    return f"corr_{level}"


def lkj(level: str) -> str:
    """The sampled Cholesky factor of the LKJ correlation at ``level``."""
    return f"lkj_{level}"


def z(level: str) -> str:
    """Standardised offsets of a non-centred level."""
    return f"z_{level}"


def b_varying(level: str) -> str:
    """The varying coefficients of a centred level (before the fixed ones are filled in)."""
    return f"b_varying_{level}"


def pooling(level: str) -> str:
    """Pooling factor per group and varying coefficient (group ``pooling`` of the DataTree)."""
    return f"pooling_{level}"


def coef_dim(level: str) -> str:
    """Dimension of the coefficients that vary at ``level``."""
    return f"coef_{level}"


def coef_dim2(level: str) -> str:
    """Second dimension of a matrix over the varying coefficients (``corr``, ``chol``)."""
    return f"coef_{level}_"


def parent(level: str) -> str:
    """Non-dimension coordinate: the parent group's path label of each group."""
    return f"{level}_parent"


def label(level: str) -> str:
    """Non-dimension coordinate: each group's own label."""
    return f"{level}_label"


class ScaleKind(str, Enum):
    """The kind of a level's offset scale; see the module docstring."""

    LEVEL = "level"
    PARENT = "parent"
    CHOL = "chol"

    @property
    def triangular(self) -> bool:
        """Whether the scale matrices are lower-triangular (else diagonal)."""
        return self is ScaleKind.CHOL


def scale_kind(*, sd_per: str, correlated: bool, depth: int, n_varying: int) -> ScaleKind:
    """The kind of level ``depth``'s scale under the options (the one place that decides it)."""
    if correlated and n_varying >= 2:
        return ScaleKind.CHOL
    if sd_per == "parent" and depth > 0:
        return ScaleKind.PARENT
    return ScaleKind.LEVEL
