"""Tests of pandas_hier.__main__: ``python -m pandas_hier`` is the ``pandas-hier`` command."""

from __future__ import annotations

import subprocess
import sys


def test_python_m_pandas_hier_runs_the_command():
    done = subprocess.run([sys.executable, "-m", "pandas_hier", "--help"], capture_output=True,
                          text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("usage: pandas-hier ")
    bad = subprocess.run([sys.executable, "-m", "pandas_hier", "sumary"], capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.startswith("pandas-hier: error: ") and "did you mean 'summary'?" in bad.stderr
