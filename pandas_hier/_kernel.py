"""Compiled marginal log-likelihood of the nested Gaussian model and its exact gradient.

One pass up the tree integrates every coefficient out (information form, as in
:mod:`pandas_hier._smallmat`); one pass down computes each group's posterior mean and covariance,
from which the gradient follows by Fisher's identity, so no reverse-mode graph is needed:

* group ``g`` with subtree potential ``(P, h)``, offset scale ``L`` (``D = L L'``), parent
  posterior ``N(m_p, V_p)``: with ``B = I + L'PL``, ``K = L B^-1 L'`` and ``A = I - K P``,
  ``d loglik / dD = S / 2`` where ``S = a a' + Q V_p Q - Q``, ``a = A'(h - P m_p)`` and
  ``Q = P A`` (symmetric); hence ``d loglik / dL = S L`` (no inverse of ``D``: an sd may be 0);
* the group's own posterior is ``N(A m_p + K h, A V_p A' + K)``;
* ``d loglik / d sigma = sum over leaves of -n / sigma + E||y - X theta||^2 / sigma^3``.

Work is ``O(groups x d^3)`` per call, independent of the number of rows.

Speed comes from straight-line code: for each number of coefficients ``d`` the per-group algebra
is unrolled symbolically (the :mod:`pandas_hier._smallmat` routines run on symbols that print
their arithmetic), written to a Python file in the cache directory and compiled with numba,
which caches the machine code next to it. Every value of a group then stays in registers; this
is several times faster than looping over matrix entries at run time. Straight-line code grows
as ``d^3`` and so does its compile time, so beyond :data:`UNROLL_MAX` coefficients the module
loops over matrix entries instead (same algebra, same signature). The first fit with a given
``d`` on a machine compiles (seconds); later processes load the cached code.

Arguments of ``loglik_grad`` (one fixed signature for any number of levels): level ``l = 1..k``
owns groups ``off[l-1]:off[l]`` of the concatenated ``parents`` (parent index within level
``l-1``; level 1's parent is the single global group) and rows ``loff[l-1]:loff[l]`` of ``Ls``
(one row per group, or one row shared by the level); ``kinds[l-1]`` is 0 when level ``l``'s
scale matrices are diagonal and 1 when lower-triangular (entries outside that pattern are taken
as zero and get no gradient).
"""

from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from pathlib import Path

from pandas_hier import _smallmat as sm

__all__ = ["cache_dir", "digest", "kernel", "marginal_loglik_grad"]

_LOCK = threading.Lock()
_MODULES: dict[str, object] = {}


class _Code:
    """Collects the statements of one generated function body."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.count = 0

    def let(self, expr: str) -> _Sym:
        self.count += 1
        name = f"t{self.count}"
        self.lines.append(f"{name} = {expr}")
        return _Sym(self, name)


class _Sym:
    """A scalar whose arithmetic is written out as code (floats stay constants)."""

    __slots__ = ("code", "name")

    def __init__(self, code: _Code, name: str) -> None:
        self.code = code
        self.name = name

    def _bin(self, other, op: str, swap: bool = False) -> _Sym:
        o = other.name if isinstance(other, _Sym) else repr(float(other))
        return self.code.let(f"{o} {op} {self.name}" if swap else f"{self.name} {op} {o}")

    def __add__(self, o):
        return self._bin(o, "+")

    def __radd__(self, o):
        return self._bin(o, "+", True)

    def __sub__(self, o):
        return self._bin(o, "-")

    def __rsub__(self, o):
        return self._bin(o, "-", True)

    def __mul__(self, o):
        return self._bin(o, "*")

    def __rmul__(self, o):
        return self._bin(o, "*", True)

    def __truediv__(self, o):
        return self._bin(o, "/")

    def __rtruediv__(self, o):
        return self._bin(o, "/", True)

    def __neg__(self):
        return self.code.let(f"-{self.name}")


def _fn(code: _Code, name: str):
    return lambda x: code.let(f"{name}({x.name})")


def _name(x) -> str:
    return x.name if isinstance(x, _Sym) else repr(float(0.0 if x is None else x))


def _sym_matrix(code: _Code, fmt: str, d: int) -> sm.Mat:
    """Load a symmetric matrix (lower triangle read, mirrored)."""
    M: sm.Mat = [[None] * d for _ in range(d)]
    for i in range(d):
        for b in range(i + 1):
            M[i][b] = M[b][i] = code.let(fmt.format(i=i, b=b))
    return M


def _scale(code: _Code, kind: str, d: int) -> sm.Mat:
    L: sm.Mat = [[None] * d for _ in range(d)]
    for i in range(d):
        for b in range(i + 1) if kind == "tri" else (i,):
            L[i][b] = code.let(f"Ls[row, {i}, {b}]")
    return L


def _mat(A: sm.Mat, B: sm.Mat, d: int) -> sm.Mat:
    return [
        [sm._sum(sm._mul(A[i][a], B[a][b]) for a in range(d)) for b in range(d)] for i in range(d)
    ]


def _t(A: sm.Mat, d: int) -> sm.Mat:
    return [[A[b][i] for b in range(d)] for i in range(d)]


def _k_matrix(code: _Code, R: sm.Mat, L: sm.Mat, d: int) -> tuple[sm.Mat, sm.Mat]:
    """``Y = R^-1 L'`` and ``K = Y'Y``."""
    cols = [sm.forward(R, [L[b][i] for i in range(d)]) for b in range(d)]  # Y[:, b]
    Y = [[cols[b][i] for b in range(d)] for i in range(d)]
    K = _mat(_t(Y, d), Y, d)
    return Y, K


def _indent(lines: list[str], n: int) -> list[str]:
    return [" " * n + line for line in lines]


def _up_source(kind: str, d: int) -> str:
    code = _Code()
    P = _sym_matrix(code, "P[j, {i}, {b}]", d)
    h = [code.let(f"h[j, {i}]") for i in range(d)]
    L = _scale(code, kind, d)
    LtP = sm.lt_mat(L, P)
    B = _mat(LtP, L, d)
    B = [[sm._add(B[i][b], 1.0) if i == b else B[i][b] for b in range(d)] for i in range(d)]
    for i in range(d):
        for b in range(i):
            B[b][i] = B[i][b]
    pivots: list = []  # floored squared pivots: log det B = log of their product (one log)

    def floor(x):
        pivots.append(_fn(code, "_floor1")(x))
        return pivots[-1]

    R = sm.cholesky(B, _fn(code, "np.sqrt"), floor)
    Y, K = _k_matrix(code, R, L, d)
    u = sm.mat_vec(Y, h)
    det = pivots[0]
    for x in pivots[1:]:
        det = det * x
    cc = sm._sum(sm._mul(0.5, sm._mul(u[i], u[i])) for i in range(d))
    PK = _mat(P, K, d)
    PKP = _mat(PK, P, d)
    PKh = sm.mat_vec(PK, h)
    out = [f"K[j, {i}, {b}] = {_name(K[i][b])}" for i in range(d) for b in range(d)]
    out += [f"R[j, {i}, {b}] = {_name(R[i][b])}" for i in range(d) for b in range(i + 1)]
    out += ["q = base + parent[j]"]
    out += [f"Pp[q, {i}, {b}] += {_name(P[i][b])} - {_name(PKP[i][b])}"
            for i in range(d) for b in range(d)]  # fmt: skip
    out += [f"hp[q, {i}] += {_name(h[i])} - {_name(PKh[i])}" for i in range(d)]
    out += [f"cp[q] += c[j] + {_name(cc)}"]
    # sum of log det B over the groups without a log per group: multiply the determinants (each
    # >= 1, at most ~1e100 in the corners warm-up visits) and take a log when the product is large
    out += [f"prod *= {_name(det)}", "if prod > 1e150:", "    logdet += np.log(prod)", "    prod = 1.0"]
    body = _indent(["row = row0 + (j - lo) * per_group", *code.lines, *out], 8)
    return "\n".join(
        [
            "@njit(**_JIT)",
            f"def up_{kind}(P, h, c, K, R, Ls, row0, per_group, lo, hi, parent, base, Pp, hp, cp):",
            '    """Integrate groups lo:hi into their parents; returns sum of log det B."""',
            "    prod = 1.0",
            "    logdet = 0.0",
            "    for j in range(lo, hi):",
            *body,
            "    return logdet + np.log(prod)",
        ]
    )


def _given_parent(code: _Code, P: sm.Mat, K: sm.Mat, h: list, mu: list, d: int):
    """``A = I - KP`` and the conditional mean ``A mu + K h`` of a group given its parent's
    value (or mean) ``mu``; shared by the down pass and the draws."""
    KP = _mat(K, P, d)
    A = [[sm._add(1.0 if i == b else None, sm._neg(KP[i][b])) for b in range(d)] for i in range(d)]
    m = [sm._add(x, y) for x, y in zip(sm.mat_vec(A, mu), sm.mat_vec(K, h), strict=True)]
    return A, m


def _down_source(kind: str, d: int) -> str:
    code = _Code()
    P = _sym_matrix(code, "P[j, {i}, {b}]", d)
    K = _sym_matrix(code, "K[j, {i}, {b}]", d)
    h = [code.let(f"h[j, {i}]") for i in range(d)]
    code.lines.append("q = base + parent[j]")
    mp = [code.let(f"mean[q, {i}]") for i in range(d)]
    Vp = _sym_matrix(code, "cov[q, {i}, {b}]", d)
    A, m = _given_parent(code, P, K, h, mp, d)
    AV = _mat(A, Vp, d)
    V = [[sm._add(sm._sum(sm._mul(AV[i][a], A[b][a]) for a in range(d)), K[i][b])
          for b in range(d)] for i in range(d)]  # fmt: skip
    stores = [f"mean[j, {i}] = {_name(m[i])}" for i in range(d)]
    stores += [
        f"cov[j, {i}, {b}] = {_name(V[max(i, b)][min(i, b)])}" for i in range(d) for b in range(d)
    ]
    first = len(code.lines)
    L = _scale(code, kind, d)
    Pm = sm.mat_vec(P, mp)
    r = [sm._add(h[i], sm._neg(Pm[i])) for i in range(d)]
    a = sm.lt_vec(A, r)  # A' r
    Q = _mat(P, A, d)
    Q = [[Q[max(i, b)][min(i, b)] for b in range(d)] for i in range(d)]  # symmetric
    QVQ = _mat(_mat(Q, Vp, d), Q, d)
    S = [[sm._add(sm._add(sm._mul(a[i], a[b]), QVQ[i][b]), sm._neg(Q[i][b])) for b in range(d)]
         for i in range(d)]  # fmt: skip
    cells = (
        [(i, i) for i in range(d)]
        if kind == "diag"
        else [(i, b) for i in range(d) for b in range(i + 1)]
    )
    G = {(i, b): sm._sum(sm._mul(S[i][x], L[x][b]) for x in range(d)) for i, b in cells}
    grad = code.lines[first:]
    del code.lines[first:]
    per = [f"dL[row, {i}, {b}] += {_name(G[i, b])}" for i, b in cells]
    acc = [f"g{i}_{b} += {_name(G[i, b])}" for i, b in cells]
    return "\n".join(
        [
            "@njit(**_JIT)",
            f"def down_{kind}(P, h, K, Ls, row0, per_group, lo, hi, parent, base, mean, cov, dL,"
            " want_grad):",
            *[f"    g{i}_{b} = 0.0" for i, b in cells],
            "    for j in range(lo, hi):",
            *_indent(["row = row0 + (j - lo) * per_group", *code.lines, *stores], 8),
            "        if want_grad:",
            *_indent(grad, 12),
            "            if per_group:",
            *_indent(per, 16),
            "            else:",
            *_indent(acc, 16),
            "    if want_grad and not per_group:",
            *[f"        dL[row0, {i}, {b}] += g{i}_{b}" for i, b in cells],
        ]
    )


def _draw_source(kind: str, d: int) -> str:
    code = _Code()
    P = _sym_matrix(code, "P[j, {i}, {b}]", d)
    K = _sym_matrix(code, "K[j, {i}, {b}]", d)
    R: sm.Mat = [[None] * d for _ in range(d)]
    for i in range(d):
        for b in range(i + 1):
            R[i][b] = code.let(f"R[j, {i}, {b}]")
    h = [code.let(f"h[j, {i}]") for i in range(d)]
    L = _scale(code, kind, d)
    code.lines.append("q = base + parent[j]")
    mu = [code.let(f"theta[q, {i}]") for i in range(d)]
    eps = [code.let(f"eps[j, {i}]") for i in range(d)]
    _, m = _given_parent(code, P, K, h, mu, d)
    z = sm.backward_t(R, eps)  # R' z = eps: L z ~ N(0, L (R R')^-1 L') = N(0, K)
    theta = [sm._add(m[i], v) for i, v in enumerate(sm.l_vec(L, z))]
    stores = [f"theta[j, {i}] = {_name(theta[i])}" for i in range(d)]
    return "\n".join(
        [
            "@njit(**_JIT)",
            f"def draw_{kind}(P, h, K, R, Ls, row0, per_group, lo, hi, parent, base, theta, eps):",
            "    for j in range(lo, hi):",
            *_indent(["row = row0 + (j - lo) * per_group", *code.lines, *stores], 8),
        ]
    )


_LOOPS = """
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
def down_diag(P, h, K, Ls, row0, per_group, lo, hi, parent, base, mean, cov, dL, want_grad):
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
        for i in range(D):  # W1 = A V_p
            for b in range(D):
                s = 0.0
                for a in range(D):
                    s += W[0, i, a] * cov[q, a, b]
                W[1, i, b] = s
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
        for i in range(D):  # W3 = Q V_p
            for b in range(D):
                s = 0.0
                for a in range(D):
                    s += W[2, i, a] * cov[q, a, b]
                W[3, i, b] = s
        for i in range(D):  # W4 = S = aa' + Q V_p Q - Q
            for b in range(D):
                s = w[1, i] * w[1, b] - W[2, i, b]
                for a in range(D):
                    s += W[3, i, a] * W[2, a, b]
                W[4, i, b] = s
        for i in range(D):
            for b in range(D):
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


up_tri = up_diag
down_tri = down_diag
draw_tri = draw_diag
"""

#: Largest squared Cholesky pivot of ``B = I + L'PL`` at which the log-density is computed. The
#: parent potential ``P' = P - PKP`` is a difference of numbers about ``B`` times larger than the
#: result, so it keeps about ``16 - log10(B)`` digits: at 1e12, four. Beyond it (a level's sd
#: about a million times larger than the data can resolve, or a vanishing noise sd, reached only
#: in wild warm-up excursions) the result would be noise, possibly a huge positive log-density that
#: traps a chain, so the density is refused (-inf) instead.
PIVOT_MAX = 1e12

#: Largest number of coefficients whose per-group algebra is unrolled into straight-line code;
#: beyond it the generated module loops over matrix entries (compiles in seconds at any size).
UNROLL_MAX = 4


_DRIVER = """
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
        lo, hi = off[lev - 1], off[lev]
        base = root if lev == 1 else off[lev - 2]
        par = zero if lev == 1 else parents
        pg = 1 if loff[lev] - loff[lev - 1] > 1 else 0
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
        lo, hi = off[lev - 1], off[lev]
        base = root if lev == 1 else off[lev - 2]
        par = zero if lev == 1 else parents
        pg = 1 if loff[lev] - loff[lev - 1] > 1 else 0
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
            lo, hi = off[lev - 1], off[lev]
            base = root if lev == 1 else off[lev - 2]
            par = zero if lev == 1 else parents
            pg = 1 if loff[lev] - loff[lev - 1] > 1 else 0
            if kinds[lev - 1] == 1:
                draw_tri(P, h, K, R, Ls[s], loff[lev - 1], pg, lo, hi, par, base, th, e)
            else:
                draw_diag(P, h, K, R, Ls[s], loff[lev - 1], pg, lo, hi, par, base, th, e)
    return theta
"""


@functools.lru_cache(maxsize=None)
def source(d: int, loops: bool | None = None) -> str:
    """The generated module for ``d`` coefficients (Python source): unrolled straight-line code
    up to :data:`UNROLL_MAX` coefficients, loops over matrix entries beyond (or if ``loops``)."""
    loops = d > UNROLL_MAX if loops is None else loops
    parts = [
        f'"""Generated by pandas_hier._kernel for d = {d}; do not edit (regenerated on change)."""',
        "import numpy as np",
        "from numba import njit",
        "",
        f"D = {d}",
        f"PIVOT_MAX = {PIVOT_MAX!r}",
        '_JIT = {"cache": True, "nogil": True, "fastmath": {"contract", "arcp"}, "boundscheck": False}',
        "",
        "",
        "@njit(**_JIT)",
        "def _floor1(x):",
        '    """A squared pivot of B = I + L\'PL: exactly >= 1 (rounding can push it below: floored)',
        "    and NaN beyond PIVOT_MAX, where P' = P - PKP has lost most of its digits to cancellation",
        '    (the caller turns the NaN into a log-density of -inf: such a corner is refused)."""',
        "    if x > PIVOT_MAX:",
        "        return np.nan",
        "    return x if x > 1.0 else 1.0",
    ]
    if loops:
        parts += ["", _LOOPS]
    for kind in () if loops else ("diag", "tri"):
        parts += ["", "", _up_source(kind, d), "", "", _down_source(kind, d)]
        parts += ["", "", _draw_source(kind, d)]
    parts.append(_DRIVER)
    return "\n".join(parts)


def cache_dir() -> Path:
    """Where generated kernels and their compiled code live: ``$PANDAS_HIER_CACHE``, else the
    user cache directory (``$XDG_CACHE_HOME`` or ``~/.cache``) under ``pandas_hier``, else a
    temporary directory when that is not writable.

    Examples
    --------
    >>> from pandas_hier._kernel import cache_dir
    >>> cache_dir().name in ("pandas_hier", "kernels") or cache_dir().exists()
    True
    """
    env = os.environ.get("PANDAS_HIER_CACHE")
    if env:
        candidates = [Path(env)]
    else:
        base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
        candidates = [Path(base) / "pandas_hier"]
    candidates.append(Path(tempfile.gettempdir()) / f"pandas_hier-{os.getuid()}")
    for path in candidates:
        try:
            path.mkdir(parents=True, exist_ok=True)
            probe = path / f".probe-{os.getpid()}"
            probe.write_text("")
            probe.unlink()
            return path
        except OSError:
            continue
    raise OSError(f"no writable cache directory among {[str(p) for p in candidates]}")


def digest(d: int, loops: bool | None = None) -> str:
    """Hash of the generated source for ``d`` (part of the module's name and of cache keys)."""
    return hashlib.sha256(source(d, loops).encode()).hexdigest()[:16]


def kernel(d: int, loops: bool | None = None):
    """The compiled kernel module for ``d`` coefficients (generated, written and imported once
    per process; numba compiles it once per machine). ``loops`` forces (True) or forbids (False)
    the looping form; by default it is used beyond :data:`UNROLL_MAX` coefficients.

    Examples
    --------
    >>> from pandas_hier._kernel import kernel
    >>> kernel(1).D
    1
    """
    key = digest(d, loops)
    mod = _MODULES.get(key)
    if mod is not None:
        return mod
    with _LOCK:
        if key in _MODULES:
            return _MODULES[key]
        text = source(d, loops)
        name = f"pandas_hier_kernel_d{d}_{key}"
        path = cache_dir() / f"{name}.py"
        if not path.exists() or path.read_text() != text:
            tmp = path.with_suffix(f".{os.getpid()}.tmp")
            tmp.write_text(text)
            os.replace(tmp, path)
        spec = importlib.util.spec_from_file_location(name, path)
        mod = importlib.util.module_from_spec(spec)
        sys.modules[name] = mod
        spec.loader.exec_module(mod)
        _MODULES[key] = mod
        return mod


def marginal_loglik_grad(sigma, Ls, loff, kinds, n, xtx, xty, yty, parents, off, m0, s0, want_grad):
    """Log marginal likelihood and its gradient with respect to ``sigma`` and ``Ls``.

    Parameters
    ----------
    sigma : float
        Noise sd.
    Ls : ndarray (T, d, d)
        Offset scale matrices, rows ``loff[l-1]:loff[l]`` for level ``l``.
    loff : int64 ndarray (k + 1,)
    kinds : int64 ndarray (k,)
        0: level ``l``'s scales are diagonal; 1: lower-triangular.
    n, xtx, xty, yty : ndarray
        Leaf sufficient statistics (leaves are the groups of level ``k``).
    parents : int64 ndarray
        Concatenated parent index of every group of levels ``1..k``.
    off : int64 ndarray (k + 1,)
        Level offsets into ``parents``; ``off[0] == 0``.
    m0, s0 : ndarray (d,)
        Normal prior of the global coefficients.
    want_grad : bool

    Returns
    -------
    (float, float, ndarray (T, d, d))
        Log-likelihood, its derivative in ``sigma`` and in ``Ls`` (zeros without ``want_grad``).

    Examples
    --------
    >>> import numpy as np
    >>> from pandas_hier._kernel import marginal_loglik_grad
    >>> one, i = np.ones(1), np.array([0, 1])
    >>> ll, ds, dL = marginal_loglik_grad(
    ...     1.0, np.zeros((1, 1, 1)), i, i[:1], one, np.ones((1, 1, 1)), np.zeros((1, 1)),
    ...     np.zeros(1), np.zeros(1, np.int64), i, np.zeros(1), one, True)
    >>> round(ll, 6), round(ds, 6)  # y = 0 ~ N(theta, 1), theta ~ N(0, 1): N(0; 0, 2)
    (-1.265512, -0.5)
    """
    return kernel(len(m0)).loglik_grad(
        sigma, Ls, loff, kinds, n, xtx, xty, yty, parents, off, m0, s0, want_grad
    )
