"""Row passes of the augmented Gibbs sampler (:mod:`pandas_hier.backend.augmented`), compiled
with numba: the linear predictor of every row, and weighted per-leaf sufficient statistics.

Given per-row precision weights ``w`` and a working response ``z``, the rows' Gaussian
pseudo-likelihood ``prod_i N(z_i | x_i' theta_leaf, 1 / w_i)`` needs per leaf only ``n``,
``X'WX``, ``X'Wz`` and ``z'Wz``: the statistics the exact marginal kernel
(:mod:`pandas_hier.kernels`) takes. For Pólya-Gamma augmentation the working response is
``kappa / omega``; passing ``wz = kappa`` directly avoids dividing by a small ``omega``.

The Poisson's per-group Metropolis-Hastings proposals (:mod:`pandas_hier.backend.leafmh`) need
a Newton step and a Gaussian draw per group of small ``c x c`` systems: :func:`newton_step`
does them all in one loop (batched ``numpy.linalg`` calls cost more than their arithmetic);
its slice updates of a scale evaluate :func:`poisson_loglik_shifted` many times per sweep.

Examples
--------
>>> import numpy as np
>>> from pandas_hier.kernels.rows import linear_predictor, newton_step, weighted_stats
>>> X = np.array([[1.0, -1.0], [1.0, 1.0], [1.0, 0.0]])
>>> leaf = np.array([0, 0, 1])
>>> linear_predictor(X, leaf, np.array([[0.5, 1.0], [2.0, 0.0]])).tolist()
[-0.5, 1.5, 2.0]
>>> n, xtx, xty, yty = weighted_stats(X, leaf, np.array([1.0, 2.0, 1.0]),
...                                   np.array([1.0, 4.0, 5.0]), np.array([1.0, 8.0, 25.0]), 2)
>>> n.tolist(), xtx[0].tolist(), xty[0].tolist(), yty.tolist()
([2.0, 1.0], [[3.0, 1.0], [1.0, 3.0]], [5.0, 3.0], [9.0, 25.0])
>>> step, noise, logdet = newton_step(np.array([[[4.0, 2.0], [2.0, 5.0]]]), np.array([[2.0, 1.0]]),
...                                   np.zeros((1, 2)))
>>> step.round(6).tolist(), round(float(logdet[0]), 6)  # H^-1 g; log det(H) / 2 = log(16) / 2
([[0.5, 0.0]], 1.386294)
"""

from __future__ import annotations

import numpy as np
from numba import njit

__all__ = [
    "dispersion_terms", "group_newton_stats", "linear_predictor", "mixture_stats", "logistic_loglik_shifted",
    "newton_step", "poisson_loglik_shifted", "weighted_stats",
]


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
    cnt, xtx, xty, yty = _empty_stats(n_leaves, d)
    for i in range(n):
        _add_row(cnt, xtx, xty, yty, X, i, leaf[i], w[i], wz[i], wzz[i])
    _mirror(xtx)
    return cnt, xtx, xty, yty


@njit(cache=True, nogil=True)
def mixture_stats(X, leaf, y, theta, offset, gam, sigma, nu, n_leaves):
    """Student-t's Gamma scale mixture in one pass: given standard Gamma draws ``gam`` of shape
    ``(nu + 1) / 2``, each row's weight ``lambda_i = 2 gam_i / (nu + r_i^2)`` with residual
    ``r_i = (y_i - x_i' theta[leaf_i] - offset_i) / sigma`` (a draw of
    ``Gamma((nu + 1) / 2, rate (nu + r_i^2) / 2)``), written into ``gam``, and the per-leaf
    statistics of :func:`weighted_stats` with ``w = lambda``, ``wz = lambda y`` and
    ``wzz = lambda y^2``.

    Examples
    --------
    >>> import numpy as np
    >>> X, leaf, theta = np.ones((2, 1)), np.array([0, 0]), np.array([[1.0]])
    >>> y, offset, gam = np.array([1.0, 3.0]), np.zeros(2), np.array([1.0, 1.0])
    >>> n, xtx, xty, yty = mixture_stats(X, leaf, y, theta, offset, gam, 1.0, 2.0, 1)
    >>> gam.tolist(), xtx[0].tolist(), xty[0].tolist(), yty.tolist()  # r = 0, 2: weights 2/2, 2/6
    ([1.0, 0.3333333333333333], [[1.3333333333333333]], [2.0], [4.0])
    """
    n, d = X.shape
    cnt, xtx, xty, yty = _empty_stats(n_leaves, d)
    for i in range(n):
        g = leaf[i]
        e = offset[i]
        for a in range(d):
            e += X[i, a] * theta[g, a]
        r = (y[i] - e) / sigma
        lam = 2.0 * gam[i] / (nu + r * r)
        gam[i] = lam
        wz = lam * y[i]
        _add_row(cnt, xtx, xty, yty, X, i, g, lam, wz, wz * y[i])
    _mirror(xtx)
    return cnt, xtx, xty, yty


@njit(cache=True, nogil=True)
def _empty_stats(n_leaves, d):
    return np.zeros(n_leaves), np.zeros((n_leaves, d, d)), np.zeros((n_leaves, d)), np.zeros(n_leaves)


@njit(cache=True, nogil=True, inline="always")
def _add_row(cnt, xtx, xty, yty, X, i, g, w, wz, wzz):
    cnt[g] += 1.0
    yty[g] += wzz
    for a in range(X.shape[1]):
        xa = X[i, a]
        xty[g, a] += wz * xa
        wxa = w * xa
        for b in range(a + 1):
            xtx[g, a, b] += wxa * X[i, b]


@njit(cache=True, nogil=True)
def _mirror(xtx):
    n_leaves, d, _ = xtx.shape
    for g in range(n_leaves):
        for a in range(d):
            for b in range(a):
                xtx[g, b, a] = xtx[g, a, b]


@njit(cache=True, nogil=True)
def newton_step(H, g, z):
    """Per group ``k``, with ``C C' = H[k]`` (Cholesky): ``H[k]^-1 g[k]``, ``C'^-1 z[k]`` (a
    draw of ``N(0, H[k]^-1)`` for standard normal ``z[k]``) and ``sum log diag C``. A group whose
    ``H`` is not positive definite gets NaN throughout.

    Parameters
    ----------
    H : ndarray (G, c, c)
    g, z : ndarray (G, c)
    """
    G, c = g.shape
    step = np.empty((G, c))
    noise = np.empty((G, c))
    logdet = np.empty(G)
    C = np.zeros((c, c))
    tmp = np.empty(c)
    for k in range(G):
        ok = True
        for i in range(c):
            for j in range(i + 1):
                s = H[k, i, j]
                for m in range(j):
                    s -= C[i, m] * C[j, m]
                if i == j:
                    if not s > 0.0:
                        ok = False
                        s = 1.0
                    C[i, i] = np.sqrt(s)
                else:
                    C[i, j] = s / C[j, j]
        if not ok:
            step[k] = np.nan
            noise[k] = np.nan
            logdet[k] = np.nan
            continue
        ld = 0.0
        for i in range(c):
            ld += np.log(C[i, i])
            s = g[k, i]
            for m in range(i):
                s -= C[i, m] * tmp[m]
            tmp[i] = s / C[i, i]
        logdet[k] = ld
        for i in range(c - 1, -1, -1):
            s = tmp[i]
            t = z[k, i]
            for m in range(i + 1, c):
                s -= C[m, i] * step[k, m]
                t -= C[m, i] * noise[k, m]
            step[k, i] = s / C[i, i]
            noise[k, i] = t / C[i, i]
    return step, noise, logdet


@njit(cache=True, nogil=True, inline="always")
def _shifted(eta, Xc, group, delta, i):
    """Row ``i``'s linear predictor after moving its group by ``delta``:
    ``eta_i + Xc_i' delta[group_i]``."""
    e = eta[i]
    g = group[i]
    for a in range(Xc.shape[1]):
        e += Xc[i, a] * delta[g, a]
    return e


@njit(cache=True, nogil=True, inline="always")
def _log_sum(e, log_alpha):
    """``log(alpha + exp(e))`` (to absolute precision), ``p = exp(e) / (alpha + exp(e))`` and
    ``1 - p`` (each to relative precision) with one ``exp`` and one ``log``: a third less time
    per pass than two ``exp``s as in ``logaddexp`` (``log1p`` costs more still), no overflow."""
    q = np.exp(-abs(e - log_alpha))
    lse = max(e, log_alpha) + np.log(1.0 + q)
    big, small = 1.0 / (1.0 + q), q / (1.0 + q)
    return (lse, big, small) if e >= log_alpha else (lse, small, big)


@njit(cache=True, nogil=True)
def poisson_loglik_shifted(y, eta, Xc, group, delta):
    """``sum_i y_i e_i - exp(e_i)`` with ``e_i = eta_i + Xc_i' delta[group_i]``: the Poisson
    log-likelihood (less its constant) after moving each group's coefficients by ``delta``,
    in one pass without temporaries.

    Examples
    --------
    >>> import numpy as np
    >>> y, eta = np.array([1.0, 3.0]), np.array([0.0, 0.5])
    >>> Xc, group, delta = np.ones((2, 1)), np.array([0, 1]), np.array([[0.0], [0.5]])
    >>> e = eta + np.array([0.0, 0.5])
    >>> bool(np.isclose(poisson_loglik_shifted(y, eta, Xc, group, delta), np.sum(y * e - np.exp(e))))
    True
    """
    total = 0.0
    for i in range(Xc.shape[0]):
        e = _shifted(eta, Xc, group, delta, i)
        total += y[i] * e - np.exp(e)
    return total


@njit(cache=True, nogil=True)
def logistic_loglik_shifted(y, b, log_alpha, eta, Xc, group, delta):
    """``sum_i y_i e_i - b_i log(alpha + exp(e_i))`` with ``e_i = eta_i + Xc_i' delta[group_i]``,
    after moving each group by ``delta``: up to a constant, the negative binomial log-likelihood
    of cells of ``n_i`` rows with summed count ``y_i`` (``b_i = n_i alpha + y_i``), or the
    binomial's of ``y_i`` successes in ``b_i`` trials (``alpha = 1``).

    Examples
    --------
    >>> import numpy as np
    >>> y, b, eta = np.array([1.0, 3.0]), np.array([3.0, 5.0]), np.array([0.0, 0.5])
    >>> Xc, group, delta = np.ones((2, 1)), np.array([0, 1]), np.array([[0.0], [0.5]])
    >>> e = eta + np.array([0.0, 0.5])
    >>> want = np.sum(y * e - b * np.log(2.0 + np.exp(e)))
    >>> bool(np.isclose(logistic_loglik_shifted(y, b, np.log(2.0), eta, Xc, group, delta), want))
    True
    """
    total = 0.0
    for i in range(Xc.shape[0]):
        e = _shifted(eta, Xc, group, delta, i)
        total += y[i] * e - b[i] * _log_sum(e, log_alpha)[0]
    return total


@njit(cache=True, nogil=True)
def group_newton_stats(y, b, log_alpha, eta, Xc, group, n_groups, logistic):
    """Per group, in one pass over its cells: the log-likelihood (up to a constant), the
    curvature ``sum w x x'`` and the gradient ``sum r x`` in the group's coefficients (the
    cells' predictors ``Xc``), at linear predictor ``eta``. Poisson (``logistic`` false):
    ``y e - exp(e)``, ``w = mu``, ``r = y - mu``. Logistic type: ``y e - b log(alpha + exp(e))``,
    ``w = b p (1 - p)``, ``r = y - b p`` with ``p = mu / (alpha + mu)`` (``b`` unused for the
    Poisson). These are the Newton (IWLS) statistics of :mod:`pandas_hier.backend.leafmh`'s
    moves; as numpy passes they took three times as long (negative binomial, 47k cells).

    Examples
    --------
    >>> import numpy as np
    >>> y, eta, Xc = np.array([1.0, 3.0]), np.array([0.0, 0.5]), np.ones((2, 1))
    >>> ll, xtx, grad = group_newton_stats(y, y, 0.0, eta, Xc, np.zeros(2, np.int64), 1, False)
    >>> mu = np.exp(eta)
    >>> bool(np.allclose([ll[0], xtx[0, 0, 0], grad[0, 0]], [np.sum(y * eta - mu), mu.sum(), np.sum(y - mu)]))
    True
    """
    c = Xc.shape[1]
    ll, xtx, grad = np.zeros(n_groups), np.zeros((n_groups, c, c)), np.zeros((n_groups, c))
    for i in range(Xc.shape[0]):
        e, g = eta[i], group[i]
        if logistic:
            lse, p, not_p = _log_sum(e, log_alpha)
            bp = b[i] * p
            ll[g] += y[i] * e - b[i] * lse
            w, r = bp * not_p, y[i] - bp
        else:
            mu = np.exp(e)
            ll[g] += y[i] * e - mu
            w, r = mu, y[i] - mu
        for a in range(c):
            xa = Xc[i, a]
            grad[g, a] += r * xa
            for k in range(a + 1):
                xtx[g, a, k] += w * xa * Xc[i, k]
    _mirror(xtx)
    return ll, xtx, grad


@njit(cache=True, nogil=True)
def dispersion_terms(y, rows, eta, alpha):
    """``T(alpha) = sum_i y_i eta_i - (rows_i alpha + y_i) log(alpha + exp(eta_i))`` and its
    first two derivatives in ``alpha``, in one pass: the part of the negative binomial
    log-likelihood of cells (``rows_i`` rows, summed count ``y_i``, linear predictor
    ``eta_i``) that needs the cells; the rest needs only the rows' distinct counts.

    Examples
    --------
    >>> import numpy as np
    >>> y, rows, eta = np.array([1.0, 4.0]), np.array([1.0, 2.0]), np.array([0.3, 0.9])
    >>> T = lambda a: np.sum(y * eta - (rows * a + y) * np.log(a + np.exp(eta)))
    >>> t, d1, d2 = dispersion_terms(y, rows, eta, 2.0)
    >>> h = 1e-4
    >>> bool(np.allclose([t, d1, d2], [T(2.0), (T(2 + h) - T(2 - h)) / (2 * h),
    ...                                (T(2 + h) - 2 * T(2.0) + T(2 - h)) / h**2], rtol=1e-5))
    True
    """
    log_a = np.log(alpha)
    t = d1 = d2 = 0.0
    for i in range(len(y)):
        e = eta[i]
        lse, _, not_p = _log_sum(e, log_a)
        inv = not_p / alpha  # 1 / (alpha + mu)
        b = rows[i] * alpha + y[i]
        t += y[i] * e - b * lse
        d1 -= rows[i] * lse + b * inv
        d2 -= (2.0 * rows[i] - b * inv) * inv
    return t, d1, d2
