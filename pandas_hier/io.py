"""Save and load a :class:`~pandas_hier.HierFit` as one self-contained file.

The file is a zip archive holding ``spec.json`` (format name and version, levels, predictors,
options and priors, standardisation constants, lookup tables, diagnostics, package versions)
and ``idata.zarr/`` (the ArviZ DataTree: posterior, model-scale draws, sample stats, pooling).
It holds no training rows. Saving writes a temporary file beside the target and renames it over
the target, so a crash never leaves a half-written file in place of a good one.

Examples
--------
>>> fit.save("salary.hier")  # doctest: +SKIP
>>> same = pandas_hier.load("salary.hier")  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from importlib import metadata
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pandas_hier.errors import HierError

if TYPE_CHECKING:  # pragma: no cover
    from pandas_hier.fitting import HierFit

__all__ = ["FORMAT", "FORMAT_VERSION", "HierFileError", "load", "save"]

FORMAT = "pandas-hier fit"
FORMAT_VERSION = 1


class HierFileError(HierError, OSError):
    """A file is not a loadable pandas-hier fit: truncated, foreign, or of a newer format.

    The message names the file and the problem.

    Examples
    --------
    >>> import pandas_hier
    >>> try:
    ...     pandas_hier.load("no-such-file.hier")
    ... except pandas_hier.HierFileError as err:
    ...     print(err)
    no-such-file.hier: no such file
    """


def _versions() -> dict:
    out = {}
    for pkg in ("pandas-hier", "pymc", "pytensor", "arviz", "nutpie", "pandas", "numpy", "xarray"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


def _table_to_json(table: pd.DataFrame) -> dict:
    cols = {}
    for name, col in table.items():
        entry: dict = {"dtype": str(col.dtype)}
        if isinstance(col.dtype, pd.CategoricalDtype):
            entry["categories"] = col.cat.categories.tolist()
            entry["ordered"] = bool(col.cat.ordered)
        values = col.astype(object).tolist()
        entry["values"] = [v.item() if isinstance(v, np.generic) else v for v in values]
        cols[str(name)] = entry
    return {"index_name": table.index.name, "columns": cols, "order": [str(c) for c in table.columns]}


def _table_from_json(record: dict, level_names: dict) -> pd.DataFrame:
    data = {}
    for name in record["order"]:
        entry = record["columns"][name]
        key = level_names.get(name, name)
        if entry["dtype"] == "category":
            dtype = pd.CategoricalDtype(entry["categories"], ordered=entry["ordered"])
            data[key] = pd.Series(pd.Categorical(entry["values"], dtype=dtype))
        elif entry["dtype"] == "object":
            data[key] = pd.Series(entry["values"], dtype=object)
        else:
            data[key] = pd.Series(entry["values"]).astype(entry["dtype"])
    frame = pd.DataFrame(data)
    frame.index = pd.RangeIndex(len(frame), name=record["index_name"])
    return frame


def save(fit: HierFit, path: str | os.PathLike) -> Path:
    """Write ``fit`` to ``path`` atomically; see the module docstring for the format.

    Parameters
    ----------
    fit : HierFit
    path : str or path-like
        Target file (conventionally ``*.hier``); replaced if it exists.

    Returns
    -------
    pathlib.Path
        The path written.

    Raises
    ------
    HierFileError
        If a lookup table holds labels that JSON cannot represent (e.g. timestamps).

    Examples
    --------
    >>> path = fit.save("out/salary.hier")  # doctest: +SKIP
    >>> pandas_hier.load(path).predict(new_df)  # doctest: +SKIP
    """
    path = Path(path)
    spec = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "levels": list(fit.levels),
        "suffix": fit.hierarchy.suffix,
        "x": list(fit.x),
        "y": fit.y,
        "options": fit.options.to_dict(),
        "scaling": {
            "x_mean": list(fit.scaling.x_mean), "x_sd": list(fit.scaling.x_sd),
            "y_mean": fit.scaling.y_mean, "y_sd": fit.scaling.y_sd,
        },  # fmt: skip
        "diagnostics": {k: getattr(fit.diagnostics, k) for k in fit.diagnostics.__dataclass_fields__},
        "parameterization": [fit.parameterization[lv] for lv in fit.levels],
        "sampler": fit.sampler,
        "timings": dict(fit.timings),
        "n_rows": fit.n_rows,
        "tables": {str(lv): _table_to_json(fit._tables[lv]) for lv in fit.levels},
        "versions": _versions(),
    }
    try:
        spec_text = json.dumps(spec, indent=1, allow_nan=True)
    except TypeError as err:
        raise HierFileError(f"cannot save to {path}: {err} (labels must be JSON-representable)") from None
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".hier-", dir=path.parent) as work:
        store = Path(work) / "idata.zarr"
        fit._idata.to_zarr(store, consolidated=False)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
        try:
            with os.fdopen(fd, "wb") as fh, zipfile.ZipFile(fh, "w", zipfile.ZIP_DEFLATED) as zf:
                zf.writestr("spec.json", spec_text)
                for file in sorted(store.rglob("*")):
                    if file.is_file():
                        zf.write(file, Path("idata.zarr") / file.relative_to(store))
            with open(tmp, "rb") as fh:
                os.fsync(fh.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
    return path


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
        spec or the draws, or was written by a newer format version.

    Examples
    --------
    >>> fit = pandas_hier.load("salary.hier")  # doctest: +SKIP
    """
    import xarray as xr

    from pandas_hier.encoding import Hierarchy
    from pandas_hier.fitting import Diagnostics, HierFit, Scaling
    from pandas_hier.options import FitOptions, Prior

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
    levels = tuple(spec["levels"])
    names = {str(lv): lv for lv in levels}
    opts = dict(spec["options"])
    opts["priors"] = {k: Prior.from_dict(v) for k, v in opts["priors"].items()}
    if opts.get("varying") is not None:
        opts["varying"] = {names.get(k, k): tuple(v) for k, v in opts["varying"].items()}
    sc = spec["scaling"]
    return HierFit(
        idata=tree,
        hierarchy=Hierarchy(levels, spec["suffix"]),
        x=tuple(spec["x"]),
        y=spec["y"],
        options=FitOptions(**opts),
        tables={names[k]: _table_from_json(v, names) for k, v in spec["tables"].items()},
        scaling=Scaling(tuple(sc["x_mean"]), tuple(sc["x_sd"]), sc["y_mean"], sc["y_sd"]),
        diagnostics=Diagnostics(**spec["diagnostics"]),
        parameterization=dict(zip(levels, spec["parameterization"], strict=True)),
        sampler=spec["sampler"],
        timings=spec["timings"],
        n_rows=spec["n_rows"],
        training=None,
    )
