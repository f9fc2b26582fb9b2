"""Every private hook into PyTensor and nutpie, in one place, gated on the versions it was
written for.

pandas-hier reaches past the public API of these libraries in four places:

* PyTensor's numba linker, subclassed so that compiled functions release the GIL (nutpie's
  chains call the log-density from their own threads);
* PyTensor's numba source cache (``CACHED_SRC_FUNCTIONS``), to give those functions their own
  cache key (PyTensor's key ignores compile flags);
* a compiled PyTensor function's jitted core (``fn.vm.jit_fn``), called without the overhead of
  ``Function.__call__``;
* a nutpie model's data (``_shared_data``), to cast new data to the compiled dtypes.

Inside :data:`TESTED` each hook is used; outside it, or if a name is gone, a documented fallback
takes its place (the chains hold the GIL, the functions are compiled without disk cache, the
``Function`` is called, data are passed as given) and :func:`status` says which.

Examples
--------
>>> from pandas_hier.backend import compat
>>> sorted(compat.TESTED)
['nutpie', 'pytensor']
"""

from __future__ import annotations

from importlib import metadata

__all__ = ["TESTED", "cached_src_key", "jit_core", "nogil_linker", "shared_data", "status"]

#: Version ranges (inclusive lower, exclusive upper) the hooks were written and tested for.
TESTED = {"pytensor": ((3, 3), (3, 4)), "nutpie": ((0, 15), (0, 17))}


def _version(pkg: str) -> tuple[int, ...]:
    parts = []
    for piece in metadata.version(pkg).split(".")[:2]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits or 0))
    return tuple(parts)


def tested(pkg: str) -> bool:
    """Whether the installed ``pkg`` lies in the range the hooks were tested with."""
    lo, hi = TESTED[pkg]
    try:
        return lo <= _version(pkg) < hi
    except metadata.PackageNotFoundError:
        return False


def nogil_linker():
    """PyTensor's numba linker compiling functions that release the GIL, or None (fallback:
    the standard linker, under which nutpie's chains take turns)."""
    if not tested("pytensor"):
        return None
    try:
        from pytensor.link.numba.dispatch.basic import numba_njit
        from pytensor.link.numba.linker import NumbaLinker
    except ImportError:  # pragma: no cover - layout of another PyTensor version
        return None

    class NogilNumbaLinker(NumbaLinker):
        def jit_compile(self, fn_and_cache):
            fn, cache_key = fn_and_cache
            cache = cache_key is not None and cached_src_key(fn.py_func, "_nogil")
            return numba_njit(fn.py_func, final_function=True, cache=cache, nogil=True)

    return NogilNumbaLinker()


def cached_src_key(py_func, suffix: str) -> bool:
    """Give ``py_func`` its own entry in PyTensor's numba cache (the key ignores compile flags,
    so a GIL-holding build of the same graph would otherwise be loaded); False if impossible, and
    then the function is compiled without the disk cache."""
    try:
        from pytensor.link.numba.cache import CACHED_SRC_FUNCTIONS
    except ImportError:  # pragma: no cover - layout of another PyTensor version
        return False
    key = CACHED_SRC_FUNCTIONS.get(py_func)
    if key is None:
        return False
    if not key.endswith(suffix):
        CACHED_SRC_FUNCTIONS[py_func] = key + suffix
    return True


def jit_core(fn):
    """The numba backend's jitted function inside a compiled PyTensor function (pure and
    thread-safe, without the ~100 us of ``Function.__call__``), or None."""
    if not tested("pytensor"):
        return None
    return getattr(getattr(fn, "vm", None), "jit_fn", None)


def shared_data(compiled) -> dict:
    """A nutpie model's current data values by name (empty where the attribute is gone)."""
    return dict(getattr(compiled, "_shared_data", {}) or {})


def status() -> dict[str, bool]:
    """Which hooks are in use with the installed versions.

    Examples
    --------
    >>> from pandas_hier.backend import compat
    >>> set(compat.status()) == {"pytensor", "nutpie"}
    True
    """
    return {pkg: tested(pkg) for pkg in TESTED}
