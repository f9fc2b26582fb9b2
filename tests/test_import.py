"""Importing pandas_hier must stay light: no PyMC, no PyTensor."""

import subprocess
import sys

import pytest


@pytest.mark.parametrize("module", ["pandas_hier", "pandas_hier.encoding", "pandas_hier.schema"])
def test_import_does_not_load_pymc(module):
    code = (
        f"import sys, {module}\n"
        "heavy = sorted(m for m in ('pymc', 'pytensor', 'arviz', 'nutpie', 'matplotlib')"
        " if m in sys.modules)\n"
        "print(heavy)\n"
        "sys.exit(1 if heavy else 0)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, f"importing {module} loaded {result.stdout.strip()}"
