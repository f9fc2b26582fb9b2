"""The compiled marginal log-likelihood of the nested Gaussian model and its exact gradient.

One pass up the tree integrates every coefficient out (information form, as in
:mod:`pandas_hier.kernels.smallmat`); one pass down computes each group's posterior mean and covariance,
from which the gradient follows by Fisher's identity, so no reverse-mode graph is needed:

* group ``g`` with subtree potential ``(P, h)``, offset scale ``L`` (``D = L L'``), parent
  posterior ``N(m_p, V_p)``: with ``B = I + L'PL``, ``K = L B^-1 L'`` and ``A = I - K P``,
  ``d loglik / dD = S / 2`` where ``S = a a' + Q V_p Q - Q``, ``a = A'(h - P m_p)`` and
  ``Q = P A`` (symmetric); hence ``d loglik / dL = S L`` (no inverse of ``D``: an sd may be 0);
* the group's own posterior is ``N(A m_p + K h, A V_p A' + K)``;
* ``d loglik / d sigma = sum over leaves of -n / sigma + E||y - X theta||^2 / sigma^3``.

Work is ``O(groups x d^3)`` per call, independent of the number of rows.

Speed comes from straight-line code: for each number of coefficients ``d`` the per-group algebra
is unrolled symbolically (the :mod:`pandas_hier.kernels.smallmat` routines run on symbols that print
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

import hashlib
import importlib.util
import os
import sys
import tempfile
import threading
from pathlib import Path

from pandas_hier.kernels.generate import PIVOT_MAX, UNROLL_MAX, source

__all__ = ["PIVOT_MAX", "UNROLL_MAX", "cache_dir", "digest", "kernel", "marginal_loglik_grad", "source"]

_LOCK = threading.Lock()
_MODULES: dict[str, object] = {}


def cache_dir() -> Path:
    """Where generated kernels and their compiled code live: ``$PANDAS_HIER_CACHE``, else the
    user cache directory (``$XDG_CACHE_HOME`` or ``~/.cache``) under ``pandas_hier``, else a
    temporary directory when that is not writable.

    Examples
    --------
    >>> from pandas_hier.kernels import cache_dir
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
    >>> from pandas_hier.kernels import kernel
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
    >>> from pandas_hier.kernels import marginal_loglik_grad
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
