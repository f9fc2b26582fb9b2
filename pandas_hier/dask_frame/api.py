"""``encode``, ``tables`` and ``fit`` on Dask DataFrames: the pandas path's results, one pass each.

Each function reads every partition once, summarises it where it lies
(:func:`~pandas_hier.dask_frame.summary.summarize`), merges the summaries in a tree (eight at
a time) and brings only the merged summary to the client: its size grows with the number of
groups, not of rows. Validation runs per partition inside that pass; every partition's problems
are collected and raised together as one :class:`~pandas_hier.HierValidationError`.

Examples
--------
>>> import dask.dataframe as dd
>>> import pandas_hier.dask_frame
>>> ddf = dd.from_pandas(pandas_hier.datasets.load_salary(), npartitions=4)
>>> enc = ddf.hier.encode(["degree", "state", "county"])
>>> int(enc["county_idx"].max().compute()) + 1
100
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Hashable, Sequence

import dask
import dask.dataframe as dd
import numpy as np
import pandas as pd

from pandas_hier import _codes, display, encoding, families, fitting, report, schema
from pandas_hier._params import Boolean, validate_params
from pandas_hier.dask_frame.build import design_from_summary, leaf_codes, tables_from_summary
from pandas_hier.dask_frame.summary import Summary, merge, summarize
from pandas_hier.design import check_arguments
from pandas_hier.errors import HierValidationError, InvalidParameterError, NotEncodedError
from pandas_hier.hierarchy import ATTRS_KEY, hierarchy_of

__all__ = ["encode", "fit", "tables"]

_FRAME: dict = {"ddf": [dd.DataFrame], "suffix": [None, str]}
_SPLIT_EVERY = 8


def _one_pass(ddf: dd.DataFrame, summarize_part) -> Summary:
    """Summaries of every partition merged in a tree; only the result reaches the client."""
    parts = [dask.delayed(summarize_part)(p) for p in ddf.to_delayed()]
    while len(parts) > 1:
        parts = [
            dask.delayed(merge)(parts[i : i + _SPLIT_EVERY])
            for i in range(0, len(parts), _SPLIT_EVERY)
        ]
    (out,) = dask.compute(parts[0])
    return out


def _raise_failures(summary: Summary, what: str, columns, extra: pd.DataFrame | None = None):
    """One error for the problems of every partition (and ``extra`` cases found on the meta)."""
    frames = [] if extra is None else [extra]
    if summary.failures is not None:
        frames.append(report.from_pandera(summary.failures))
    frames = [f for f in frames if len(f)]
    if not frames:
        return
    cases = pd.concat(frames, ignore_index=True)
    cases = cases.loc[~cases[["column", "check", "index"]].astype(str).duplicated()]
    cases = cases.reset_index(drop=True)
    raise HierValidationError(report.message(cases, what, columns), cases)


def _input_pass(ddf: dd.DataFrame, hier, own: list, dropna: bool) -> Summary:
    """The input checks of every partition in one pass, and the structural ones (absent or
    clashing columns) on the meta; one error for all of them, else the merged summary."""
    meta, levels = ddf._meta, list(hier.levels)
    structure = None
    try:
        encoding.check_structure(meta, hier, replaceable=own)
    except HierValidationError as err:
        structure = err.failure_cases
    summary = _one_pass(ddf[[c for c in levels if c in meta.columns]], functools.partial(
        summarize, levels=levels, dropna=dropna, schema=functools.partial(schema.input_schema, levels)))  # fmt: skip
    _raise_failures(summary, "hierarchy data", meta.columns, structure)
    return summary


def _warn_dropped(summary: Summary) -> None:
    if summary.dropped:
        encoding.warn_dropped(summary.dropped, summary.n_rows, list(summary.dropped_columns))


def _add_codes(part: pd.DataFrame, levels, leaves: pd.DataFrame, depth_codes, code_cols,
               dtypes, drop, attrs) -> pd.DataFrame:  # fmt: skip
    """One partition with its global codes: its leaf paths looked up among all leaf paths."""
    part = part.drop(columns=drop)
    part = part.loc[~part[levels].isna().to_numpy().any(axis=1)]
    leaf, n_local = _codes.path_codes(part[levels], levels)[-1]
    local = part[levels].iloc[_codes.first_rows(leaf, n_local)].reset_index(drop=True)
    found = local.merge(leaves, on=levels, how="left", sort=False)["__leaf__"]
    if found.isna().any():
        raise RuntimeError(
            "a partition holds label paths that the encoding pass did not see: the data changed "
            "between passes (persist() or write the frame before encoding a random source)"
        )
    global_leaf = found.to_numpy(np.int64)[leaf]
    out = part.assign(**{
        col: codes[global_leaf].astype(dtype) for col, codes, dtype in zip(code_cols, depth_codes, dtypes, strict=True)
    })  # fmt: skip
    out.attrs = attrs
    return out


@validate_params({**_FRAME, "dropna": [Boolean()]}, caller="encode")
def encode(
    ddf: dd.DataFrame,
    levels: Sequence[Hashable] | None = None,
    *,
    suffix: str | None = None,
    dropna: bool = False,
) -> dd.DataFrame:
    """:func:`pandas_hier.encode` on a Dask DataFrame: the same codes, global across partitions.

    One pass over the data collects the distinct label paths (and validates every partition);
    the result is a lazy frame whose partitions get their code columns when computed. Codes are
    ordered by sorted label path exactly as on the computed pandas frame (categorical levels:
    by category order when the categories are known to Dask).

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Input frame; never modified.
    levels, suffix, dropna
        As in :func:`pandas_hier.encode`. The ``DroppedRowsWarning`` of ``dropna=True`` comes
        at once, with the count over all partitions.

    Returns
    -------
    dask.dataframe.DataFrame
        Lazy: the input's columns and the code columns; the levels are recorded in its meta's
        ``attrs``, so that :func:`tables` and :func:`fit` need no repetition.

    Raises
    ------
    HierValidationError
        Every problem of every partition at once (absent columns, missing values, unhashable
        labels, clashing code columns). ``failure_cases`` holds at most 1,000 rows per
        partition and problem.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> from pandas_hier.dask_frame import encode
    >>> pdf = pd.DataFrame({"state": ["NY", "NY", "CA", "CA"],
    ...                     "county": ["Kings", "Erie", "Kings", "Kings"]})
    >>> enc = encode(dd.from_pandas(pdf, npartitions=2), ["state", "county"])
    >>> enc.compute()["county_idx"].tolist() == pdf.hier.encode(["state", "county"])["county_idx"].tolist()
    True
    """
    meta = ddf._meta
    hier = hierarchy_of(meta, levels, suffix)
    own = list(hierarchy_of(meta).code_columns) if ATTRS_KEY in meta.attrs else []
    levels = list(hier.levels)
    summary = _input_pass(ddf, hier, own, dropna)
    _warn_dropped(summary)
    leaves = summary.labels.reset_index(drop=True).assign(__leaf__=np.arange(summary.n_leaves))
    paths = leaf_codes(summary, hier)
    dtypes = [_codes.code_dtype(n) for _, n in paths]
    drop = [c for c in own if c in meta.columns]
    attrs = {**meta.attrs, ATTRS_KEY: hier.to_attrs()}
    out_meta = meta.drop(columns=drop).assign(
        **{c: pd.Series([], dtype=t) for c, t in zip(hier.code_columns, dtypes, strict=True)}
    )
    out_meta.attrs = attrs
    return ddf.map_partitions(
        _add_codes, levels, leaves, [c for c, _ in paths], list(hier.code_columns), dtypes, drop,
        attrs, meta=out_meta,
    )  # fmt: skip


def _unique_rows(part: pd.DataFrame, columns: list, levels: list) -> Summary:
    check = functools.partial(schema.encoded_schema, levels)
    return summarize(part, columns, schema=check)


@validate_params(_FRAME, caller="tables")
def tables(
    ddf: dd.DataFrame,
    levels: Sequence[Hashable] | None = None,
    *,
    suffix: str | None = None,
) -> dict[Hashable, pd.DataFrame]:
    """:func:`pandas_hier.tables` of an encoded Dask DataFrame: the same lookup tables (pandas).

    One pass collects the distinct (label path, codes) rows with their counts; the encoded
    schema then checks them as :func:`pandas_hier.tables` checks a whole frame.

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Output of :func:`encode` (or any frame with valid code columns).
    levels, suffix
        As in :func:`pandas_hier.tables`.

    Returns
    -------
    pandas_hier.display.Tables
        A ``dict`` of level -> DataFrame, as :func:`pandas_hier.tables` returns.

    Raises
    ------
    NotEncodedError, HierValidationError
        As :func:`pandas_hier.tables`.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> from pandas_hier.dask_frame import encode, tables
    >>> pdf = pd.DataFrame({"state": ["NY", "NY", "CA"], "county": ["Kings", "Erie", "Kings"]})
    >>> t = tables(encode(dd.from_pandas(pdf, npartitions=2), ["state", "county"]))
    >>> t["county"]["n_rows"].tolist()
    [1, 1, 1]
    """
    meta = ddf._meta
    hier = hierarchy_of(meta, levels, suffix)
    absent = [c for c in hier.code_columns if c not in meta.columns]
    if absent:
        raise NotEncodedError(
            f"code columns {absent!r} are missing: encode the frame first, e.g. "
            f"ddf.hier.encode({list(hier.levels)!r})"
        )
    columns = [*hier.levels, *hier.code_columns]
    summary = _one_pass(ddf[columns], functools.partial(
        _unique_rows, columns=columns, levels=list(hier.levels)))  # fmt: skip
    _raise_failures(summary, "encoded frame", meta.columns)
    rows = summary.labels.copy()
    rows.attrs = {ATTRS_KEY: hier.to_attrs()}
    report.check(schema.encoded_schema(hier.levels, hier.suffix), rows, "encoded frame")
    # The distinct rows are consistent: their label paths give the frame's tables.
    plain = Summary(rows[list(hier.levels)], summary.n, summary.mean, summary.comoment, summary.scale)
    return display.Tables(tables_from_summary(merge([plain]), hier))


@validate_params(_FRAME, caller="validate")
def validate(
    ddf: dd.DataFrame,
    levels: Sequence[Hashable] | None = None,
    *,
    suffix: str | None = None,
) -> dd.DataFrame:
    """:func:`pandas_hier.validate` on a Dask DataFrame: one pass checks every partition.

    An encoded frame gets the checks of :func:`tables` (one code per label path, one parent
    per child, contiguous codes); a raw frame those of :func:`encode` (present columns, no
    missing or unhashable labels).

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
    levels, suffix : optional

    Returns
    -------
    dask.dataframe.DataFrame
        ``ddf`` itself, unchanged, for method chains.

    Raises
    ------
    HierValidationError
        Every problem of every partition at once.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import pandas_hier
    >>> pdf = pd.DataFrame({"state": ["NY", None], "county": ["Kings", "Erie"]})
    >>> try:
    ...     validate(dd.from_pandas(pdf, npartitions=2), ["state", "county"])
    ... except pandas_hier.HierValidationError as err:
    ...     print(err.failure_cases[["column", "index"]].to_string(index=False))
    column  index
     state      1
    """
    meta = ddf._meta
    hier = hierarchy_of(meta, levels, suffix)
    if any(c in meta.columns for c in hier.code_columns):
        tables(ddf, levels, suffix=suffix)
        return ddf
    _input_pass(ddf, hier, [], dropna=False)
    return ddf


@validate_params(_FRAME, caller="decode")
def decode(
    ddf: dd.DataFrame,
    level: Hashable,
    codes,
    *,
    levels: Sequence[Hashable] | None = None,
    suffix: str | None = None,
) -> pd.DataFrame:
    """:func:`pandas_hier.decode` on an encoded Dask DataFrame (the tables from one pass).

    Parameters
    ----------
    ddf : dask.dataframe.DataFrame
        Output of :func:`encode`.
    level, codes, levels, suffix
        As in :func:`pandas_hier.decode`.

    Returns
    -------
    pandas.DataFrame
        One row per code, one column per level down to ``level``.

    Raises
    ------
    KeyError
        For an unknown level or codes outside ``0..n_groups-1``.

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> pdf = pd.DataFrame({"a": ["x", "y"], "b": ["u", "v"]})
    >>> decode(encode(dd.from_pandas(pdf, npartitions=2), ["a", "b"]), "b", [1, 0])
       a  b
    0  y  v
    1  x  u
    """
    hier = hierarchy_of(ddf._meta, levels, suffix)
    return encoding.decode_with(tables(ddf, levels, suffix=suffix), hier, level, codes)


def fit(ddf: dd.DataFrame, x, y, **kwargs):
    """:func:`pandas_hier.fit` on a Dask DataFrame (Gaussian likelihood): the same :class:`HierFit`.

    One pass over the data, on the cluster, validates every partition and computes the
    per-leaf statistics in float64 (centred per leaf and merged pairwise, so large offsets
    are safe); the mean and sd of every column, which standardise the data as on pandas, come
    from the same pass. Sampling then runs locally on arrays whose size is the number of
    groups. The fit predicts, summarises and saves as any other; it holds no training rows, so
    ``posterior_predictive()`` and ``loo()`` need ``data=`` (a pandas frame).

    Parameters and defaults are those of :func:`pandas_hier.fit`, with a Dask DataFrame first.
    Likelihoods other than ``"normal"`` revisit every row during sampling and need the data in
    memory: they raise :class:`~pandas_hier.InvalidParameterError` saying how to get it.

    Returns
    -------
    HierFit

    Examples
    --------
    >>> import dask.dataframe as dd
    >>> import pandas_hier.dask_frame
    >>> ddf = dd.from_pandas(pandas_hier.datasets.load_salary(), npartitions=3)
    >>> fit = ddf.hier.fit("month", "salary", levels=["degree", "state", "county"],
    ...                    random_seed=1, progressbar=False)
    >>> fit.n_rows, fit.coef("county").shape, fit.training is None
    (2000, (100, 12), True)
    """
    args = _FIT_SIGNATURE.bind(ddf, x, y, **kwargs)
    args.apply_defaults()
    a = args.arguments
    settings = {k: a[k] for k in _FIT_SIGNATURE.parameters if k not in ("df", "x", "y", "levels", "dropna")}
    return fitting.fit_prepared(
        lambda opts: _design(ddf, x, y, a["levels"], a["dropna"], opts), y, **settings
    )


def _design(ddf: dd.DataFrame, x, y, levels, dropna: bool, opts):
    family = families.get(opts.likelihood)
    if not family.marginal:
        raise InvalidParameterError(
            f"fit: likelihood={opts.likelihood!r} revisits every row while sampling, so it needs "
            "the data in memory, which a Dask frame is not. Fit a sample, e.g. "
            "ddf.sample(frac=0.01).compute().hier.fit(...), or the whole frame if it fits in "
            "memory: ddf.compute().hier.fit(...). On Dask, likelihood='normal' is supported."
        )
    meta = ddf._meta
    hier, xs, cols = check_arguments(meta, x, y, levels, opts)
    # Absent columns are reported by the schema on each partition, with the rows' problems.
    summary = _one_pass(ddf[[c for c in cols if c in meta.columns]], functools.partial(
        summarize, levels=list(hier.levels), values=[*xs, y], dropna=dropna,
        schema=functools.partial(schema.model_schema, hier.levels, xs, y, family.outcome),
    ))  # fmt: skip
    _raise_failures(summary, "data to fit", meta.columns)
    _warn_dropped(summary)
    return design_from_summary(summary, hier, xs, y, opts)


_FIT_SIGNATURE = inspect.signature(fitting.fit)
fit.__signature__ = _FIT_SIGNATURE.replace(
    parameters=[
        _FIT_SIGNATURE.parameters["df"].replace(name="ddf", annotation="dask.dataframe.DataFrame"),
        *list(_FIT_SIGNATURE.parameters.values())[1:],
    ]
)
_CONSTRAINTS = {k: v for k, v in fitting.FIT_CONSTRAINTS.items() if k != "df"}
fit = validate_params({**_CONSTRAINTS, "ddf": [dd.DataFrame]}, caller="fit")(fit)
