"""Registers ``ddf.hier`` once ``dask.dataframe`` is imported, without importing Dask ourselves.

``import pandas_hier`` calls :func:`install`: if ``dask.dataframe`` is already imported, the
accessor module (:mod:`pandas_hier.dask_frame`) is imported at once; otherwise a finder on
``sys.meta_path`` waits for ``dask.dataframe``'s import to finish, imports the accessor module,
and removes itself. Dask stays unimported until the user imports it.

Examples
--------
>>> import sys
>>> import pandas_hier
>>> from pandas_hier import _dask_hook
>>> _dask_hook.installed() or "dask.dataframe" in sys.modules
True
"""

from __future__ import annotations

import importlib
import importlib.abc
import sys
import warnings

__all__ = ["install", "installed"]

TARGET = "dask.dataframe"
ENTRY = "pandas_hier.dask_frame"


def _register() -> None:
    try:
        importlib.import_module(ENTRY)
    except Exception as err:  # never break the user's own import of dask
        warnings.warn(f"pandas_hier could not register ddf.hier on Dask DataFrames: {err!r}", stacklevel=2)


class _Finder(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the loader of ``dask.dataframe`` to register afterwards."""

    def find_spec(self, name, path, target=None):
        if name != TARGET:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None:
                break
        else:
            return None
        loader = spec.loader
        if loader is None or not hasattr(loader, "exec_module"):
            return spec
        run = loader.exec_module

        def exec_module(module):
            run(module)
            _uninstall()
            _register()

        loader.exec_module = exec_module
        return spec


def _uninstall() -> None:
    sys.meta_path[:] = [f for f in sys.meta_path if not isinstance(f, _Finder)]


def installed() -> bool:
    """Whether the finder is waiting for ``dask.dataframe``."""
    return any(isinstance(f, _Finder) for f in sys.meta_path)


def install() -> None:
    """Register now if ``dask.dataframe`` is imported, else when it is."""
    if TARGET in sys.modules:
        _register()
    elif not installed():
        sys.meta_path.insert(0, _Finder())
