"""The ``pandas-hier`` command: fit, summarise, predict and plot from the shell.

::

    pandas-hier fit salary.csv --levels degree state county --x month --y salary --out salary.hier
    pandas-hier summary salary.hier
    pandas-hier coef salary.hier county --format csv > county.csv
    pandas-hier predict salary.hier new.csv --out predicted.csv
    pandas-hier plot salary.hier forest --level county --out forest.png

Data files are CSV (``.csv``, ``.tsv``, optionally compressed: ``.csv.gz`` ...) or Parquet
(``.parquet``, ``.pq``), chosen by extension; ``-`` reads CSV from stdin or writes it to stdout.
Every option of :func:`pandas_hier.fit` is a flag of ``fit``; options not given keep the
function's defaults. Bad input (a missing or unreadable file, an unknown column, level or
option value) exits with status 2 and one line ``pandas-hier: error: ...`` on stderr; warnings
of the fit are one line each (``pandas-hier: warning: ...``). An unexpected exception is a bug
and shows its traceback. Long steps report progress on a terminal only (:mod:`pandas_hier.progress`).
"""

from __future__ import annotations

import argparse
import difflib
import inspect
import linecache
import os
import re
import sys
import warnings
from pathlib import Path

import pandas as pd

import pandas_hier
from pandas_hier import fitting, progress
from pandas_hier._cli_io import UsageError, check_out, file_format, one_line, parse_prior
from pandas_hier._cli_io import parse_varying, read_frame, show_table, split_names, write_frame
from pandas_hier.errors import HierError
from pandas_hier.options import LIKELIHOODS, METHODS, PARAMETERIZATIONS, SAMPLERS, SD_PER

__all__ = ["UsageError", "main", "read_frame", "write_frame"]

PROG = "pandas-hier"
PLOTS = ("forest", "shrinkage", "groups", "trace", "ppc")
_PACKAGE = Path(pandas_hier.__file__).resolve().parent


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, no usage block
        match = re.search(r"invalid choice: '([^']*)' \(choose from (.*)\)", message)
        if match:
            choices = re.findall(r"'?([\w-]+)'?", match.group(2))
            guess = difflib.get_close_matches(match.group(1), choices, n=1)
            if guess:
                message += f"; did you mean {guess[0]!r}?"
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _user_error(err: BaseException) -> bool:
    """A pandas-hier error, or a ValueError or TypeError raised by a ``raise`` statement of
    pandas-hier itself (its checks of arguments); anything else is a bug."""
    if isinstance(err, HierError):
        return True
    if not isinstance(err, (ValueError, TypeError)) or err.__traceback__ is None:
        return False
    tb = err.__traceback__
    while tb.tb_next is not None:
        tb = tb.tb_next
    filename = tb.tb_frame.f_code.co_filename
    inside = Path(filename).resolve().is_relative_to(_PACKAGE)
    return inside and linecache.getline(filename, tb.tb_lineno).lstrip().startswith("raise ")


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"{PROG}: warning: {one_line(str(message))}", file=sys.stderr)


def _default(func, name: str):
    return inspect.signature(func).parameters[name].default


def _command(sub, common, name: str, **kwargs) -> argparse.ArgumentParser:
    return sub.add_parser(name, formatter_class=argparse.RawDescriptionHelpFormatter,
                          parents=[common], **kwargs)  # fmt: skip


def _add_fit(sub, common) -> None:
    from pandas_hier.options import FitOptions

    fit_ = fitting.fit  # its defaults are the flags' defaults
    opt = FitOptions()
    p = _command(
        sub, common, "fit", help="fit a nested hierarchical regression to a CSV or Parquet file",
        description="Fit y ~ x with intercept and slopes varying at every level of the "
        "hierarchy (pandas_hier.fit) and save the fit as a .hier file.",
        epilog="example:\n  pandas-hier fit salary.csv --levels degree state county --x month "
        "--y salary --out salary.hier --draws 500 --seed 1",
    )  # fmt: skip
    p.add_argument("data", help="data file (.csv, .tsv, .parquet; '-' reads CSV from stdin)")
    p.add_argument("--levels", nargs="+", required=True, metavar="LEVEL",
                   help="hierarchy level columns, top first (space- or comma-separated)")
    p.add_argument("--x", nargs="+", required=True, metavar="COLUMN", help="predictor column(s)")
    p.add_argument("--y", required=True, metavar="COLUMN", help="response column")
    p.add_argument("--out", required=True, metavar="FIT", help="where to save the fit (.hier)")
    s = p.add_argument_group("sampling")
    for name, what in (("draws", "posterior draws per chain"), ("tune", "warm-up iterations per chain"),
                       ("chains", "number of chains"), ("iterations", "ADVI steps (--method advi)")):
        s.add_argument(f"--{name}", type=int, default=argparse.SUPPRESS, metavar="INT",
                       help=f"{what} (default {_default(fit_, name)})")  # fmt: skip
    s.add_argument("--random-seed", "--seed", dest="random_seed", type=int, metavar="INT",
                   default=argparse.SUPPRESS, help="makes the fit reproducible")
    for name, choices, what in (("sampler", SAMPLERS, "NUTS implementation"),
                                ("method", METHODS, "NUTS, or a quick approximation")):
        s.add_argument(f"--{name}", default=argparse.SUPPRESS, metavar="{" + ",".join(choices) + "}",
                       help=f"{what} (default {_default(fit_, name)})")  # fmt: skip
    s.add_argument("--target-accept", dest="target_accept", type=float, metavar="FLOAT",
                   default=argparse.SUPPRESS, help=f"NUTS target acceptance (default {opt.target_accept})")
    m = p.add_argument_group("model")
    for name, choices, what in (
        ("likelihood", LIKELIHOODS, "likelihood family"),
        ("parameterization", PARAMETERIZATIONS, "how the coefficients are sampled"),
        ("sd_per", SD_PER, "one sd per level, or per parent group (the blog's model)"),
    ):
        m.add_argument(f"--{name.replace('_', '-')}", dest=name, default=argparse.SUPPRESS,
                       metavar="{" + ",".join(choices) + "}",
                       help=f"{what} (default {getattr(opt, name)})")  # fmt: skip
    m.add_argument("--nu", type=float, default=argparse.SUPPRESS, help="Student-t degrees of freedom")
    m.add_argument("--trials", metavar="COLUMN", default=argparse.SUPPRESS, help="binomial trials column")
    m.add_argument("--exposure", metavar="COLUMN", default=argparse.SUPPRESS,
                   help="exposure column (poisson, negbinomial)")
    m.add_argument("--correlated", action="store_true", default=argparse.SUPPRESS,
                   help="LKJ-correlated varying coefficients within a level")
    m.add_argument("--no-standardize", dest="standardize", action="store_false",
                   default=argparse.SUPPRESS, help="work on the original scale")
    m.add_argument("--prior", action="append", metavar="KEY=DIST(ARGS)", default=[],
                   help="a prior, e.g. sd=HalfNormal(sigma=2) or sd_county=Exponential(scale=1); repeatable")
    m.add_argument("--varying", action="append", metavar="LEVEL=COEF,...", default=[],
                   help="coefficients varying at a level, e.g. county=intercept; repeatable")
    p.add_argument("--dropna", action="store_true", default=argparse.SUPPRESS,
                   help="drop rows with missing values (with a warning stating how many)")
    p.set_defaults(run=_run_fit)


def _run_fit(args) -> int:
    kwargs = {k: v for k, v in vars(args).items()
              if k not in {"command", "data", "levels", "x", "y", "out", "prior", "varying", "run", "no_progress"}}  # fmt: skip
    if args.prior:
        kwargs["priors"] = dict(map(parse_prior, args.prior))
    if args.varying:
        kwargs["varying"] = dict(map(parse_varying, args.varying))
    check_out(args.out)  # before any work
    df = read_frame(args.data)
    fit = pandas_hier.fit(df, split_names(args.x), args.y, levels=split_names(args.levels),
                          progressbar=not args.no_progress, **kwargs)  # fmt: skip
    try:
        path = fit.save(args.out)
    except HierError:
        raise
    except OSError as err:
        raise UsageError(f"cannot write {args.out}: {err.strerror or one_line(err)}") from None
    print(repr(fit))
    print(f"saved to {path}")
    return 0


def _hdi(args) -> dict:
    return {} if args.hdi_prob is None else {"hdi_prob": args.hdi_prob}  # else HierFit's default


def _run_summary(args) -> int:
    fit = pandas_hier.load(args.fit)
    table = fit.summary(**_hdi(args))
    if args.level is not None:
        known = ["global", *map(str, fit.levels)]
        if args.level not in known:
            guess = difflib.get_close_matches(args.level, known, n=1)
            hint = f"; did you mean {guess[0]!r}?" if guess else "."
            raise UsageError(f"--level {args.level!r} is not a level{hint} Choose from {known}")
        table = table[table["level"].astype(str) == args.level]
    return show_table(table, args.format, args.out, header=repr(fit))


def _run_coef(args) -> int:
    fit = pandas_hier.load(args.fit)
    level = next((lv for lv in fit.levels if str(lv) == args.level), args.level)
    return show_table(fit.coef(level, **_hdi(args)), args.format, args.out)


def _run_predict(args) -> int:
    if args.out != "-":
        file_format(Path(args.out))
        check_out(args.out)
    fit = pandas_hier.load(args.fit)
    new = read_frame(args.data)
    kwargs = {k: getattr(args, k) for k in ("kind", "hdi_prob", "unseen", "missing", "random_seed")
              if getattr(args, k, None) is not None}  # fmt: skip
    with progress.step(f"predicting {len(new):,} rows", progressbar=not args.no_progress):
        pred = fit.predict(new, **kwargs)
    if not args.only_predictions:
        clash = [c for c in pred.columns if c in new.columns]
        if clash:
            raise UsageError(f"the data already has column(s) {clash} of the predictions; "
                             "rename them or pass --only-predictions")  # fmt: skip
        pred = pd.concat([new, pred], axis=1)
    write_frame(pred, args.out)
    return 0


def _run_plot(args) -> int:
    try:
        import matplotlib

        matplotlib.use("Agg")
        from matplotlib.figure import Figure
    except ImportError:
        raise UsageError('plot needs matplotlib: pip install "pandas-hier[plots]"') from None
    out = Path(args.out)
    kinds = Figure().canvas.get_supported_filetypes()
    if out.suffix.lstrip(".").lower() not in kinds:
        raise UsageError(f"{out}: unknown image type {out.suffix or '(none)'!r}; use one of "
                         f"{', '.join('.' + k for k in sorted(kinds))}")  # fmt: skip
    check_out(out)
    fit = pandas_hier.load(args.fit)
    method = getattr(fit, f"plot_{args.kind}", None)
    if method is None:
        raise UsageError(f"this version of pandas-hier has no {args.kind!r} plot")
    accepted = inspect.signature(method).parameters
    given = {"level": args.level, "coef": args.coef or None, "random_seed": args.random_seed,
             "data": read_frame(args.data) if args.data else None}  # fmt: skip
    kwargs = {}
    for name, value in given.items():
        if value is None:
            continue
        if name not in accepted:
            flag = "--" + name.replace("_", "-")
            raise UsageError(f"the {args.kind} plot takes no {flag}")
        kwargs[name] = value[0] if name == "coef" and len(value) == 1 else value
    drawn = method(**kwargs)
    fig = drawn if hasattr(drawn, "savefig") else drawn.figure
    try:
        fig.savefig(out, dpi=args.dpi)
    except OSError as err:
        raise UsageError(f"cannot write {out}: {err.strerror or one_line(err)}") from None
    print(f"wrote {out}", file=sys.stderr)
    return 0


def _output_options(p, what: str) -> None:
    p.add_argument("--hdi-prob", dest="hdi_prob", type=float, metavar="P",
                   help="probability mass of the HDI (default 0.94)")
    p.add_argument("--format", choices=("table", "csv", "json"), default="table",
                   help="how to print the table on stdout (default table)")
    p.add_argument("--out", metavar="FILE", help=f"write the {what} to a .csv or .parquet file instead")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of ``pandas-hier`` (one subcommand per job)."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--no-progress", action="store_true",
                        help="never report progress (it shows on a terminal only, not in a pipe or under CI)")
    parser = _Parser(prog=PROG, description=f"pandas-hier {pandas_hier.__version__}: fit nested "
                     "hierarchical regressions to CSV or Parquet files, then summarise, predict "
                     "and plot from the saved fit.",
                     formatter_class=argparse.RawDescriptionHelpFormatter,
                     epilog="run 'pandas-hier COMMAND --help' for a command's options and an example")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND",
                                parser_class=_Parser)  # fmt: skip
    _add_fit(sub, common)
    p = _command(sub, common, "summary", help="print the posterior summary of a saved fit",
                       description="One row per scalar parameter on the original scale: mean, sd, "
                       "HDI, ESS, r_hat (HierFit.summary).",
                       epilog="example:\n  pandas-hier summary salary.hier --level global")
    p.add_argument("fit", help="a fit saved by 'pandas-hier fit' (.hier)")
    p.add_argument("--level", help="only the rows of this level ('global' for the global coefficients)")
    _output_options(p, "summary")
    p.set_defaults(run=_run_summary)
    p = _command(sub, common, "coef", help="print the coefficients of every group of one level",
                       description="Total coefficients per group with HDIs, rows and pooling "
                       "factors (HierFit.coef).",
                       epilog="example:\n  pandas-hier coef salary.hier county --format csv > county.csv")
    p.add_argument("fit", help="a fit saved by 'pandas-hier fit' (.hier)")
    p.add_argument("level", help="a level of the fit, e.g. county")
    _output_options(p, "coefficients")
    p.set_defaults(run=_run_coef)
    p = _command(sub, common, "predict", help="predict for the rows of a CSV or Parquet file",
                       description="Mean and HDI per row, unseen groups walking up the tree "
                       "(HierFit.predict); writes the input columns and the predictions.",
                       epilog="example:\n  pandas-hier predict salary.hier new.csv --out predicted.csv")
    p.add_argument("fit", help="a fit saved by 'pandas-hier fit' (.hier)")
    p.add_argument("data", help="rows to predict (.csv, .tsv, .parquet; '-' for stdin)")
    p.add_argument("--out", required=True, metavar="FILE", help="output file (.csv, .parquet; '-' for stdout)")
    p.add_argument("--kind", choices=("mean", "posterior_predictive"), help="(default mean)")
    p.add_argument("--hdi-prob", dest="hdi_prob", type=float, metavar="P", help="(default 0.94)")
    p.add_argument("--unseen", choices=("sample", "parent", "error"), help="unseen groups (default sample)")
    p.add_argument("--missing", choices=("error", "parent", "global"), help="missing levels (default error)")
    p.add_argument("--random-seed", "--seed", dest="random_seed", type=int, metavar="INT")
    p.add_argument("--only-predictions", action="store_true", help="write the predictions alone")
    p.set_defaults(run=_run_predict)
    p = _command(sub, common, "plot", help="draw a figure of a saved fit to an image file",
                       description=f"Kinds: {', '.join(PLOTS)} (HierFit.plot_<kind>); groups, "
                       "shrinkage and ppc of a saved fit need --data (the training rows).",
                       epilog="example:\n  pandas-hier plot salary.hier forest --level county --out forest.png")
    p.add_argument("fit", help="a fit saved by 'pandas-hier fit' (.hier)")
    p.add_argument("kind", choices=PLOTS, help="which figure")
    p.add_argument("--out", required=True, metavar="IMAGE", help="image file (.png, .pdf, .svg, ...)")
    p.add_argument("--level", help="level to show (default the lowest)")
    p.add_argument("--coef", action="append", help="coefficient(s) to show; repeatable")
    p.add_argument("--data", metavar="DATA", help="the rows the plot needs (.csv, .parquet)")
    p.add_argument("--random-seed", "--seed", dest="random_seed", type=int, metavar="INT")
    p.add_argument("--dpi", type=int, default=100, help="resolution (default 100)")
    p.set_defaults(run=_run_plot)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Run ``pandas-hier`` with ``argv`` (default ``sys.argv[1:]``); returns the exit status:
    0 done, 2 bad input (one line on stderr). An unexpected exception propagates.

    Examples
    --------
    >>> from pandas_hier.cli import main
    >>> main(["summary", "no-such-file.hier"])
    2
    """
    parser = build_parser()
    try:
        with warnings.catch_warnings():
            warnings.showwarning = _show_warning
            args = parser.parse_args(argv)
            with progress.using(not args.no_progress):
                return int(args.run(args))
    except SystemExit as done:  # --help
        return done.code if isinstance(done.code, int) else 0
    except UsageError as err:
        print(f"{PROG}: error: {one_line(err)}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # stdout closed early (| head): stop quietly, as other tools do
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    except Exception as err:
        if not _user_error(err):
            raise
        print(f"{PROG}: error: {one_line(err)}", file=sys.stderr)
        return 2
