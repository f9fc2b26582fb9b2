"""Per-group kernels in loop form, for any number of coefficients ``D``.

Template of :mod:`pandas_hier.kernels.generate`: beyond ``UNROLL_MAX`` coefficients the
generated module uses these loops over matrix entries instead of straight-line code (same
algebra, same signatures; compiles in seconds at any size). The loops read every entry of the
scale matrix ``L``, so one implementation serves diagonal and lower-triangular scales alike
(entries outside a level's pattern are zero); only the gradient is masked to the pattern, as
the unrolled code writes no other entry.
"""

# --- for tooling only: the generator replaces everything above the marker line with the
# generated module's own header, so that this file can be read, linted and imported as it is.
from pandas_hier.kernels.templates._tooling import _JIT, PIVOT_MAX, D, _floor1, njit, np  # noqa: F401

# --- template: everything below is copied into the generated module ---

@njit(**_JIT)
def _matmul(A, B, out):
    """out = A B for D x D matrices."""
    for i in range(D):
        for b in range(D):
            s = 0.0
            for a in range(D):
                s += A[i, a] * B[a, b]
            out[i, b] = s


@njit(**_JIT)
def up_diag(P, h, c, K, R, Ls, row0, per_group, lo, hi, parent, base, Pp, hp, cp):
    W = np.empty((3, D, D))
    logdet = 0.0
    for j in range(lo, hi):
        L = Ls[row0 + (j - lo) * per_group]
        for i in range(D):  # W0 = L'P
            for b in range(D):
                s = 0.0
                for a in range(D):
                    s += L[a, i] * P[j, a, b]
                W[0, i, b] = s
        for i in range(D):  # W1 = I + L'PL (lower triangle)
            for b in range(i + 1):
                s = 1.0 if i == b else 0.0
                for a in range(D):
                    s += W[0, i, a] * L[a, b]
                W[1, i, b] = s
        det = 1.0
        for b in range(D):  # R = chol(W1), squared pivots floored at 1
            s = W[1, b, b]
            for a in range(b):
                s -= R[j, b, a] * R[j, b, a]
            s = _floor1(s)
            det *= s
            if det > 1e200:  # many large pivots: bank the log before the product overflows
                logdet += np.log(det)
                det = 1.0
            R[j, b, b] = np.sqrt(s)
            for i in range(b + 1, D):
                s = W[1, i, b]
                for a in range(b):
                    s -= R[j, i, a] * R[j, b, a]
                R[j, i, b] = s / R[j, b, b]
            for i in range(b):
                R[j, i, b] = 0.0
        for b in range(D):  # W2 = Y = R^-1 L'
            for i in range(D):
                s = L[b, i]
                for a in range(i):
                    s -= R[j, i, a] * W[2, a, b]
                W[2, i, b] = s / R[j, i, i]
        for i in range(D):  # K = Y'Y
            for b in range(i + 1):
                s = 0.0
                for a in range(D):
                    s += W[2, a, i] * W[2, a, b]
                K[j, i, b] = s
                K[j, b, i] = s
        logdet += np.log(det)
        cc = 0.0
        for i in range(D):
            u = 0.0
            for a in range(D):
                u += W[2, i, a] * h[j, a]
            cc += 0.5 * u * u
        for i in range(D):  # W0 = PK
            for b in range(D):
                s = 0.0
                for a in range(D):
                    s += P[j, i, a] * K[j, a, b]
                W[0, i, b] = s
        q = base + parent[j]
        for i in range(D):
            for b in range(D):
                s = P[j, i, b]
                for a in range(D):
                    s -= W[0, i, a] * P[j, a, b]
                Pp[q, i, b] += s
            s = h[j, i]
            for a in range(D):
                s -= W[0, i, a] * h[j, a]
            hp[q, i] += s
        cp[q] += c[j] + cc
    return logdet


@njit(**_JIT)
def _down(P, h, K, Ls, row0, per_group, lo, hi, parent, base, mean, cov, dL, want_grad, tri):
    W = np.empty((5, D, D))
    w = np.empty((2, D))
    for j in range(lo, hi):
        row = row0 + (j - lo) * per_group
        L = Ls[row]
        q = base + parent[j]
        for i in range(D):  # W0 = A = I - KP
            for b in range(D):
                s = 1.0 if i == b else 0.0
                for a in range(D):
                    s -= K[j, i, a] * P[j, a, b]
                W[0, i, b] = s
        for i in range(D):
            s = 0.0
            for a in range(D):
                s += W[0, i, a] * mean[q, a] + K[j, i, a] * h[j, a]
            mean[j, i] = s
        _matmul(W[0], cov[q], W[1])  # W1 = A V_p
        for i in range(D):
            for b in range(i + 1):
                s = K[j, i, b]
                for a in range(D):
                    s += W[1, i, a] * W[0, b, a]
                cov[j, i, b] = s
                cov[j, b, i] = s
        if not want_grad:
            continue
        for i in range(D):  # w0 = r = h - P m_p
            s = h[j, i]
            for a in range(D):
                s -= P[j, i, a] * mean[q, a]
            w[0, i] = s
        for i in range(D):  # w1 = a = A'r
            s = 0.0
            for a in range(D):
                s += W[0, a, i] * w[0, a]
            w[1, i] = s
        for i in range(D):  # W2 = Q = PA (symmetric)
            for b in range(i + 1):
                s = 0.0
                for a in range(D):
                    s += P[j, i, a] * W[0, a, b]
                W[2, i, b] = s
                W[2, b, i] = s
        _matmul(W[2], cov[q], W[3])  # W3 = Q V_p
        for i in range(D):  # W4 = S = aa' + Q V_p Q - Q
            for b in range(D):
                s = w[1, i] * w[1, b] - W[2, i, b]
                for a in range(D):
                    s += W[3, i, a] * W[2, a, b]
                W[4, i, b] = s
        for i in range(D):
            for b in range(0 if tri else i, i + 1):  # the level's pattern only
                s = 0.0
                for a in range(D):
                    s += W[4, i, a] * L[a, b]
                dL[row, i, b] += s


@njit(**_JIT)
def draw_diag(P, h, K, R, Ls, row0, per_group, lo, hi, parent, base, theta, eps):
    w = np.empty((2, D))
    for j in range(lo, hi):
        L = Ls[row0 + (j - lo) * per_group]
        q = base + parent[j]
        for i in range(D):  # w0 = h - P mu
            s = h[j, i]
            for a in range(D):
                s -= P[j, i, a] * theta[q, a]
            w[0, i] = s
        for i in range(D - 1, -1, -1):  # w1 = z, R'z = eps
            s = eps[j, i]
            for a in range(i + 1, D):
                s -= R[j, a, i] * w[1, a]
            w[1, i] = s / R[j, i, i]
        for i in range(D):  # theta = mu + K (h - P mu) + L z
            s = theta[q, i]
            for a in range(D):
                s += K[j, i, a] * w[0, a] + L[i, a] * w[1, a]
            theta[j, i] = s


@njit(**_JIT)
def down_diag(P, h, K, Ls, row0, per_group, lo, hi, parent, base, mean, cov, dL, want_grad):
    _down(P, h, K, Ls, row0, per_group, lo, hi, parent, base, mean, cov, dL, want_grad, False)


@njit(**_JIT)
def down_tri(P, h, K, Ls, row0, per_group, lo, hi, parent, base, mean, cov, dL, want_grad):
    _down(P, h, K, Ls, row0, per_group, lo, hi, parent, base, mean, cov, dL, want_grad, True)


up_tri = up_diag  # reads every entry of L: serves both patterns
draw_tri = draw_diag
