"""Prediction for new rows and new groups, from a :class:`~pandas_hier.HierFit`.

A row whose full path was seen in training uses its leaf's coefficients. Otherwise it walks up
the tree to the deepest known ancestor ("level" column of the result) and, with
``unseen="sample"``, draws a new offset for every unseen level below it from that level's sd,
once per posterior draw and once per new group (all rows of one new county share its offset).

Examples
--------
>>> pred = fit.predict(new_df, random_seed=0)
>>> pred.columns.tolist()
['mean', 'hdi_low', 'hdi_high', 'level', 'sampled']
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pandas as pd
import pandera.pandas as pa

from pandas_hier import families, names, report, schema
from pandas_hier._params import Integer, Options, Real, validate_params
from pandas_hier.errors import ColumnNotFoundError, HierValidationError
from pandas_hier.intervals import hdi
from pandas_hier.names import ScaleKind

if TYPE_CHECKING:  # pragma: no cover
    from pandas_hier.result import HierFit

__all__ = ["MISSING", "UNSEEN", "encode_new", "predict", "prediction_schema"]

#: Code given by ``HierFit.encode`` to a group not seen in training.
UNSEEN = -1
#: Code given by ``HierFit.encode`` where a level value is missing.
MISSING = -2

KINDS = ("mean", "posterior_predictive", "draws")
UNSEEN_POLICIES = ("sample", "parent", "error")
MISSING_POLICIES = ("error", "parent", "global")
_ROW_CHUNK = 2048


def _label_kind(dtype) -> str:
    if isinstance(dtype, pd.CategoricalDtype):
        return _label_kind(dtype.categories.dtype)
    if pd.api.types.is_bool_dtype(dtype):
        return "bool"
    if pd.api.types.is_numeric_dtype(dtype):
        return "number"
    if pd.api.types.is_string_dtype(dtype) and dtype != object:
        return "string"
    return "object"


def prediction_schema(fit: HierFit) -> pa.DataFrameSchema:
    """Schema new data must satisfy: the predictors (numeric, finite, no missing value) and the
    level columns (present, labels of the same kind as in training; missing values are left to
    ``predict``'s ``missing=`` policy).

    Examples
    --------
    >>> from pandas_hier.predict import prediction_schema
    >>> list(prediction_schema(fit).columns)
    ['degree', 'state', 'county', 'month']
    """
    columns: dict = {}
    tables = fit.tables
    for level in fit.levels:
        trained = _label_kind(tables[level][level].dtype)

        def same_kind(series: pd.Series, trained=trained) -> bool:
            got = _label_kind(series.dtype)
            return got == trained or "object" in (got, trained) or series.isna().all()

        columns[level] = pa.Column(
            nullable=True,
            required=True,
            checks=[
                pa.Check(same_kind, name=f"label_kind_{trained}"),
                pa.Check(schema._hashable, name="hashable_labels"),
            ],
        )
    for col in fit.x:
        columns[col] = pa.Column(
            nullable=False,
            required=True,
            checks=[pa.Check(schema._numeric, name="numeric"), pa.Check(schema._finite, name="finite")],
        )
    return pa.DataFrameSchema(columns, name="data to predict")


def _codes(fit: HierFit, new: pd.DataFrame) -> np.ndarray:
    """(levels, rows) training codes; UNSEEN or MISSING where there is none."""
    levels = list(fit.levels)
    out = np.empty((len(levels), len(new)), dtype=np.int64)
    missing = new[levels].isna().to_numpy()
    tables = fit.tables
    for depth, level in enumerate(levels):
        cols = levels[: depth + 1]
        table = tables[level]
        known = pd.MultiIndex.from_frame(table[cols].astype(object))
        asked = pd.MultiIndex.from_frame(new[cols].astype(object))
        codes = np.asarray(known.get_indexer(asked), dtype=np.int64)
        codes[codes < 0] = UNSEEN
        codes[missing[:, : depth + 1].any(axis=1)] = MISSING
        out[depth] = codes
    return out


def encode_new(fit: HierFit, new_df: pd.DataFrame) -> pd.DataFrame:
    """``new_df`` plus the fit's own code columns; unseen groups get :data:`UNSEEN` (-1) and
    missing level values :data:`MISSING` (-2). The input is not modified.

    Examples
    --------
    >>> from pandas_hier.predict import encode_new
    >>> encode_new(fit, new_df)["county_idx"].tolist()
    [0, -1]
    """
    missing_cols = [lv for lv in fit.levels if lv not in new_df.columns]
    if missing_cols:
        raise HierValidationError(
            f"level columns {missing_cols!r} are missing from the frame",
            pd.DataFrame({"column": missing_cols, "check": "column_in_dataframe", "index": None,
                          "failure_case": missing_cols}),  # fmt: skip
        )
    codes = _codes(fit, new_df)
    cols = {c: codes[d].astype(np.int32) for d, c in enumerate(fit.hierarchy.code_columns)}
    return new_df.drop(columns=[c for c in cols if c in new_df.columns]).assign(**cols)


def _offset_scales(fit: HierFit, tree, depth: int, parent_codes: np.ndarray) -> np.ndarray:
    """Model-scale draws (S, n, d, d) of the offset scale matrix L for new groups whose parent
    group codes (at depth-1) are ``parent_codes`` (UNSEEN for a new parent)."""
    level = str(fit.levels[depth])
    coefs = ["intercept", *map(str, fit.x)]
    d = len(coefs)
    varying = [coefs.index(c) for c in tree["pooling"][names.coef_dim(level)].values.tolist()]
    model = tree["model_scale"]
    S = model.sizes["chain"] * model.sizes["draw"]
    L = np.zeros((S, len(parent_codes), d, d))
    if not varying:
        return L
    opts = fit.options
    kind = names.scale_kind(sd_per=opts.sd_per, correlated=opts.correlated, depth=depth,
                            n_varying=len(varying))  # fmt: skip
    rows, cols = np.ix_(varying, varying)
    if kind is ScaleKind.CHOL:
        L[:, :, rows, cols] = model[names.chol(level)].values.reshape(S, 1, len(varying), len(varying))
        return L
    sd = model[names.sd(level)].values.reshape(S, -1, len(varying))
    if kind is ScaleKind.PARENT:  # one sd per parent group; a new parent gets their average
        per = np.where(
            (parent_codes >= 0)[None, :, None],
            sd[:, np.clip(parent_codes, 0, None), :],
            sd.mean(axis=1, keepdims=True),
        )
    else:
        per = np.broadcast_to(sd, (S, len(parent_codes), len(varying)))
    for a, i in enumerate(varying):
        L[:, :, i, i] = per[:, :, a]
    return L


#: The arguments of ``predict`` and their constraints, declared once.
PREDICT_CONSTRAINTS: dict = {
    "new_df": [pd.DataFrame],
    "kind": [Options(*KINDS)],
    "hdi_prob": [Real(0, 1, closed="neither")],
    "unseen": [Options(*UNSEEN_POLICIES)],
    "missing": [Options(*MISSING_POLICIES)],
    "random_seed": [None, Integer(0)],
}


@validate_params(PREDICT_CONSTRAINTS, caller="predict")
def predict(
    fit: HierFit,
    new_df: pd.DataFrame,
    *,
    kind: str = "mean",
    hdi_prob: float = 0.94,
    unseen: str = "sample",
    missing: str = "error",
    random_seed: int | None = None,
):
    """Predict for new rows, including rows of groups not seen in training.

    Parameters
    ----------
    fit : HierFit
    new_df : pandas.DataFrame
        Needs the level columns and the predictors (validated lazily: every problem is
        reported at once). Not modified.
    kind : {"mean", "posterior_predictive", "draws"}
        ``"mean"``: the expected value's posterior mean and HDI, on the response scale (for
        ``bernoulli`` and ``binomial`` the probability of success per trial, for ``poisson``
        and ``negbinomial`` the rate per unit of exposure); ``"posterior_predictive"``: a new
        observation's (noise included; the new rows need the fit's ``trials`` or
        ``exposure`` column); ``"draws"``: an ``xarray.Dataset`` with the draws ``mu`` (the
        response-scale mean) and ``y_rep`` (chain, draw, obs).
    hdi_prob : float, default 0.94
    unseen : {"sample", "parent", "error"}
        A group not seen in training walks up the tree to its deepest known ancestor.
        ``"sample"`` then draws a new offset for each unseen level from that level's sd,
        per posterior draw and per new group; ``"parent"`` uses the ancestor's
        coefficients; ``"error"`` raises, listing the unseen paths.
    missing : {"error", "parent", "global"}
        A missing level value is an error, or the row uses the coefficients above the
        missing level (``"parent"``) or the global ones (``"global"``).
    random_seed : int, optional
        Makes sampled predictions reproducible.

    Returns
    -------
    pandas.DataFrame or xarray.Dataset
        Aligned to ``new_df.index``: ``mean``, ``hdi_low``, ``hdi_high``, ``level`` (the
        deepest known level the coefficients came from, or ``"global"``) and ``sampled``
        (new offsets were drawn below that level).

    Examples
    --------
    >>> new_df  # a known county, then a county not seen in training
       degree    state    county  month
    0  degree  Alabama  Hamilton      3
    1  degree  Alabama   Nowhere     24
    >>> pred = fit.predict(new_df, random_seed=0)
    >>> pred[["level", "sampled"]]
        level  sampled
    0  county    False
    1   state     True
    """
    report.check(prediction_schema(fit), new_df, "data to predict")
    levels = list(fit.levels)
    if missing == "error" and new_df[levels].isna().any().any():
        report.check(schema.input_schema(levels), new_df[levels], "data to predict")
    codes = _codes(fit, new_df)
    k, n = codes.shape
    rng = np.random.default_rng(random_seed)

    # Deepest known level per row, and how deep the row's own (non-missing) path goes.
    known = codes >= 0
    depth_known = np.where(known.any(0), k - 1 - np.argmax(known[::-1], axis=0), -1)
    specified = np.where((codes == MISSING).any(0), np.argmax(codes == MISSING, axis=0) - 1, k - 1)
    if missing == "global":
        has_missing = (codes == MISSING).any(0)
        depth_known = np.where(has_missing, -1, depth_known)
        specified = np.where(has_missing, -1, specified)
    if unseen == "error" and (specified > depth_known).any():
        rows = np.flatnonzero(specified > depth_known)
        paths = sorted({tuple(map(str, new_df.iloc[r][levels[: specified[r] + 1]])) for r in rows})
        shown = "; ".join(" / ".join(p) for p in paths[:10])
        raise HierValidationError(
            f"unseen=\"error\": {len(paths)} group path(s) were not in the training data, e.g. "
            f"{shown}; use unseen=\"sample\" or \"parent\" to predict for them",
            pd.DataFrame({"column": [levels[specified[r]] for r in rows], "check": "seen_in_training",
                          "index": new_df.index[rows], "failure_case": None}),  # fmt: skip
        )
    depth_used = depth_known if unseen == "parent" else np.maximum(depth_known, specified)

    tree = fit.idata
    post = tree["posterior"]
    S = post.sizes["chain"] * post.sizes["draw"]
    d = 1 + len(fit.x)
    glob = post[names.GLOBAL].values.reshape(S, d)
    _, M = fit.scaling.coef_map()

    # Node draws: for each row, theta (S, d) of the node it uses. Known nodes index the
    # posterior; new nodes (unseen paths) are built level by level from their parents.
    node_theta: list[np.ndarray] = [glob[:, None, :]]  # node table 0: global
    row_table = np.zeros(n, dtype=np.int64)  # which node table a row's node is in
    row_node = np.zeros(n, dtype=np.int64)  # and its index there
    for depth in range(k):
        level = str(levels[depth])
        b = post[names.b(level)].values.reshape(S, -1, d)
        table_known = len(node_theta)
        node_theta.append(b)
        at_known = depth_known >= depth
        row_table[at_known] = table_known
        row_node[at_known] = codes[depth][at_known]
        # new nodes at this depth: rows whose path here is specified but unseen, being sampled
        new_here = (depth_used >= depth) & (depth_known < depth)
        if new_here.any():
            rows_here = np.flatnonzero(new_here)
            keys = pd.MultiIndex.from_frame(new_df.iloc[rows_here][levels[: depth + 1]].astype(object))
            # one new group per distinct path (repr keeps 1 and "1" apart); sorted: reproducible
            _, first_idx, inverse = np.unique(
                keys.to_flat_index().map(repr).to_numpy(), return_index=True, return_inverse=True
            )
            first = rows_here[first_idx]  # a row of each new group: its parent is the rows' parent
            n_new = len(first)
            parent_theta = _gather(node_theta, row_table[first], row_node[first])
            parent_codes = codes[depth - 1][first] if depth else np.zeros(n_new, np.int64)
            L = _offset_scales(fit, tree, depth, parent_codes)
            z = rng.standard_normal((S, n_new, d))
            offset_model = np.einsum("snij,snj->sni", L, z)
            offset = np.einsum("ij,snj->sni", M, offset_model)
            table_new = len(node_theta)
            node_theta.append(parent_theta + offset)
            row_table[rows_here] = table_new
            row_node[rows_here] = inverse

    X = np.column_stack([np.ones(n), new_df[list(fit.x)].to_numpy(dtype=np.float64)])
    sigma = post[names.SIGMA].values.reshape(S, 1) if names.SIGMA in post else None
    family = families.get(fit.options.likelihood)
    extra = family.extra_draws({k: post[k].values for k in family.extra if k in post}, fit.options, S)
    rows_data = _rows_data(fit, new_df, needed=kind != "mean")

    def row_draws(rows: np.ndarray, noise: bool) -> np.ndarray:
        theta = _gather(node_theta, row_table[rows], row_node[rows])
        eta = np.einsum("snd,nd->sn", theta, X[rows])
        if not noise:  # the response-scale mean (per trial, per unit of exposure)
            return family.inverse_link(eta)
        if "exposure" in rows_data:
            eta = eta + np.log(rows_data["exposure"][rows])
        more = {"trials": rows_data["trials"][rows]} if "trials" in rows_data else {}
        return family.draw(rng, eta, sigma, **extra, **more)

    level_names = np.array(["global", *map(str, levels)], dtype=object)
    if kind == "draws":
        import xarray as xr

        rows = np.arange(n)
        mu = row_draws(rows, noise=False)
        shape = (post.sizes["chain"], post.sizes["draw"], n)
        y_rep = row_draws(rows, noise=True)
        return xr.Dataset(
            {"mu": (("chain", "draw", "obs"), mu.reshape(shape)),
             "y_rep": (("chain", "draw", "obs"), y_rep.reshape(shape))},
            coords={"chain": post["chain"].values, "draw": post["draw"].values,
                    "obs": np.asarray(new_df.index), "level": ("obs", level_names[depth_known + 1]),
                    "sampled": ("obs", depth_used > depth_known)},
        )  # fmt: skip
    mean = np.empty(n)
    lo = np.empty(n)
    hi = np.empty(n)
    for start in range(0, n, _ROW_CHUNK):
        rows = np.arange(start, min(start + _ROW_CHUNK, n))
        draws = row_draws(rows, noise=(kind == "posterior_predictive"))
        mean[rows] = draws.mean(0)
        lo[rows], hi[rows] = hdi(draws, hdi_prob)
    return pd.DataFrame(
        {
            "mean": mean,
            "hdi_low": lo,
            "hdi_high": hi,
            "level": pd.Categorical(level_names[depth_known + 1], categories=level_names),
            "sampled": depth_used > depth_known,
        },
        index=new_df.index,
    )


def _rows_data(fit: HierFit, new_df: pd.DataFrame, needed: bool) -> dict:
    """The trials or exposures of the new rows, where replicated responses need them."""
    out = {}
    for name in ("trials", "exposure"):
        column = getattr(fit.options, name)
        if column is None or not needed:
            continue
        if column not in new_df.columns:
            raise ColumnNotFoundError(
                f"predict: kind='posterior_predictive' and 'draws' replicate responses, which "
                f"needs the {name} column {column!r} in the new rows (kind='mean' does not)"
            )
        values = new_df[column].to_numpy(np.float64)
        bad = ~np.isfinite(values) | (values < 1 if name == "trials" else values <= 0)
        if name == "trials":
            bad |= values != np.floor(values)
        if bad.any():
            raise ValueError(
                f"predict: column {column!r} ({name}) has invalid values at rows "
                f"{list(new_df.index[bad][:5])}: {name} must be "
                f"{'whole numbers >= 1' if name == 'trials' else 'positive'}"
            )
        out[name] = values
    return out


def _gather(tables: list[np.ndarray], table: np.ndarray, node: np.ndarray) -> np.ndarray:
    """Draws (S, m, d) of nodes given by (table, index) pairs; table 0 (global) has one node."""
    S, d = tables[0].shape[0], tables[0].shape[2]
    out = np.empty((S, len(table), d))
    for t in np.unique(table):
        sel = np.flatnonzero(table == t)
        idx = node[sel] if t else np.zeros(len(sel), np.int64)
        out[:, sel, :] = tables[t][:, idx, :]
    return out
