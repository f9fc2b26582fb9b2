"""Drivers of the generated kernel module: the passes up and down the tree, for any ``D``.

Template of :mod:`pandas_hier.kernels.generate`, which puts the per-group functions
(``up_diag``, ``down_tri``, ...: unrolled or from ``loops.py``) above it. See
:mod:`pandas_hier.kernels` for the arguments.
"""

# --- for tooling only: the generator replaces everything above the marker line with the
# generated module's own header, so that this file can be read, linted and imported as it is.
from pandas_hier.kernels.templates._tooling import _JIT, PIVOT_MAX, D, _floor1, njit, np  # noqa: F401


def _per_group(*args):  # stand-ins for the generated per-group functions
    raise NotImplementedError


up_diag = up_tri = down_diag = down_tri = draw_diag = draw_tri = _per_group


# --- template: everything below is copied into the generated module ---

@njit(**_JIT)
def _level(off, loff, parents, zero, root, lev):
    """Level ``lev``'s groups ``lo:hi``, where its parents start, their map, and whether each
    group has its own scale row (else one row serves the level)."""
    base = root if lev == 1 else off[lev - 2]
    par = zero if lev == 1 else parents
    pg = 1 if loff[lev] - loff[lev - 1] > 1 else 0
    return off[lev - 1], off[lev], base, par, pg


@njit(**_JIT)
def up_pass(sigma, Ls, loff, kinds, n, xtx, xty, yty, parents, off, m0, s0):
    k = off.shape[0] - 1
    root = off[k]
    total = root + 1
    P = np.zeros((total, D, D))
    h = np.zeros((total, D))
    c = np.zeros(total)
    K = np.empty((total, D, D))
    R = np.zeros((total, D, D))
    zero = np.zeros(total, np.int64)
    inv = 1.0 / (sigma * sigma)
    logc = np.log(2.0 * np.pi * sigma * sigma)
    first = off[k - 1]
    for g in range(root - first):
        j = first + g
        for a in range(D):
            h[j, a] = xty[g, a] * inv
            for b in range(D):
                P[j, a, b] = xtx[g, a, b] * inv
        c[j] = -0.5 * n[g] * logc - 0.5 * yty[g] * inv
    logdet = 0.0
    for lev in range(k, 0, -1):
        lo, hi, base, par, pg = _level(off, loff, parents, zero, root, lev)
        if kinds[lev - 1] == 1:
            logdet += up_tri(P, h, c, K, R, Ls, loff[lev - 1], pg, lo, hi, par, base, P, h, c)
        else:
            logdet += up_diag(P, h, c, K, R, Ls, loff[lev - 1], pg, lo, hi, par, base, P, h, c)
    L0 = np.zeros((1, D, D))
    for a in range(D):
        L0[0, a, a] = s0[a]
    Pq = np.zeros((1, D, D))
    hq = np.zeros((1, D))
    cq = np.zeros(1)
    logdet += up_diag(P, h, c, K, R, L0, 0, 0, root, total, zero, 0, Pq, hq, cq)
    ll = cq[0] - 0.5 * logdet
    for a in range(D):
        ll += hq[0, a] * m0[a]
        for b in range(D):
            ll -= 0.5 * m0[a] * Pq[0, a, b] * m0[b]
    return ll, P, h, K, R, L0, zero


@njit(**_JIT)
def loglik_grad(sigma, Ls, loff, kinds, n, xtx, xty, yty, parents, off, m0, s0, want_grad):
    dL = np.zeros(Ls.shape)
    # Outside the range where float64 can represent the algebra (sigma^2 underflowing to 0 or
    # overflowing, an infinite scale), the density is taken as 0: -inf, never NaN or an error.
    if not (sigma * sigma > 1e-250 and sigma < 1e100 and np.all(np.isfinite(Ls))):
        return -np.inf, 0.0, dL
    data = (n, xtx, xty, yty, parents, off, m0, s0)
    ll, P, h, K, R, L0, zero = up_pass(sigma, Ls, loff, kinds, *data)
    if not np.isfinite(ll):
        return -np.inf, 0.0, dL
    if not want_grad:
        return ll, 0.0, dL
    k = off.shape[0] - 1
    root = off[k]
    total = root + 1
    first = off[k - 1]
    mean = np.zeros((total + 1, D))  # row total: the fixed prior mean of the global group
    cov = np.zeros((total + 1, D, D))
    for a in range(D):
        mean[total, a] = m0[a]
    down_diag(P, h, K, L0, 0, 0, root, total, zero, total, mean, cov, L0, False)
    for lev in range(1, k + 1):
        lo, hi, base, par, pg = _level(off, loff, parents, zero, root, lev)
        if kinds[lev - 1] == 1:
            down_tri(P, h, K, Ls, loff[lev - 1], pg, lo, hi, par, base, mean, cov, dL, True)
        else:
            down_diag(P, h, K, Ls, loff[lev - 1], pg, lo, hi, par, base, mean, cov, dL, True)
    dsigma = 0.0
    for g in range(root - first):
        j = first + g
        e = yty[g]
        for a in range(D):
            e -= 2.0 * mean[j, a] * xty[g, a]
            for b in range(D):
                e += xtx[g, a, b] * (cov[j, a, b] + mean[j, a] * mean[j, b])
        dsigma += -n[g] / sigma + e / (sigma * sigma * sigma)
    return ll, dsigma, dL


@njit(**_JIT)
def draw(sigmas, Ls, loff, kinds, n, xtx, xty, yty, parents, off, m0, s0, eps):
    S = sigmas.shape[0]
    k = off.shape[0] - 1
    root = off[k]
    total = root + 1
    theta = np.empty((S, total + 1, D))
    for s in range(S):
        ll, P, h, K, R, L0, zero = up_pass(
            sigmas[s], Ls[s], loff, kinds, n, xtx, xty, yty, parents, off, m0, s0
        )
        th = theta[s]
        for a in range(D):
            th[total, a] = m0[a]
        e = eps[s]
        draw_diag(P, h, K, R, L0, 0, 0, root, total, zero, total, th, e)
        for lev in range(1, k + 1):
            lo, hi, base, par, pg = _level(off, loff, parents, zero, root, lev)
            if kinds[lev - 1] == 1:
                draw_tri(P, h, K, R, Ls[s], loff[lev - 1], pg, lo, hi, par, base, th, e)
            else:
                draw_diag(P, h, K, R, Ls[s], loff[lev - 1], pg, lo, hi, par, base, th, e)
    return theta
