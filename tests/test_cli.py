"""Tests of pandas_hier.cli, the ``pandas-hier`` command: end to end through subprocesses on a
CSV (fit -> summary -> coef -> predict -> plot), bad input (exit 2, one line naming the
problem, no traceback), flags reaching ``fit``, warnings as one line, quiet in a pipe."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import tomllib
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import mock_fit

import pandas_hier
from pandas_hier import cli
from pandas_hier.datasets import simulate_salary

ROOT = Path(__file__).resolve().parent.parent
LEVELS = ["degree", "state", "county"]
PNG = b"\x89PNG\r\n\x1a\n"


def run(*args, cwd: Path, stdin: str | None = None) -> subprocess.CompletedProcess:
    """``python -m pandas_hier ARGS`` in ``cwd``, output captured (a pipe, not a terminal)."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "pandas_hier", *map(str, args)], cwd=cwd,
                          env=env, capture_output=True, text=True, input=stdin, timeout=600)  # fmt: skip


def assert_usage_error(done: subprocess.CompletedProcess, *culprits: str) -> None:
    """Exit status 2, one line ``pandas-hier: error: ...`` naming every culprit, no traceback."""
    assert done.returncode == 2, (done.returncode, done.stderr)
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith("pandas-hier: error: "), lines[0]
    assert "Traceback" not in done.stderr
    for culprit in culprits:
        assert culprit in lines[0], (culprit, lines[0])


@pytest.fixture(scope="module")
def work(tmp_path_factory) -> Path:
    """A folder with the training CSV, new rows (a known and an unseen county) and a saved mock
    fit of the CSV (mechanics, not statistics)."""
    folder = tmp_path_factory.mktemp("cli")
    df = simulate_salary(n_states=2, n_counties=3, n_months=6, seed=7)
    df.to_csv(folder / "salary.csv", index=False)
    new = pd.DataFrame({"degree": ["degree", "degree"], "state": [df["state"].iloc[0]] * 2,
                        "county": [df["county"].iloc[0], "Nowhere"], "month": [3, 24]})  # fmt: skip
    new.to_csv(folder / "new.csv", index=False)
    mock_fit(pd.read_csv(folder / "salary.csv"), draws=40, chains=2, random_seed=1).save(folder / "mock.hier")
    return folder


# ------------------------------------------------------------------ end to end, subprocesses


@pytest.mark.slow
def test_fit_summary_coef_predict_plot_end_to_end(work):
    done = run("fit", "salary.csv", "--levels", *LEVELS, "--x", "month", "--y", "salary",
               "--out", "real.hier", "--draws", 200, "--tune", 200, "--chains", 2, "--seed", 3,
               cwd=work)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert (work / "real.hier").is_file()
    assert "<HierFit salary ~ month | degree (2) > state (4) > county (12); 72 rows" in done.stdout
    assert done.stdout.strip().endswith("saved to real.hier")
    # quiet in a pipe: no progress, no sampler bar; warnings (if any) one line each
    assert all(ln.startswith("pandas-hier: warning: ") for ln in done.stderr.splitlines()), done.stderr
    fit = pandas_hier.load(work / "real.hier")
    assert fit.sampler == "nutpie" and fit.diagnostics.draws == 200 and fit.diagnostics.chains == 2

    done = run("summary", "real.hier", "--format", "csv", cwd=work)
    assert done.returncode == 0, done.stderr
    table = pd.read_csv(io.StringIO(done.stdout))
    expected = fit.summary()
    assert table["parameter"].tolist() == expected["parameter"].tolist()
    np.testing.assert_allclose(table["mean"], expected["mean"], rtol=1e-6)

    done = run("coef", "real.hier", "county", "--out", "county.parquet", cwd=work)
    assert done.returncode == 0, done.stderr
    county = pd.read_parquet(work / "county.parquet")
    np.testing.assert_allclose(county["month"], fit.coef("county")["month"])

    done = run("predict", "real.hier", "new.csv", "--out", "pred.csv", "--seed", 0, cwd=work)
    assert done.returncode == 0, done.stderr
    pred = pd.read_csv(work / "pred.csv")
    assert pred[["level"]].squeeze().tolist() == ["county", "state"]
    np.testing.assert_allclose(pred["mean"], fit.predict(pd.read_csv(work / "new.csv"), random_seed=0)["mean"])

    done = run("plot", "real.hier", "forest", "--level", "county", "--out", "forest.png", cwd=work)
    assert done.returncode == 0, done.stderr
    assert (work / "forest.png").read_bytes()[:8] == PNG


def cli_main(capsys, *args) -> tuple[int, str, str]:
    """``pandas-hier ARGS`` in this process: (exit status, stdout, stderr)."""
    code = cli.main([str(a) for a in args])
    out, err = capsys.readouterr()
    return code, out, err


def test_summary_coef_predict_and_plot_of_a_saved_fit(work, capsys):
    fit = pandas_hier.load(work / "mock.hier")
    code, out, err = cli_main(capsys, "summary", work / "mock.hier")
    assert code == 0, err
    assert out.startswith("<HierFit salary ~ month")
    assert "b_global" in out and "r_hat" in out

    code, out, err = cli_main(capsys, "summary", work / "mock.hier", "--level", "global", "--format", "json")
    rows = json.loads(out)
    assert [r["coef"] for r in rows] == ["intercept", "month"]
    assert rows[1]["mean"] == pytest.approx(fit.summary().query("level == 'global'")["mean"].iloc[1])

    code, out, err = cli_main(capsys, "coef", work / "mock.hier", "state", "--format", "csv")
    assert code == 0, err
    table = pd.read_csv(io.StringIO(out))
    assert len(table) == len(fit.tables["state"])
    np.testing.assert_allclose(table["intercept"], fit.coef("state")["intercept"])

    code, out, err = cli_main(capsys, "coef", work / "mock.hier", "county", "--out", work / "c.parquet")
    assert code == 0 and out == "" and "wrote" in err
    np.testing.assert_allclose(pd.read_parquet(work / "c.parquet")["month"], fit.coef("county")["month"])

    code, out, err = cli_main(capsys, "predict", work / "mock.hier", work / "new.csv", "--out", "-",
                              "--unseen", "parent")  # fmt: skip
    assert code == 0, err
    pred = pd.read_csv(io.StringIO(out))
    new = pd.read_csv(work / "new.csv")
    assert pred.columns.tolist() == [*new.columns, "mean", "hdi_low", "hdi_high", "level", "sampled"]
    np.testing.assert_allclose(pred["mean"], fit.predict(new, unseen="parent")["mean"])

    code, out, err = cli_main(capsys, "plot", work / "mock.hier", "forest", "--out", work / "forest.png")
    assert code == 0, err
    assert (work / "forest.png").read_bytes()[:8] == PNG


@pytest.mark.parametrize("kind", ["shrinkage", "groups", "trace", "ppc"])
def test_the_other_plots(work, kind, capsys):
    if not hasattr(pandas_hier.HierFit, f"plot_{kind}"):
        pytest.skip(f"HierFit.plot_{kind} does not exist in this version")
    out = work / f"{kind}.png"
    args = ["plot", str(work / "mock.hier"), kind, "--out", str(out)]
    if kind in ("shrinkage", "groups", "ppc"):  # a loaded fit has no training rows
        args += ["--data", str(work / "salary.csv")]
    assert cli.main(args) == 0, capsys.readouterr().err
    assert out.read_bytes()[:8] == PNG


def test_help_says_what_each_command_does_with_an_example(capsys):
    code, out, _ = cli_main(capsys, "--help")
    assert code == 0
    for command in ("fit", "summary", "coef", "predict", "plot"):
        assert command in out
        code, sub, _ = cli_main(capsys, command, "--help")
        assert code == 0 and "example:\n  pandas-hier " + command in sub


# ------------------------------------------------------------------ bad input, subprocesses


@pytest.mark.parametrize(
    "args, culprits",
    [
        (["summary", "missing.hier"], ["missing.hier", "no such file"]),
        (["fit", "missing.csv", "--levels", *LEVELS, "--x", "month", "--y", "salary", "--out", "f.hier"],
         ["missing.csv", "no such file"]),
        (["fit", "salary.csv", "--levels", *LEVELS, "--x", "mnth", "--y", "salary", "--out", "f.hier"],
         ["'mnth'", "did you mean 'month'?"]),
        (["coef", "mock.hier", "countyy"], ["'countyy'", "did you mean 'county'?"]),
        (["fit", "salary.csv", "--levels", *LEVELS, "--x", "month", "--y", "salary", "--out", "f.hier",
          "--draws", "0"], ["draws=0"]),
        (["fitt", "salary.csv"], ["'fitt'", "did you mean 'fit'?"]),
        (["predict", "mock.hier", "new.xlsx", "--out", "p.csv"], ["new.xlsx", "'.xlsx'"]),
    ],
    ids=["missing fit", "missing data", "unknown column", "unknown level", "bad value",
         "unknown subcommand", "unknown file type"],
)  # fmt: skip
def test_bad_input_exits_2_with_one_line(work, args, culprits):
    assert_usage_error(run(*args, cwd=work), *culprits)


# ------------------------------------------------------------------ in process: flags, errors


def test_fit_flags_reach_fit(work, monkeypatch, capsys):
    seen = {}

    def fake_fit(df, x, y, **kwargs):
        seen.update(df=df, x=x, y=y, **kwargs)
        return pandas_hier.load(work / "mock.hier")

    monkeypatch.setattr(pandas_hier, "fit", fake_fit)
    out = work / "flags.hier"
    code = cli.main(["fit", str(work / "salary.csv"), "--levels", "degree,state", "county",
                     "--x", "month", "--y", "salary", "--out", str(out), "--draws", "30",
                     "--tune", "60", "--chains", "1", "--seed", "5", "--sampler", "pymc",
                     "--likelihood", "studentt", "--nu", "4", "--parameterization", "centered",
                     "--sd-per", "parent", "--target-accept", "0.95", "--no-standardize",
                     "--prior", "sd=HalfNormal(sigma=2)", "--prior", "sigma=Exponential(scale=3)",
                     "--varying", "county=intercept", "--dropna", "--no-progress"])  # fmt: skip
    assert code == 0, capsys.readouterr().err
    assert seen["x"] == ["month"] and seen["y"] == "salary" and seen["levels"] == LEVELS
    assert len(seen["df"]) == 72
    assert {k: seen[k] for k in ("draws", "tune", "chains", "random_seed", "sampler")} == {
        "draws": 30, "tune": 60, "chains": 1, "random_seed": 5, "sampler": "pymc"}  # fmt: skip
    assert seen["likelihood"] == "studentt" and seen["nu"] == 4.0
    assert seen["parameterization"] == "centered" and seen["sd_per"] == "parent"
    assert seen["target_accept"] == 0.95 and seen["standardize"] is False and seen["dropna"] is True
    assert seen["priors"] == {"sd": pandas_hier.Prior("HalfNormal", sigma=2),
                              "sigma": pandas_hier.Prior("Exponential", scale=3)}  # fmt: skip
    assert seen["varying"] == {"county": ["intercept"]} and seen["progressbar"] is False
    assert "correlated" not in seen and "method" not in seen  # not given: fit's defaults
    assert out.is_file() and "saved to" in capsys.readouterr().out


def test_a_real_mock_fit_through_main_with_warnings_on_one_line(work, mock_sampler, capsys):
    mock_sampler["diverging"] = lambda size: np.ones(size)
    out = work / "diverging.hier"
    code = cli.main(["fit", str(work / "salary.csv"), "--levels", *LEVELS, "--x", "month", "--y",
                     "salary", "--out", str(out), "--draws", "20", "--chains", "1",
                     "--sampler", "pymc", "--seed", "1"])  # fmt: skip
    err = capsys.readouterr().err
    assert code == 0, err
    warned = [ln for ln in err.splitlines() if ln.startswith("pandas-hier: warning: ")]
    assert any("diverg" in ln for ln in warned), err
    assert "Warning:" not in err and "warnings.warn" not in err  # not Python's format
    assert pandas_hier.load(out).diagnostics.divergences == 20


@pytest.mark.parametrize(
    "args, culprits",
    [
        (["--prior", "sd=HalfNormal(sd=2)"], ["--prior", "'sd'", "did you mean 'sigma'?"]),
        (["--prior", "sd:HalfNormal"], ["--prior", "KEY=DIST"]),
        (["--varying", "county"], ["--varying", "LEVEL=COEF"]),
        (["--likelihood", "gaus"], ["likelihood='gaus'"]),
        (["--parameterization", "marginal", "--likelihood", "poisson"], ["parameterization='marginal'"]),
        (["--out", "no/such/dir/f.hier"], ["no/such/dir"]),
        (["--chains", "many"], ["--chains", "'many'"]),
    ],
)  # fmt: skip
def test_bad_fit_options_exit_2(work, capsys, args, culprits):
    base = ["fit", str(work / "salary.csv"), "--levels", *LEVELS, "--x", "month", "--y", "salary",
            "--out", str(work / "never.hier")]  # fmt: skip
    assert cli.main(base + args) == 2
    err = capsys.readouterr().err
    assert len(err.splitlines()) == 1 and err.startswith("pandas-hier: error: ")
    for culprit in culprits:
        assert culprit in err
    assert not (work / "never.hier").exists()


def test_unreadable_files_exit_2(work, capsys):
    bad = work / "broken.parquet"
    bad.write_bytes(b"not parquet at all")
    assert cli.main(["predict", str(work / "mock.hier"), str(bad), "--out", str(work / "p.csv")]) == 2
    assert "broken.parquet: cannot read it as parquet" in capsys.readouterr().err
    assert cli.main(["predict", str(work / "mock.hier"), str(work), "--out", str(work / "p.csv")]) == 2
    assert "unknown file type" in capsys.readouterr().err
    assert cli.main(["plot", str(work / "mock.hier"), "forest", "--out", str(work / "f.docx")]) == 2
    assert "'.docx'" in capsys.readouterr().err
    assert cli.main(["plot", str(work / "mock.hier"), "trace", "--level", "county",
                     "--out", str(work / "t.png")]) == 2  # fmt: skip
    assert "the trace plot takes no --level" in capsys.readouterr().err
    assert cli.main(["summary", str(work / "salary.csv")]) == 2
    assert "not a pandas-hier fit" in capsys.readouterr().err


def test_summary_and_coef_options(work, capsys):
    fit = pandas_hier.load(work / "mock.hier")
    code, out, err = cli_main(capsys, "summary", work / "mock.hier", "--level", "countyy")
    assert code == 2 and "--level 'countyy' is not a level; did you mean 'county'?" in err
    code, out, err = cli_main(capsys, "coef", work / "mock.hier", "degree", "--hdi-prob", "0.5",
                              "--format", "json")  # fmt: skip
    assert code == 0, err
    rows = json.loads(out)
    assert [r["intercept_hdi_low"] for r in rows] == pytest.approx(
        fit.coef("degree", hdi_prob=0.5)["intercept_hdi_low"].tolist())
    code, out, err = cli_main(capsys, "coef", work / "mock.hier", "degree", "--hdi-prob", "1.5")
    assert code == 2 and "hdi_prob=1.5" in err and len(err.splitlines()) == 1


def test_predict_refuses_to_overwrite_input_columns(work, capsys):
    clash = pd.read_csv(work / "new.csv").assign(mean=1.0)
    clash.to_csv(work / "clash.csv", index=False)
    args = ["predict", str(work / "mock.hier"), str(work / "clash.csv"), "--out", str(work / "c.csv")]
    assert cli.main(args) == 2
    assert "['mean']" in capsys.readouterr().err
    assert cli.main([*args, "--only-predictions"]) == 0
    assert pd.read_csv(work / "c.csv").columns.tolist() == ["mean", "hdi_low", "hdi_high", "level", "sampled"]


def test_an_unexpected_exception_is_a_bug_and_shows(work, monkeypatch):
    def broken(path):
        return np.linalg.inv(np.zeros((2, 2)))  # LinAlgError (a ValueError) from inside numpy

    monkeypatch.setattr(pandas_hier, "load", broken)
    with pytest.raises(np.linalg.LinAlgError):
        cli.main(["summary", str(work / "mock.hier")])
    monkeypatch.setattr(pandas_hier, "load", lambda path: {}["x"])
    with pytest.raises(KeyError):
        cli.main(["summary", str(work / "mock.hier")])


def test_the_console_script_is_declared():
    scripts = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["scripts"]
    assert scripts["pandas-hier"] == "pandas_hier.cli:main"
    installed = Path(sys.executable).parent / "pandas-hier"
    if installed.exists():  # installed from this pyproject (bash dev re-installs on change)
        done = subprocess.run([str(installed), "--help"], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0 and "pandas-hier" in done.stdout


def test_an_interrupt_exits_130_with_one_line(work, monkeypatch, capsys):
    def interrupted(args):
        raise KeyboardInterrupt

    monkeypatch.setattr(cli, "_run_summary", interrupted)
    code, out, err = cli_main(capsys, "summary", str(work / "mock.hier"))
    assert code == 130 and err.strip() == "pandas-hier: interrupted" and out == ""
