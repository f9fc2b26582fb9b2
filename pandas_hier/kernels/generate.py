"""Writes the Python source of the compiled kernel module for ``d`` coefficients.

For ``d`` up to :data:`~pandas_hier.kernels.UNROLL_MAX` the per-group algebra is unrolled: the
:mod:`~pandas_hier.kernels.smallmat` routines run on symbols (:class:`_Sym`) that print their
arithmetic, giving straight-line code in which every value of a group stays in a register.
Beyond it the per-group functions come from the template ``templates/loops.py``. The passes up
and down the tree come from ``templates/driver.py``. Templates are real Python files, read as
resources: everything below their marker line is copied into the generated module.

Examples
--------
>>> from pandas_hier.kernels.generate import source
>>> text = source(2)
>>> "def loglik_grad(" in text and "D = 2" in text
True
"""

from __future__ import annotations

import functools
from importlib import resources

from pandas_hier.kernels import smallmat as sm

__all__ = ["MARKER", "PIVOT_MAX", "UNROLL_MAX", "source", "template"]

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

#: Line of a template above which everything is for tooling only (see ``templates/``).
MARKER = "# --- template: everything below is copied into the generated module ---"


def template(name: str) -> str:
    """The part of ``templates/<name>.py`` that goes into the generated module."""
    text = resources.files("pandas_hier.kernels.templates").joinpath(f"{name}.py").read_text()
    head, sep, body = text.partition(MARKER)
    if not sep:
        raise ValueError(f"template {name!r} has no marker line {MARKER!r}")
    return body.strip("\n") + "\n"


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




@functools.cache
def source(d: int, loops: bool | None = None) -> str:
    """The generated module for ``d`` coefficients (Python source): unrolled straight-line code
    up to :data:`UNROLL_MAX` coefficients, loops over matrix entries beyond (or if ``loops``)."""
    loops = d > UNROLL_MAX if loops is None else loops
    parts = [
        f'"""Generated by pandas_hier.kernels for d = {d}; do not edit (regenerated on change)."""',
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
        parts += ["", "", template("loops")]
    for kind in () if loops else ("diag", "tri"):
        parts += ["", "", _up_source(kind, d), "", "", _down_source(kind, d)]
        parts += ["", "", _draw_source(kind, d)]
    parts += ["", "", template("driver")]
    return "\n".join(parts)
