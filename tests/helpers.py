"""Helpers shared by several test modules: level names, small data sets, quiet fits through
the mock sampler, model evaluation and archive rewriting.

The mock sampler itself (``mock_sampling``, the ``mock_sampler`` fixture, ``mock_fit``) lives in
the root ``conftest.py``, next to the doctest fit that uses it too.
"""

from __future__ import annotations

import json
import warnings
import zipfile

import numpy as np
import pandas as pd

import pandas_hier
from pandas_hier.design import ModelData
from pandas_hier.stats import leaf_stats

LEVELS = ["degree", "state", "county"]


def encoding_frame() -> pd.DataFrame:
    """Six rows in which 'Kings' lies under three (degree, state) paths; a non-default index."""
    return pd.DataFrame(
        {
            "degree": ["no", "yes", "yes", "no", "yes", "no"],
            "state": ["NY", "NY", "CA", "CA", "NY", "NY"],
            "county": ["Kings", "Kings", "Kings", "Marin", "Erie", "Kings"],
            "month": [1, 2, 3, 4, 5, 6],
            "salary": [10.0, 20.0, 30.0, 40.0, 50.0, 60.0],
        },
        index=pd.Index([10, 11, 12, 13, 14, 15], name="row"),
    )


def two_level_frame(rng, n_top, n_leaf, per, *, intercept, sd_top, sd_leaf, slope):
    """Leaves ``b`` nested in ``a`` (``per`` rows each) with a standard normal predictor ``x``,
    and the linear predictor ``intercept + top effect + leaf effect + slope x`` (effects normal
    with sds ``sd_top`` and ``sd_leaf``), drawn in that order from ``rng``. Returns the frame
    (no response yet) and the linear predictor."""
    top = np.repeat(np.arange(n_top), n_leaf * per)
    leaf = np.repeat(np.arange(n_top * n_leaf), per)
    x = rng.standard_normal(len(leaf))
    eta = (intercept + sd_top * rng.standard_normal(n_top)[top]
           + sd_leaf * rng.standard_normal(n_top * n_leaf)[leaf] + slope * x)  # fmt: skip
    df = pd.DataFrame({"a": [f"a{i}" for i in top], "b": [f"b{i % n_leaf}" for i in leaf], "x": x})
    return df, eta


def quiet_fit(frame, *args, **kwargs):
    kwargs = {"draws": 20, "chains": 2, "sampler": "pymc", "random_seed": 1, "progressbar": False, **kwargs}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", pandas_hier.HierSamplingWarning)
        return frame.hier.fit(*args, **kwargs)


def check_gibbs_fit(df, levels, slope, *, max_rhat, repeated, **kw):
    """Fit ``y ~ x`` twice with the same seed and check what every Gibbs fit must show: the
    Gibbs route on every level, no divergences, mixing (``max_rhat``, bulk ESS above 100), the
    global slope within 4 sds of ``slope``, and the ``repeated`` variable drawn identically.
    Returns the first fit."""
    fit = quiet_fit(df, "x", "y", levels=levels, **kw)
    assert fit.sampler == "gibbs" and set(fit.parameterization.values()) == {"augmented"}
    d = fit.diagnostics
    assert d.divergences == 0 and d.max_rhat < max_rhat and d.min_ess_bulk > 100, d
    est = fit.summary().query("parameter == 'b_global' and coef == 'x'").iloc[0]
    assert abs(est["mean"] - slope) < 4 * est["sd"]
    again = quiet_fit(df, "x", "y", levels=levels, **kw)
    np.testing.assert_array_equal(fit.idata["posterior"][repeated], again.idata["posterior"][repeated])
    return fit


def tiny_data(n_rows=24, seed=0, p=1, sizes=(2, 3, 5)):
    """Random 3-level tree (parents non-decreasing) with rows spread over the leaves."""
    rng = np.random.default_rng(seed)
    parents = [np.zeros(sizes[0], np.int64)]
    for up, n in zip(sizes[:-1], sizes[1:], strict=True):
        par = np.sort(np.r_[np.arange(up), rng.integers(0, up, n - up)])
        parents.append(par)
    leaf = np.sort(np.r_[np.arange(sizes[-1]), rng.integers(0, sizes[-1], n_rows - sizes[-1])])
    X = np.column_stack([np.ones(n_rows), rng.normal(size=(n_rows, p))])
    y = rng.normal(size=n_rows)
    levels = tuple(f"L{i}" for i in range(len(sizes)))
    coefs = ("intercept", *[f"x{i}" for i in range(p)])
    coords = {lv: [f"{lv}-{g}" for g in range(s)] for lv, s in zip(levels, sizes, strict=True)}
    coords |= {"coef": list(coefs), "predictor": list(coefs[1:])}
    return ModelData(
        X=X, y=y, leaf=leaf, parents=tuple(parents), sizes=sizes, levels=levels, coefs=coefs,
        coords=coords, coef_scale=np.ones(p + 1), y_scale=1.0,
        stats=leaf_stats(X, y, leaf, sizes[-1]),
    )  # fmt: skip


def _logp_and_grad(model, point):
    import pytensor
    from pointing import FAST  # imports PyTensor: only when a model is evaluated

    logp = model.logp()
    fn = pytensor.function(
        model.value_vars, [logp, *pytensor.grad(logp, model.value_vars)], mode=FAST
    )
    out = fn(*[point[v.name] for v in model.value_vars])
    return out[0], out[1:]


def _row(degree, state, county, month=3):
    return {"degree": degree, "state": state, "county": county, "month": month}


def _rewrite(src, dst, *, drop: str | None = None, spec_edit=None):
    """Copy the archive ``src`` to ``dst`` without entries under ``drop``, editing the spec."""
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        dropped = 0
        for item in zin.infolist():
            if drop and item.filename.startswith(drop):
                dropped += 1
                continue
            data = zin.read(item.filename)
            if item.filename == "spec.json" and spec_edit:
                spec = json.loads(data)
                spec_edit(spec)
                data = json.dumps(spec).encode()
            zout.writestr(item, data)
    assert drop is None or dropped, f"nothing under {drop} in {src}"
    return dst
