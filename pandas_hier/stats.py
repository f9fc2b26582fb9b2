"""Per-leaf sufficient statistics of a Gaussian linear model (numpy only).

For leaf ``g`` with design ``X_g`` (intercept column plus predictors) and response ``y_g``, the
Gaussian log-likelihood of coefficients ``theta`` and noise sd ``sigma`` needs only ``n_g``,
``X_g'X_g``, ``X_g'y_g`` and ``y_g'y_g``::

    loglik_g = -n_g/2 log(2 pi sigma^2) - (y'y - 2 theta'X'y + theta'X'X theta) / (2 sigma^2)

so the cost of evaluating it (and its gradient) scales with the number of leaves, not of rows.
The caller passes standardised (centred) data, which keeps the sums numerically safe.

Examples
--------
>>> import numpy as np
>>> from pandas_hier.stats import leaf_stats
>>> X = np.array([[1.0, -1.0], [1.0, 1.0], [1.0, 0.0]])
>>> s = leaf_stats(X, np.array([1.0, 3.0, 5.0]), np.array([0, 0, 1]), 2)
>>> s.n.tolist(), s.xtx[0].tolist(), s.xty[0].tolist(), s.yty.tolist()
([2.0, 1.0], [[2.0, 0.0], [0.0, 2.0]], [4.0, 2.0], [10.0, 25.0])
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from pandas_hier import progress

__all__ = ["LeafStats", "check_float64", "intercept_mean", "leaf_stats", "mean_sd"]


@dataclass(frozen=True)
class LeafStats:
    """Sufficient statistics per leaf: ``n`` (G,), ``xtx`` (G, d, d), ``xty`` (G, d), ``yty`` (G,)."""

    n: np.ndarray
    xtx: np.ndarray
    xty: np.ndarray
    yty: np.ndarray

    def loglik(self, theta: np.ndarray, sigma: float) -> float:
        """Gaussian log-likelihood of leaf coefficients ``theta`` (G, d) and noise sd ``sigma``."""
        quad = np.einsum("gi,gij,gj->g", theta, self.xtx, theta)
        resid = self.yty - 2.0 * np.einsum("gi,gi->g", theta, self.xty) + quad
        return float(
            np.sum(-0.5 * self.n * np.log(2 * np.pi * sigma**2) - 0.5 * resid / sigma**2)
        )


def leaf_stats(X: np.ndarray, y: np.ndarray, leaf: np.ndarray, n_leaves: int) -> LeafStats:
    """Accumulate ``n``, ``X'X``, ``X'y`` and ``y'y`` per leaf in float64, vectorised.

    Parameters
    ----------
    X : ndarray (n, d)
        Design matrix: intercept column and (standardised) predictors.
    y : ndarray (n,)
        (Standardised) response.
    leaf : ndarray of int (n,)
        Leaf code of every row, in ``0..n_leaves-1``.
    n_leaves : int
        Number of leaves (groups at the lowest level).

    Returns
    -------
    LeafStats

    Examples
    --------
    >>> import numpy as np
    >>> from pandas_hier.stats import leaf_stats
    >>> X = np.column_stack([np.ones(4), [0.0, 1.0, 2.0, 3.0]])
    >>> leaf_stats(X, np.array([1.0, 2.0, 3.0, 4.0]), np.array([0, 0, 1, 1]), 2).n.tolist()
    [2.0, 2.0]
    """
    X = np.asarray(X, dtype=np.float64)
    y = np.asarray(y, dtype=np.float64)
    leaf = np.asarray(leaf, dtype=np.int64)
    d = X.shape[1]
    with progress.step(f"computing the sufficient statistics of {len(y):,} rows"):
        xtx = np.empty((n_leaves, d, d))
        for i in range(d):
            for j in range(i, d):
                xtx[:, i, j] = xtx[:, j, i] = np.bincount(leaf, X[:, i] * X[:, j], n_leaves)
        xty = np.stack([np.bincount(leaf, X[:, i] * y, n_leaves) for i in range(d)], axis=1)
        return LeafStats(
            n=np.bincount(leaf, minlength=n_leaves).astype(np.float64),
            xtx=xtx,
            xty=xty,
            yty=np.bincount(leaf, y * y, minlength=n_leaves),
        )


def mean_sd(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Column means and sds computed on values divided by their largest magnitude, so that data
    near the float64 limits (1e200 squared overflows) are standardised exactly as any other."""
    big = np.max(np.abs(values), axis=0) if len(values) else np.ones(values.shape[1])
    big = np.where(big > 0, big, 1.0)
    scaled = values / big
    return scaled.mean(axis=0) * big, scaled.std(axis=0) * big


def check_float64(Xs: np.ndarray, ys: np.ndarray, xs: list, y, standardize: bool) -> None:
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


def intercept_mean(family, y: np.ndarray, trials, exposure) -> float:
    """The link of the outcome's overall mean (clipped away from 0 and 1): the centre of the
    default intercept prior of a GLM family."""
    if family.scale:
        return 0.0
    if family.link == "logit":
        p = float(np.sum(y) / (np.sum(trials) if trials is not None else len(y)))
        p = min(max(p, 1e-3), 1 - 1e-3)
        return float(np.log(p / (1 - p)))
    rate = float(np.sum(y) / (np.sum(exposure) if exposure is not None else len(y)))
    return float(np.log(max(rate, 1e-3)))
