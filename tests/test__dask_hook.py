"""``ddf.hier`` exists whichever of pandas_hier and dask.dataframe is imported first, and
``import pandas_hier`` alone imports no Dask."""

from __future__ import annotations

import subprocess
import sys

import pytest

_USE = (
    "import pandas as pd\n"
    "ddf = dd.from_pandas(pd.DataFrame({'a': ['y', 'x']}), npartitions=2)\n"
    "print(ddf.hier.encode(['a']).compute()['a_idx'].tolist())\n"
)


def _run(code: str) -> str:
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    "imports", ["import pandas_hier\nimport dask.dataframe as dd\n", "import dask.dataframe as dd\nimport pandas_hier\n"]
)
def test_accessor_is_registered_in_either_import_order(imports):
    assert _run(imports + _USE) == "[1, 0]"


def test_import_pandas_hier_imports_no_dask_and_waits():
    code = (
        "import sys, pandas_hier\n"
        "from pandas_hier import _dask_hook\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')),"
        " _dask_hook.installed())\n"
    )
    assert _run(code) == "[] True"


def test_the_finder_removes_itself_after_registering():
    code = "import pandas_hier, dask.dataframe\nfrom pandas_hier import _dask_hook\nprint(_dask_hook.installed())\n"
    assert _run(code) == "False"


def test_a_failed_registration_warns_and_leaves_the_import_alone(monkeypatch):
    """If registering ``ddf.hier`` fails, the user's own ``import dask.dataframe`` still works
    and a warning says what went wrong."""
    from pandas_hier import _dask_hook

    monkeypatch.setattr(_dask_hook, "ENTRY", "pandas_hier._no_such_module")
    with pytest.warns(UserWarning, match=r"could not register ddf\.hier on Dask DataFrames: .*_no_such_module"):
        _dask_hook._register()
