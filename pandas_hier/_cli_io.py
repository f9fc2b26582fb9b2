"""Input and output of the ``pandas-hier`` command (:mod:`pandas_hier.cli`): data files (CSV,
TSV or Parquet by extension), tables on stdout, flag values (priors, varying coefficients) and
the one-line messages of bad input.

Examples
--------
>>> from pandas_hier._cli_io import parse_prior
>>> parse_prior("sd=HalfNormal(sigma=2)")
('sd', Prior('HalfNormal', sigma=2.0))
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import pandas as pd

from pandas_hier import progress
from pandas_hier.options import Prior

__all__ = [
    "UsageError", "check_out", "file_format", "one_line", "parse_prior", "parse_varying",
    "read_frame", "show_table", "split_names", "write_frame",
]  # fmt: skip

_CSV = (".csv", ".tsv")
_PARQUET = (".parquet", ".pq")
_COMPRESSED = (".gz", ".bz2", ".xz", ".zip", ".zst")


class UsageError(Exception):
    """Bad input on the command line: reported as one line, exit status 2."""


def file_format(path: Path) -> str:
    """``"csv"``, ``"tsv"`` or ``"parquet"`` by the extension of ``path`` (a compression
    suffix after ``.csv`` or ``.tsv`` is allowed); a :class:`UsageError` naming the file else.

    Examples
    --------
    >>> from pathlib import Path
    >>> from pandas_hier._cli_io import file_format
    >>> file_format(Path("rows.tsv.bz2"))
    'tsv'
    """
    suffixes = [s.lower() for s in path.suffixes]
    if suffixes and suffixes[-1] in _COMPRESSED:
        suffixes = suffixes[:-1]
    last = suffixes[-1] if suffixes else ""
    if last in _CSV:
        return "tsv" if last == ".tsv" else "csv"
    if last in _PARQUET and path.suffix.lower() == last:
        return "parquet"
    shown = "".join(path.suffixes) or "(none)"
    raise UsageError(
        f"{path}: unknown file type {shown!r}; use .csv or .tsv (optionally compressed, e.g. "
        ".csv.gz) or .parquet"
    )


def read_frame(path: str | Path, what: str = "data") -> pd.DataFrame:
    """Read a CSV or Parquet file by its extension (``-``: CSV from stdin).

    Raises :class:`UsageError` naming the file for a missing, unreadable or unknown file.

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from pandas_hier._cli_io import read_frame
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "data.csv"
    >>> df.to_csv(path, index=False)
    >>> read_frame(path).shape == df.shape
    True
    >>> read_frame(path.with_suffix(".xlsx"))
    Traceback (most recent call last):
    ...
    pandas_hier._cli_io.UsageError: .../data.xlsx: unknown file type '.xlsx'; use .csv or .tsv ...
    """
    if str(path) == "-":
        return pd.read_csv(sys.stdin)
    path = Path(path)
    fmt = file_format(path)
    if not path.exists():
        raise UsageError(f"{path}: no such file ({what})")
    if path.is_dir():
        raise UsageError(f"{path}: is a directory, not a {fmt} file ({what})")
    try:
        with progress.step(f"reading {path}"):
            if fmt == "parquet":
                return pd.read_parquet(path)
            return pd.read_csv(path, sep="\t" if fmt == "tsv" else ",")
    except ImportError as err:
        raise UsageError(f"reading {path} needs pyarrow ({err}); pip install pyarrow") from None
    except (OSError, ValueError, UnicodeDecodeError) as err:
        raise UsageError(f"{path}: cannot read it as {fmt}: {one_line(err)}") from None


def write_frame(frame: pd.DataFrame, path: str | Path, *, index: bool = False) -> None:
    """Write ``frame`` as CSV, TSV or Parquet by the extension of ``path`` (``-``: CSV to stdout).

    Examples
    --------
    >>> import tempfile, pathlib
    >>> from pandas_hier._cli_io import read_frame, write_frame
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "out.parquet"
    >>> write_frame(df, path)
    >>> read_frame(path).equals(df)
    True
    """
    if str(path) == "-":
        frame.to_csv(sys.stdout, index=index)
        return
    path = Path(path)
    fmt = file_format(path)
    try:
        if fmt == "parquet":
            frame.to_parquet(path, index=index)
        else:
            frame.to_csv(path, index=index, sep="\t" if fmt == "tsv" else ",")
    except ImportError as err:
        raise UsageError(f"writing {path} needs pyarrow ({err}); pip install pyarrow") from None
    except OSError as err:
        raise UsageError(f"cannot write {path}: {err.strerror or one_line(err)}") from None


def check_out(path: str | Path) -> None:
    """Refuse an output path whose folder does not exist (before any work is done).

    Examples
    --------
    >>> from pandas_hier._cli_io import check_out
    >>> check_out("no-such-folder/fit.hier")
    Traceback (most recent call last):
    ...
    pandas_hier._cli_io.UsageError: cannot write no-such-folder/fit.hier: no such directory ...
    """
    folder = Path(path).parent
    if not folder.is_dir():
        raise UsageError(f"cannot write {path}: no such directory {str(folder)!r}")


def one_line(err: BaseException | str) -> str:
    r"""A message on one line: the lines of a multi-line report joined by '; ' (pointers to
    Python attributes such as ``failure_cases`` dropped).

    Examples
    --------
    >>> from pandas_hier._cli_io import one_line
    >>> one_line("2 problems:\n  - column 'a': absent\n  - column 'b': absent")
    "2 problems: column 'a': absent; column 'b': absent"
    """
    lines = [ln.strip().removeprefix("- ") for ln in str(err).splitlines()]
    lines = [ln for ln in lines if ln and not ln.startswith("See the error's")]
    if not lines:
        return type(err).__name__ if isinstance(err, BaseException) else ""
    head, rest = lines[0], lines[1:]
    return head + (" " if head.endswith(":") else "; ") + "; ".join(rest) if rest else head


def split_names(values: list[str]) -> list[str]:
    """Names given space- or comma-separated (``--levels degree,state county``).

    Examples
    --------
    >>> from pandas_hier._cli_io import split_names
    >>> split_names(["degree,state", "county"])
    ['degree', 'state', 'county']
    """
    return [v.strip() for item in values for v in item.split(",") if v.strip()]


def parse_prior(text: str) -> tuple[str, Prior]:
    """``KEY=DIST(PARAM=VALUE, ...)`` (``--prior``) as a key and a :class:`~pandas_hier.Prior`.

    Examples
    --------
    >>> from pandas_hier._cli_io import parse_prior
    >>> parse_prior("sd_county=Exponential(scale=1)")
    ('sd_county', Prior('Exponential', scale=1.0))
    """
    match = re.fullmatch(r"\s*(\w+)\s*=\s*([A-Za-z]+)\s*\((.*)\)\s*", text)
    if not match:
        raise UsageError(f"--prior {text!r}: expected KEY=DIST(PARAM=VALUE, ...), e.g. sd=HalfNormal(sigma=2)")
    key, dist, args = match.groups()
    params = {}
    for part in filter(None, (a.strip() for a in args.split(","))):
        name, eq, value = part.partition("=")
        try:
            params[name.strip()] = float(value)
        except ValueError:
            raise UsageError(f"--prior {text!r}: {part!r} is not PARAM=NUMBER") from None
    try:
        return key, Prior(dist, **params)
    except (ValueError, TypeError) as err:
        raise UsageError(f"--prior {text!r}: {err}") from None


def parse_varying(text: str) -> tuple[str, list[str]]:
    """``LEVEL=COEF[,COEF...]`` (``--varying``) as a level and its varying coefficients.

    Examples
    --------
    >>> from pandas_hier._cli_io import parse_varying
    >>> parse_varying("county=intercept")
    ('county', ['intercept'])
    """
    level, eq, coefs = text.partition("=")
    if not eq or not level.strip():
        raise UsageError(f"--varying {text!r}: expected LEVEL=COEF[,COEF...], e.g. county=intercept")
    return level.strip(), split_names([coefs])


def _number(value) -> str:
    if not isinstance(value, float) or value != value:
        return str(value)
    return f"{value:,.1f}" if value == 0 or abs(value) >= 10 else f"{value:.3g}"


def show_table(frame: pd.DataFrame, fmt: str, out: str | None, header: str | None = None) -> int:
    """Print ``frame`` on stdout as a readable ``table`` (estimates in one format, ESS as
    integers, r_hat to 3 decimals; after ``header``), ``csv`` or ``json`` records, or write it to
    ``out`` (by extension); returns 0.

    Examples
    --------
    >>> import pandas as pd
    >>> from pandas_hier._cli_io import show_table
    >>> show_table(pd.DataFrame({"coef": ["month"], "mean": [12.345], "r_hat": [1.0004]}), "table", None)
     coef mean r_hat
    month 12.3 1.000
    0
    """
    if out is not None:
        write_frame(frame, out)
        print(f"wrote {out}", file=sys.stderr)
    elif fmt == "csv":
        frame.to_csv(sys.stdout, index=False)
    elif fmt == "json":
        print(frame.to_json(orient="records", indent=2))
    else:
        shown = frame.copy()
        for col in shown.columns:
            if str(col).startswith("ess"):
                shown[col] = shown[col].map(lambda v: "nan" if v != v else f"{v:,.0f}")
            elif col == "r_hat":
                shown[col] = shown[col].map("{:.3f}".format)
            elif pd.api.types.is_float_dtype(shown[col]):
                shown[col] = shown[col].map(_number)
            else:
                shown[col] = shown[col].astype(object).where(shown[col].notna(), "")
        if header:
            print(header)
        print(shown.to_string(index=False))
    return 0
