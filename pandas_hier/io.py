"""Save and load a :class:`~pandas_hier.HierFit` as one self-contained file.

The file is a zip archive holding ``spec.json`` (format name and version, levels, predictors,
options and priors, standardisation constants, lookup tables, diagnostics, package versions)
and ``idata.zarr/`` (the ArviZ DataTree: posterior, model-scale draws, sample stats, pooling).
It holds no training rows. Saving writes a temporary file beside the target and renames it over
the target, so a crash never leaves a half-written file in place of a good one.

Every label loads back with its type and its column's dtype (tuples, numpy scalars, category
and string dtypes included; see :mod:`pandas_hier._labels_json`); labels that cannot are refused
when saving, before anything is written. Loading checks that every array the spec implies is
present, has the implied shape and holds finite values (:func:`expected_arrays`).

Examples
--------
>>> import tempfile, pathlib
>>> path = fit.save(pathlib.Path(tempfile.mkdtemp()) / "salary.hier")
>>> same = pandas_hier.load(path)
>>> same.predict(new_df, random_seed=0).equals(fit.predict(new_df, random_seed=0))
True
"""

from __future__ import annotations

import json
import os
import tempfile
import zipfile
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from pandas_hier import families
from pandas_hier._labels_json import (
    LabelError,
    decode_value,
    encode_value,
    table_to_json,
)
from pandas_hier.errors import HierFileError

if TYPE_CHECKING:  # pragma: no cover
    from pandas_hier.result import HierFit

__all__ = ["FORMAT", "FORMAT_VERSION", "HierFileError", "expected_arrays", "save"]

FORMAT = "pandas-hier fit"
FORMAT_VERSION = 1


def _versions() -> dict:
    out = {}
    for pkg in ("pandas-hier", "pymc", "pytensor", "arviz", "nutpie", "pandas", "numpy", "xarray"):
        try:
            out[pkg] = metadata.version(pkg)
        except metadata.PackageNotFoundError:
            out[pkg] = None
    return out


#: Groups of the DataTree whose float arrays must all be finite (``sample_stats`` may hold NaN
#: by design, e.g. PyMC's eigenvalue statistics).
FINITE_GROUPS = ("posterior", "model_scale", "pooling")


def expected_arrays(spec: Mapping, tables: Mapping[str, pd.DataFrame]) -> list[tuple]:
    """Every array a saved fit must hold, as ``(group, variable, shape, dims)``.

    The one list of what ``fitting._assemble`` writes and prediction reads: in ``posterior``
    (original scale) ``b_global``, ``b_<level>``, ``sd_<level>`` for a level with varying
    coefficients, ``corr_<level>`` with ``correlated=True`` (two or more varying), ``sigma``,
    and ``nu`` for Student-t without a fixed ``nu``; the same scales in ``model_scale``
    (``chol_<level>`` instead of ``corr_<level>``); ``pooling_<level>`` in ``pooling``. Shapes
    follow from the spec (chains, draws, predictors, options) and the lookup tables (groups).

    Parameters
    ----------
    spec : mapping
        The contents of ``spec.json``.
    tables : mapping of str -> pandas.DataFrame
        Lookup table per level (keyed by the level's name as a string).

    Examples
    --------
    >>> import pandas as pd
    >>> spec = {"levels": ["state", "county"], "x": ["month"],
    ...         "diagnostics": {"chains": 2, "draws": 100},
    ...         "options": {"likelihood": "normal", "sd_per": "parent", "correlated": False,
    ...                     "varying": {"county": ["intercept"]}}}
    >>> tables = {"state": pd.DataFrame(index=range(3)), "county": pd.DataFrame(index=range(7))}
    >>> for group, name, shape, dims in expected_arrays(spec, tables):
    ...     print(f"{group}/{name}", shape, dims)
    posterior/b_global (2, 100, 2) chain, draw, coef
    posterior/b_state (2, 100, 3, 2) chain, draw, state, coef
    pooling/pooling_state (3, 2) state, coef_state
    posterior/sd_state (2, 100, 2) chain, draw, coef_state
    model_scale/sd_state (2, 100, 2) chain, draw, coef_state
    posterior/b_county (2, 100, 7, 2) chain, draw, county, coef
    pooling/pooling_county (7, 1) county, coef_county
    posterior/sd_county (2, 100, 3, 1) chain, draw, state, coef_county
    model_scale/sd_county (2, 100, 3, 1) chain, draw, state, coef_county
    posterior/sigma (2, 100) chain, draw
    model_scale/sigma (2, 100) chain, draw
    """
    opts = spec["options"]
    C, D = spec["diagnostics"]["chains"], spec["diagnostics"]["draws"]
    coefs = ["intercept", *(str(decode_value(c)) for c in spec["x"])]
    d = len(coefs)
    varying = opts.get("varying") or {}
    levels = [str(decode_value(lv)) for lv in spec["levels"]]
    scales = ("posterior", "model_scale")
    out: list[tuple] = [("posterior", "b_global", (C, D, d), "chain, draw, coef")]
    for depth, lv in enumerate(levels):
        n = len(tables[lv])
        k = sum(c in varying[lv] for c in coefs) if lv in varying else d
        out.append(("posterior", f"b_{lv}", (C, D, n, d), f"chain, draw, {lv}, coef"))
        out.append(("pooling", f"pooling_{lv}", (n, k), f"{lv}, coef_{lv}"))
        if not k:
            continue
        if opts.get("correlated") and k >= 2:
            mat = ((C, D, k, k), f"chain, draw, coef_{lv}, coef_{lv}_")
            out += [("posterior", f"corr_{lv}", *mat), ("model_scale", f"chol_{lv}", *mat)]
        if opts.get("sd_per") == "parent" and depth:
            parent = levels[depth - 1]
            sd = ((C, D, len(tables[parent]), k), f"chain, draw, {parent}, coef_{lv}")
        else:
            sd = ((C, D, k), f"chain, draw, coef_{lv}")
        out += [(g, f"sd_{lv}", *sd) for g in scales]
    family = families.get(opts.get("likelihood", "normal"))
    scalars = ["sigma"] if family.scale else []
    scalars += [name for name in family.extra if name not in family.fixed(SimpleNamespace(**opts))]
    out += [(g, name, (C, D), "chain, draw") for name in scalars for g in scales]
    return out


def _check_arrays(path: Path, tree, expected: list[tuple]) -> None:
    """Raise :class:`HierFileError` for the first missing, mis-shaped or non-finite array."""
    redo = "the file is incomplete or was altered after saving; save the fit again or refit"
    groups = dict.fromkeys([g for g, *_ in expected] + list(FINITE_GROUPS))
    for group in groups:
        if group not in tree.children:
            raise HierFileError(f"{path}: the group idata.zarr/{group} is missing ({redo})")
    for group, name, shape, dims in expected:
        if name not in tree[group].data_vars:
            raise HierFileError(f"{path}: idata.zarr/{group}/{name} is missing ({redo})")
        got = tree[group][name].shape
        if got != shape:
            raise HierFileError(
                f"{path}: idata.zarr/{group}/{name} has shape {got}, but the spec and lookup "
                f"tables imply {shape} ({dims}) ({redo})"
            )
    for group in FINITE_GROUPS:
        for name, var in tree[group].data_vars.items():
            values = np.asarray(var.values)
            if values.dtype.kind not in "fc":
                continue
            bad = ~np.isfinite(values)
            if bad.any():
                at = dict(zip(var.dims, map(int, np.argwhere(bad)[0]), strict=True))
                raise HierFileError(
                    f"{path}: idata.zarr/{group}/{name} holds {int(bad.sum())} non-finite "
                    f"value(s) (NaN or infinite), the first at {at} ({redo})"
                )


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
        Before anything is written, if a level column holds labels that would not load back
        as themselves (e.g. timestamps, decimals, enums); the message names the column, a
        label and its type. Supported labels: str, int, float, bool, None, bytes, numpy
        scalars, tuples and frozensets of these, in object, numeric, bool, string (``"str"``,
        ``"string"``) or category columns.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> path = fit.save(pathlib.Path(tempfile.mkdtemp()) / "salary.hier")
    >>> pandas_hier.load(path).predict(new_df)["level"].tolist()
    ['county', 'state']
    """
    path = Path(path)
    try:  # refuse before anything is written
        fit_tables = fit.tables
        tables = {str(lv): table_to_json(fit_tables[lv], fit.levels) for lv in fit.levels}
    except LabelError as err:
        raise HierFileError(f"cannot save to {path}: {err}") from None
    try:  # names are stored as labels are, so that a tuple name loads back as a tuple
        names = [encode_value(c) for c in (*fit.levels, *fit.x, fit.y)]
    except LabelError as err:
        raise HierFileError(
            f"cannot save to {path}: the column name {err.args[0]!r} of type "
            f"{type(err.args[0]).__name__} cannot be stored; rename the column, e.g. to a str"
        ) from None
    k = len(fit.levels)
    spec = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "levels": names[:k],
        "suffix": fit.hierarchy.suffix,
        "x": names[k:-1],
        "y": names[-1],
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
        "tables": tables,
        "versions": _versions(),
    }
    try:
        spec_text = json.dumps(spec, indent=1, allow_nan=True)
    except TypeError as err:
        raise HierFileError(
            f"cannot save to {path}: {err} (the settings must be JSON-representable)"
        ) from None
    path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".hier-", dir=path.parent) as work:
        store = Path(work) / "idata.zarr"
        fit.idata.to_zarr(store, consolidated=False)
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
