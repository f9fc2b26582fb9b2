"""Row passes of the augmented Gibbs sampler (:mod:`pandas_hier.backend.augmented`), compiled
with numba: the linear predictor of every row, and weighted per-leaf sufficient statistics.

Given per-row precision weights ``w`` and a working response ``z``, the rows' Gaussian
pseudo-likelihood ``prod_i N(z_i | x_i' theta_leaf, 1 / w_i)`` needs per leaf only ``n``,
``X'WX``, ``X'Wz`` and ``z'Wz``: the statistics the exact marginal kernel
(:mod:`pandas_hier.kernels`) takes. For Pólya-Gamma augmentation the working response is
``kappa / omega``; passing ``wz = kappa`` directly avoids dividing by a small ``omega``.

Examples
--------
>>> import numpy as np
>>> from pandas_hier.kernels.rows import linear_predictor, weighted_stats
>>> X = np.array([[1.0, -1.0], [1.0, 1.0], [1.0, 0.0]])
>>> leaf = np.array([0, 0, 1])
>>> linear_predictor(X, leaf, np.array([[0.5, 1.0], [2.0, 0.0]])).tolist()
[-0.5, 1.5, 2.0]
>>> n, xtx, xty, yty = weighted_stats(X, leaf, np.array([1.0, 2.0, 1.0]),
...                                   np.array([1.0, 4.0, 5.0]), np.array([1.0, 8.0, 25.0]), 2)
>>> n.tolist(), xtx[0].tolist(), xty[0].tolist(), yty.tolist()
([2.0, 1.0], [[3.0, 1.0], [1.0, 3.0]], [5.0, 3.0], [9.0, 25.0])
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = ["linear_predictor", "weighted_stats"]


@njit(cache=True, nogil=True)
def linear_predictor(X, leaf, theta):
    """``eta_i = x_i' theta[leaf_i]`` for every row."""
    n, d = X.shape
    out = np.empty(n)
    for i in range(n):
        g = leaf[i]
        s = 0.0
        for a in range(d):
            s += X[i, a] * theta[g, a]
        out[i] = s
    return out


@njit(cache=True, nogil=True)
def weighted_stats(X, leaf, w, wz, wzz, n_leaves):
    """Per leaf: the row count, ``sum w x x'``, ``sum wz x`` and ``sum wzz``.

    Parameters
    ----------
    X : ndarray (n, d)
    leaf : int ndarray (n,)
    w : ndarray (n,)
        Precision weights.
    wz : ndarray (n,)
        Weight times working response.
    wzz : ndarray (n,)
        Weight times squared working response (zeros where the term is a constant).
    n_leaves : int
    """
    n, d = X.shape
    cnt = np.zeros(n_leaves)
    xtx = np.zeros((n_leaves, d, d))
    xty = np.zeros((n_leaves, d))
    yty = np.zeros(n_leaves)
    for i in range(n):
        g = leaf[i]
        cnt[g] += 1.0
        yty[g] += wzz[i]
        for a in range(d):
            xa = X[i, a]
            xty[g, a] += wz[i] * xa
            wxa = w[i] * xa
            for b in range(a + 1):
                xtx[g, a, b] += wxa * X[i, b]
    for g in range(n_leaves):
        for a in range(d):
            for b in range(a):
                xtx[g, b, a] = xtx[g, a, b]
    return cnt, xtx, xty, yty
