"""Tests of pandas_hier._cli_io: data files by extension, tables on stdout, flag values and
one-line messages of the pandas-hier command."""

from __future__ import annotations

import io
import json
import sys
from pathlib import Path

import pandas as pd
import pytest

import pandas_hier
from pandas_hier._cli_io import (
    UsageError, check_out, file_format, one_line, parse_prior, parse_varying, read_frame,
    show_table, split_names, write_frame,
)  # fmt: skip
from pandas_hier.datasets import simulate_salary


@pytest.mark.parametrize(
    "name, fmt",
    [("a.csv", "csv"), ("a.CSV", "csv"), ("a.csv.gz", "csv"), ("a.b.tsv.zst", "tsv"),
     ("a.parquet", "parquet"), ("a.pq", "parquet")],
)  # fmt: skip
def test_file_format_by_extension(name, fmt):
    assert file_format(Path(name)) == fmt


@pytest.mark.parametrize("name", ["a.xlsx", "a", "a.parquet.gz", "a.gz"])
def test_unknown_file_types_are_named(name):
    with pytest.raises(UsageError, match=r"unknown file type .*use \.csv or \.tsv"):
        file_format(Path(name))


@pytest.mark.parametrize("name", ["d.csv", "d.tsv", "d.csv.gz", "d.parquet"])
def test_frames_round_trip(tmp_path, name):
    df = simulate_salary(n_states=2, n_counties=2, n_months=3, seed=1)
    write_frame(df, tmp_path / name)
    pd.testing.assert_frame_equal(read_frame(tmp_path / name), df, check_dtype=False)


def test_stdin_and_stdout(monkeypatch, capsys):
    monkeypatch.setattr(sys, "stdin", io.StringIO("a,b\n1,x\n2,y\n"))
    frame = read_frame("-")
    assert frame.to_dict("list") == {"a": [1, 2], "b": ["x", "y"]}
    write_frame(frame, "-")
    assert capsys.readouterr().out.splitlines() == ["a,b", "1,x", "2,y"]


def test_read_errors_name_the_file(tmp_path):
    with pytest.raises(UsageError, match=r"missing\.csv: no such file \(data\)"):
        read_frame(tmp_path / "missing.csv")
    (tmp_path / "folder.csv").mkdir()
    with pytest.raises(UsageError, match=r"folder\.csv: is a directory"):
        read_frame(tmp_path / "folder.csv")
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(UsageError, match=r"bad\.parquet: cannot read it as parquet: "):
        read_frame(tmp_path / "bad.parquet")
    (tmp_path / "empty.csv").write_text("")
    with pytest.raises(UsageError, match=r"empty\.csv: cannot read it as csv: "):
        read_frame(tmp_path / "empty.csv")


def test_write_errors_name_the_file(tmp_path):
    with pytest.raises(UsageError, match=r"cannot write .*out\.csv"):
        write_frame(pd.DataFrame({"a": [1]}), tmp_path / "no" / "out.csv")
    with pytest.raises(UsageError, match="no such directory"):
        check_out(tmp_path / "no" / "fit.hier")
    check_out(tmp_path / "fit.hier")  # an existing folder passes


def test_one_line_joins_a_report():
    err = pandas_hier.HierValidationError(
        "2 problems in the data to fit:\n  - column 'a': absent\n  - column 'b': absent\n"
        "See the error's failure_cases for every failing row."
    )
    assert one_line(err) == "2 problems in the data to fit: column 'a': absent; column 'b': absent"
    assert one_line("first\nsecond") == "first; second"
    assert one_line(ValueError()) == "ValueError"


def test_flag_values():
    assert split_names(["degree, state", "county", ","]) == ["degree", "state", "county"]
    assert parse_prior(" sigma = HalfCauchy( beta=2.5 ) ") == ("sigma", pandas_hier.Prior("HalfCauchy", beta=2.5))
    assert parse_prior("corr=LKJ()")[1] == pandas_hier.Prior("LKJ")  # a prior with no parameters
    assert parse_varying("state=intercept, month") == ("state", ["intercept", "month"])
    for bad, match in [("sd", "expected KEY=DIST"), ("sd=HalfNormal(sigma=big)", "'sigma=big' is not"),
                       ("sd=Halfnormal(sigma=1)", "unknown prior distribution"),
                       ("sd=HalfNormal(sigma=-1)", "must be a finite number > 0")]:  # fmt: skip
        with pytest.raises(UsageError, match=match):
            parse_prior(bad)
    with pytest.raises(UsageError, match="expected LEVEL=COEF"):
        parse_varying("=intercept")


def test_show_table_formats(tmp_path, capsys):
    frame = pd.DataFrame({"coef": ["a", "b"], "mean": [12345.678, 0.012345], "ess_bulk": [1234.4, float("nan")],
                          "r_hat": [1.00049, 1.2]})  # fmt: skip
    assert show_table(frame, "table", None, header="<fit>") == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0] == "<fit>"
    assert lines[2].split() == ["a", "12,345.7", "1,234", "1.000"]
    assert lines[3].split() == ["b", "0.0123", "nan", "1.200"]
    show_table(frame, "csv", None)
    assert pd.read_csv(io.StringIO(capsys.readouterr().out))["mean"].tolist() == frame["mean"].tolist()
    show_table(frame, "json", None)
    assert json.loads(capsys.readouterr().out)[1]["ess_bulk"] is None
    show_table(frame, "table", str(tmp_path / "t.parquet"))
    out, err = capsys.readouterr()
    assert out == "" and "wrote" in err
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "t.parquet"), frame)
