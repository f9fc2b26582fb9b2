"""Unrolled algebra on batches of small (d x d, d = 1 + number of predictors) matrices.

A matrix is a list of ``d`` rows, each a list of ``d`` entries; every entry is an array of the
batch shape (numpy or PyTensor: only ``+ - * /`` and the ``sqrt``/``log`` passed in are used), or
``None`` for a structural zero. The same routines build the unrolled PyTensor graph of the
marginal likelihood (``model.build_model(..., impl="graph")``, used by JAX samplers) and, run on
symbols that print their arithmetic, generate the straight-line code of the compiled kernel
(:mod:`pandas_hier.kernels`).

Information form: a Gaussian potential on a coefficient vector ``theta`` is
``c + h'theta - theta'P theta / 2``. Integrating it against ``theta ~ N(mu, L L')`` gives a
potential on ``mu`` (:func:`integrate`):

    B = I + L'PL = R R'          u = R^-1 L'h         W = R^-1 L'P
    P' = P - W'W                  h' = h - W'u         c' = c - sum(log diag R) + u'u / 2

which equals the textbook ``P' = D^-1 - D^-1 A^-1 D^-1`` (``D = LL'``, ``A = P + D^-1``) but
stays finite when an sd is 0 (a coefficient that does not vary at a level) and needs no inverse.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

Entry = Any  # array of the batch shape, or None for a structural zero
Mat = list[list[Entry]]
Vec = list[Entry]


def _add(a: Entry, b: Entry) -> Entry:
    if a is None:
        return b
    if b is None:
        return a
    return a + b


def _mul(a: Entry, b: Entry) -> Entry:
    if a is None or b is None:
        return None
    return a * b


def _sum(terms) -> Entry:
    out = None
    for t in terms:
        out = _add(out, t)
    return out


def _zero(x: Entry) -> Entry:
    return 0.0 if x is None else x


def lt_vec(L: Mat, v: Vec) -> Vec:
    """``L' v``."""
    d = len(v)
    return [_sum(_mul(L[k][i], v[k]) for k in range(d)) for i in range(d)]


def l_vec(L: Mat, v: Vec) -> Vec:
    """``L v``."""
    d = len(v)
    return [_sum(_mul(L[i][k], v[k]) for k in range(d)) for i in range(d)]


def mat_vec(P: Mat, v: Vec) -> Vec:
    """``P v``."""
    d = len(v)
    return [_sum(_mul(P[i][k], v[k]) for k in range(d)) for i in range(d)]


def lt_mat(L: Mat, P: Mat) -> Mat:
    """``L' P``."""
    d = len(P)
    return [[_sum(_mul(L[k][i], P[k][j]) for k in range(d)) for j in range(d)] for i in range(d)]


def cholesky(B: Mat, sqrt: Callable, floor: Callable | None = None) -> Mat:
    """Lower Cholesky factor of a symmetric positive-definite ``B`` (entries must not be None
    on the diagonal). ``floor``, if given, is applied to each squared pivot before the root."""
    d = len(B)
    R: Mat = [[None] * d for _ in range(d)]
    for j in range(d):
        s = _sum(_mul(R[j][k], R[j][k]) for k in range(j))
        pivot = B[j][j] - _zero(s) if s is not None else B[j][j]
        R[j][j] = sqrt(floor(pivot) if floor is not None else pivot)
        for i in range(j + 1, d):
            s = _sum(_mul(R[i][k], R[j][k]) for k in range(j))
            num = B[i][j] if s is None else _zero(B[i][j]) - s
            R[i][j] = None if num is None else num / R[j][j]
    return R


def forward(R: Mat, b: Vec) -> Vec:
    """Solve ``R x = b`` for lower-triangular ``R``."""
    d = len(b)
    x: Vec = [None] * d
    for i in range(d):
        s = _sum(_mul(R[i][k], x[k]) for k in range(i))
        num = b[i] if s is None else _zero(b[i]) - s
        x[i] = None if num is None else num / R[i][i]
    return x


def backward_t(R: Mat, b: Vec) -> Vec:
    """Solve ``R' x = b`` for lower-triangular ``R``."""
    d = len(b)
    x: Vec = [None] * d
    for i in reversed(range(d)):
        s = _sum(_mul(R[k][i], x[k]) for k in range(i + 1, d))
        num = b[i] if s is None else _zero(b[i]) - s
        x[i] = None if num is None else num / R[i][i]
    return x


def integrate(
    P: Mat, h: Vec, c: Entry, L: Mat, sqrt: Callable, log: Callable, at_least: Callable
) -> tuple[Mat, Vec, Entry, Mat]:
    """Integrate the potential ``(P, h, c)`` against ``theta ~ N(mu, L L')``.

    Returns the potential on ``mu`` and the Cholesky factor ``R`` of ``B = I + L'PL`` (reused
    for drawing). ``at_least(x, 1.0)`` is the elementwise maximum: every exact Cholesky
    pivot of ``I + (positive semi-definite)`` is at least 1, so flooring the squared pivots at 1
    changes no exact result; it keeps rounding in ``P' = P - W'W`` (catastrophic cancellation
    when ``L'PL`` is huge, as in extreme corners visited during warm-up) from producing NaN.
    """
    d = len(h)
    LtP = lt_mat(L, P)
    B = [[_sum(_mul(LtP[i][k], L[k][j]) for k in range(d)) for j in range(d)] for i in range(d)]
    B = [[_add(B[i][j], 1.0) if i == j else B[i][j] for j in range(d)] for i in range(d)]
    for i in range(d):  # exact symmetry helps the unrolled Cholesky
        for j in range(i):
            B[j][i] = B[i][j]
    R = cholesky(B, sqrt, lambda x: at_least(x, 1.0))
    u = forward(R, lt_vec(L, h))
    W_cols = [forward(R, [LtP[i][j] for i in range(d)]) for j in range(d)]  # column j of W
    logdet = _sum(log(R[j][j]) for j in range(d))
    uu = _sum(_mul(ui, ui) for ui in u)
    c2 = _add(c, -logdet)
    c2 = c2 if uu is None else c2 + 0.5 * uu
    P2 = [
        [_add(P[i][j], _neg(_sum(_mul(W_cols[i][k], W_cols[j][k]) for k in range(d))))
         for j in range(d)]
        for i in range(d)
    ]  # fmt: skip
    h2 = [_add(h[i], _neg(_sum(_mul(W_cols[i][k], u[k]) for k in range(d)))) for i in range(d)]
    return P2, h2, c2, R


def _neg(x: Entry) -> Entry:
    return None if x is None else -x


def diag(values: Sequence[Entry]) -> Mat:
    """Diagonal matrix with ``values`` (None for a zero)."""
    d = len(values)
    return [[values[i] if i == j else None for j in range(d)] for i in range(d)]
