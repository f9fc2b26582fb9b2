"""Tests of pandas_hier.loading: intact archives load; bad ones are refused by name."""

from __future__ import annotations

import json
import zipfile

import numpy as np
import pandas as pd
import pytest
from helpers import _rewrite

import pandas_hier
from conftest import mock_fit
from pandas_hier import HierFileError
from pandas_hier.io import expected_arrays

pytest.importorskip("pymc")


def test_truncated_foreign_and_newer_files(fit, tmp_path):
    path = fit.save(tmp_path / "fit.hier")
    truncated = tmp_path / "truncated.hier"
    truncated.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(HierFileError, match=r"truncated\.hier: not a pandas-hier fit \(not a zip archive; the file may be truncated"):
        pandas_hier.load(truncated)
    foreign = tmp_path / "notes.hier"
    foreign.write_text("hello")
    with pytest.raises(HierFileError, match=r"notes\.hier: not a pandas-hier fit"):
        pandas_hier.load(foreign)
    other_zip = tmp_path / "other.hier"
    with zipfile.ZipFile(other_zip, "w") as zf:
        zf.writestr("data.csv", "a,b\n1,2\n")
    with pytest.raises(HierFileError, match=r"other\.hier: not a pandas-hier fit \(no spec.json inside\)"):
        pandas_hier.load(other_zip)
    newer = tmp_path / "newer.hier"
    with zipfile.ZipFile(path) as src, zipfile.ZipFile(newer, "w") as dst:
        for item in src.infolist():
            data = src.read(item.filename)
            if item.filename == "spec.json":
                spec = json.loads(data)
                spec["format_version"] = 99
                data = json.dumps(spec).encode()
            dst.writestr(item, data)
    with pytest.raises(HierFileError, match=r"newer\.hier: written by a newer pandas-hier \(format version 99"):
        pandas_hier.load(newer)
    with pytest.raises(HierFileError, match="no such file"):
        pandas_hier.load(tmp_path / "absent.hier")


# ---------------------------------------------------------------- damaged archives


FIT_OPTIONS = {
    "default": {},
    "correlated": {"correlated": True},
    "sd per parent": {"sd_per": "parent"},
    "intercept-only county": {"varying": {"county": ["intercept"]}},
    "studentt": {"likelihood": "studentt"},
    "studentt fixed nu": {"likelihood": "studentt", "nu": 4.0},
    "cauchy noncentered": {"likelihood": "cauchy", "parameterization": "noncentered"},
}


@pytest.fixture(scope="module")
def saved(salary, tmp_path_factory):
    """One saved fit per option set: (fit, path)."""
    folder = tmp_path_factory.mktemp("saved")
    out = {}
    for name, options in FIT_OPTIONS.items():
        fit = mock_fit(salary, draws=20, chains=2, random_seed=3, **options)
        out[name] = (fit, fit.save(folder / f"{name.replace(' ', '_')}.hier"))
    return out


@pytest.mark.parametrize("name", FIT_OPTIONS)
def test_intact_archives_load_and_hold_what_the_spec_implies(name, saved, salary):
    fit, path = saved[name]
    same = pandas_hier.load(path)
    pd.testing.assert_frame_equal(same.predict(salary, random_seed=0), fit.predict(salary, random_seed=0))
    with zipfile.ZipFile(path) as zf:
        spec = json.loads(zf.read("spec.json"))
    expected = {f"{g}/{v}": shape for g, v, shape, _ in expected_arrays(spec, {str(k): t for k, t in fit.tables.items()})}
    tree = fit.idata
    for key, shape in expected.items():
        group, var = key.split("/")
        assert tree[group][var].shape == shape, key
    options = FIT_OPTIONS[name]
    assert ("posterior/nu" in expected) == (options.get("likelihood") == "studentt" and "nu" not in options)
    assert ("posterior/corr_county" in expected) == ("correlated" in options)
    assert ("model_scale/chol_state" in expected) == ("correlated" in options)
    if name == "sd per parent":
        assert expected["posterior/sd_county"] == (2, 20, len(fit.tables["state"]), 2)
    if name == "intercept-only county":
        assert expected["pooling/pooling_county"] == (len(fit.tables["county"]), 1)


REMOVED = [
    ("default", "posterior/b_county"),
    ("default", "posterior/b_global"),
    ("default", "posterior/sd_state"),
    ("default", "posterior/sigma"),
    ("default", "model_scale/sd_county"),
    ("default", "model_scale/sigma"),
    ("default", "pooling/pooling_degree"),
    ("correlated", "posterior/corr_county"),
    ("correlated", "model_scale/chol_degree"),
    ("studentt", "posterior/nu"),
    ("studentt", "model_scale/nu"),
    ("sd per parent", "posterior/sd_county"),
]


@pytest.mark.parametrize(("name", "var"), REMOVED)
def test_a_removed_array_is_named(name, var, saved, tmp_path):
    _, path = saved[name]
    bad = _rewrite(path, tmp_path / "bad.hier", drop=f"idata.zarr/{var}/")
    with pytest.raises(HierFileError, match=rf"bad\.hier: idata\.zarr/{var} is missing \(the file is incomplete or was altered"):
        pandas_hier.load(bad)


def test_a_removed_group_is_named(saved, tmp_path):
    _, path = saved["default"]
    bad = _rewrite(path, tmp_path / "bad.hier", drop="idata.zarr/pooling/")
    with pytest.raises(HierFileError, match=r"bad\.hier: the group idata\.zarr/pooling is missing"):
        pandas_hier.load(bad)


def _with_value(fit, group: str, var: str, index: tuple, value: float):
    import xarray as xr

    tree = fit.idata
    groups = {name: tree[name].to_dataset() for name in tree.children}
    arr = groups[group][var].values.copy()
    arr[index] = value
    groups[group][var] = groups[group][var].copy(data=arr)
    return fit._with_tree(xr.DataTree.from_dict(groups))


@pytest.mark.parametrize(
    ("group", "var", "index", "value"),
    [
        ("posterior", "b_county", (1, 4, 5, 1), np.nan),
        ("posterior", "sigma", (0, 2), np.inf),
        ("model_scale", "sd_state", (1, 0, 0), -np.inf),
        ("pooling", "pooling_county", (3, 0), np.nan),
    ],
)
def test_a_non_finite_value_is_named(group, var, index, value, saved, tmp_path):
    fit, _ = saved["default"]
    bad = _with_value(fit, group, var, index, value).save(tmp_path / "bad.hier")
    dims = list(fit.idata[group][var].dims)
    where = ", ".join(f"'{d}': {i}" for d, i in zip(dims, index, strict=True))
    with pytest.raises(
        HierFileError,
        match=rf"bad\.hier: idata\.zarr/{group}/{var} holds 1 non-finite value\(s\) \(NaN or infinite\), the first at \{{{where}\}}",
    ):
        pandas_hier.load(bad)


def test_sample_stats_may_hold_nan(saved, tmp_path):
    fit, _ = saved["default"]
    ok = _with_value(fit, "sample_stats", "diverging", (0, 0), np.nan).save(tmp_path / "ok.hier")
    pandas_hier.load(ok)


def test_a_wrong_shape_is_named(saved, tmp_path):
    fit, path = saved["default"]

    def drop_last_county(spec):
        for entry in spec["tables"]["county"]["columns"].values():
            entry["values"] = entry["values"][:-1]

    bad = _rewrite(path, tmp_path / "bad.hier", spec_edit=drop_last_county)
    n = len(fit.tables["county"])
    with pytest.raises(HierFileError, match=rf"bad\.hier: idata\.zarr/posterior/b_county has shape \(2, 20, {n}, 2\), but the spec and lookup tables imply \(2, 20, {n - 1}, 2\) \(chain, draw, county, coef\)"):
        pandas_hier.load(bad)
    extra = _rewrite(path, tmp_path / "extra.hier", spec_edit=lambda spec: spec["x"].append("tenure"))
    with pytest.raises(HierFileError, match=r"posterior/b_global has shape \(2, 20, 2\), but the spec and lookup tables imply \(2, 20, 3\)"):
        pandas_hier.load(extra)


def test_a_damaged_table_is_a_file_error(saved, tmp_path):
    _, path = saved["default"]
    bad = _rewrite(path, tmp_path / "bad.hier", spec_edit=lambda spec: spec["tables"]["state"]["columns"]["state"]["values"].__setitem__(0, {"alien": 1}))
    with pytest.raises(HierFileError, match=r"bad\.hier: damaged spec\.json \(ValueError: unknown label encoding \{'alien': 1\}\)"):
        pandas_hier.load(bad)
