"""Read a fit written by :meth:`HierFit.save` (see :mod:`pandas_hier.io` for the format).

Examples
--------
>>> import tempfile, pathlib
>>> import pandas_hier
>>> loaded = pandas_hier.load(fit.save(pathlib.Path(tempfile.mkdtemp()) / "salary.hier"))
>>> loaded.summary().equals(fit.summary())
True
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from pathlib import Path

from pandas_hier._labels_json import decode_value, table_from_json
from pandas_hier.design import Scaling
from pandas_hier.diagnostics import Diagnostics
from pandas_hier.errors import HierFileError
from pandas_hier.hierarchy import Hierarchy
from pandas_hier.io import FORMAT, FORMAT_VERSION, _check_arrays, expected_arrays
from pandas_hier.options import FitOptions, Prior
from pandas_hier.result import HierFit

__all__ = ["load"]


def load(path: str | os.PathLike) -> HierFit:
    """Read a fit written by :meth:`HierFit.save`.

    Parameters
    ----------
    path : str or path-like

    Returns
    -------
    HierFit
        Predicts and summarises exactly as the saved fit did. ``posterior_predictive()`` and
        ``loo()`` need the training data again (pass ``data=``), since the file holds none.

    Raises
    ------
    HierFileError
        If the file does not exist, is not a zip archive (foreign or truncated), lacks the
        spec or the draws, or was written by a newer format version; or if an array the spec
        implies (see :func:`expected_arrays`) is missing or mis-shaped, or a float array of
        the posterior, model-scale or pooling group holds NaN or infinite values. The message
        names the file, the ``group/variable`` and the problem.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> loaded = pandas_hier.load(fit.save(pathlib.Path(tempfile.mkdtemp()) / "salary.hier"))
    >>> loaded.levels, loaded.training is None
    (('degree', 'state', 'county'), True)
    """
    import xarray as xr


    path = Path(path)
    if not path.exists():
        raise HierFileError(f"{path}: no such file")
    try:
        zf = zipfile.ZipFile(path)
    except zipfile.BadZipFile:
        raise HierFileError(
            f"{path}: not a pandas-hier fit (not a zip archive; the file may be truncated or "
            "written by another program)"
        ) from None
    with zf, tempfile.TemporaryDirectory(prefix=".hier-load-") as work:
        try:
            names = set(zf.namelist())
            if "spec.json" not in names:
                raise HierFileError(f"{path}: not a pandas-hier fit (no spec.json inside)")
            spec = json.loads(zf.read("spec.json"))
            if spec.get("format") != FORMAT:
                raise HierFileError(f"{path}: not a pandas-hier fit (format {spec.get('format')!r})")
            version = spec.get("format_version")
            if not isinstance(version, int) or version > FORMAT_VERSION:
                raise HierFileError(
                    f"{path}: written by a newer pandas-hier (format version {version}; this one "
                    f"reads up to {FORMAT_VERSION}); upgrade pandas-hier to load it"
                )
            if not any(n.startswith("idata.zarr/") for n in names):
                raise HierFileError(f"{path}: the posterior draws (idata.zarr) are missing")
            zf.extractall(work)
            tree = xr.open_datatree(Path(work) / "idata.zarr", engine="zarr", consolidated=False)
            tree = tree.load()
        except (zipfile.BadZipFile, OSError, EOFError, json.JSONDecodeError, KeyError, ValueError) as err:
            if isinstance(err, HierFileError):
                raise
            raise HierFileError(f"{path}: damaged or truncated pandas-hier fit ({err})") from None
    tree.close()
    for node in tree.subtree:
        for var in node.dataset.data_vars.values():
            var.values.flags.writeable = False
    try:
        levels = tuple(decode_value(lv) for lv in spec["levels"])
        names = {str(lv): lv for lv in levels}
        tables = {k: table_from_json(v, names) for k, v in spec["tables"].items()}
        absent = [k for k in names if k not in tables]
        if absent:
            raise KeyError(f"no lookup table for levels {absent!r}")
        expected = expected_arrays(spec, tables)
    except (KeyError, ValueError, TypeError) as err:
        raise HierFileError(f"{path}: damaged spec.json ({type(err).__name__}: {err})") from None
    _check_arrays(path, tree, expected)
    opts = dict(spec["options"])
    opts["priors"] = {k: Prior.from_dict(v) for k, v in opts["priors"].items()}
    if opts.get("varying") is not None:
        opts["varying"] = {names.get(k, k): tuple(v) for k, v in opts["varying"].items()}
    sc = spec["scaling"]
    diagnostics = {  # JSON wrote the tuple fields as lists
        k: tuple(v) if isinstance(v, list) else v for k, v in spec["diagnostics"].items()
    }
    return HierFit(
        idata=tree,
        hierarchy=Hierarchy(levels, spec["suffix"]),
        x=tuple(decode_value(c) for c in spec["x"]),
        y=decode_value(spec["y"]),
        options=FitOptions(**opts),
        tables={names[k]: tables[k] for k in names},
        scaling=Scaling(tuple(sc["x_mean"]), tuple(sc["x_sd"]), sc["y_mean"], sc["y_sd"]),
        diagnostics=Diagnostics(**diagnostics),
        parameterization=dict(zip(levels, spec["parameterization"], strict=True)),
        sampler=spec["sampler"],
        timings=spec["timings"],
        n_rows=spec["n_rows"],
        training=None,
    )
