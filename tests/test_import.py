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


def test_accessor_is_registered():
    import pandas as pd

    import pandas_hier  # noqa: F401

    assert hasattr(pd.DataFrame({"a": [1]}), "hier")


def test_accessor_methods_have_the_signatures_of_the_functions_they_call():
    """Defaults are written once: each df.hier method is its function less the frame."""
    import inspect

    import pandas as pd

    import pandas_hier

    for name in ("encode", "tables", "validate", "decode", "fit"):
        method = inspect.signature(getattr(pd.DataFrame.hier, name))
        function = inspect.signature(getattr(pandas_hier, name))
        assert list(method.parameters.values())[1:] == list(function.parameters.values())[1:], name
        assert getattr(pd.DataFrame.hier, name).__doc__ == getattr(pandas_hier, name).__doc__
