"""The documentation: the site builds with warnings as errors, its key pages exist, and the
Python code of the getting-started page and the user guide runs as shown."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
GUIDE_TOPICS = ["encoding", "fitting", "priors", "likelihoods", "prediction", "save-load",
                "diagnostics", "identification", "performance", "plots"]  # fmt: skip
CLI_PAGE = DOCS / "guide" / "cli.md"
KEY_PAGES = [
    "index.html", "getting-started.html", "examples.html", "model.html", "blog-model.html",
    "benchmarks.html", "architecture.html", "guide/index.html",
    *(f"guide/{topic}.html" for topic in GUIDE_TOPICS),
    "guide/cli.html", "api/index.html", "api/functions.html", "api/hierfit.html",
    "api/accessor.html", "api/errors.html", "api/cli.html",
]  # fmt: skip
# The pages whose ```python blocks run (in this order, each page in a fresh namespace, all in
# one process so that compiled models are shared).
CODE_PAGES = [DOCS / "getting-started.md", *(DOCS / "guide" / f"{t}.md" for t in GUIDE_TOPICS)]
BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)

RUNNER = """
import re, sys, warnings
import matplotlib
matplotlib.use("Agg")
warnings.simplefilter("error")  # a page's code runs warning-free unless it catches a warning
warnings.simplefilter("ignore", DeprecationWarning)  # other projects' deprecations
warnings.simplefilter("ignore", PendingDeprecationWarning)
BLOCK = re.compile(r"^```python\\n(.*?)^```", re.S | re.M)
for page in sys.argv[1:]:
    namespace = {"__name__": "__main__"}
    for i, block in enumerate(BLOCK.findall(open(page).read())):
        print(f"{page} block {i}", flush=True)
        exec(compile(block, f"{page} (python block {i})", "exec"), namespace)
"""


def test_every_guide_page_is_in_the_guide_toctree():
    toc = (DOCS / "guide" / "index.md").read_text()
    pages = sorted(p.stem for p in (DOCS / "guide").glob("*.md") if p.stem != "index")
    assert {*GUIDE_TOPICS, CLI_PAGE.stem} <= set(pages)
    assert [p for p in pages if f"\n{p}\n" not in toc] == []


def test_every_code_page_has_code():
    for page in CODE_PAGES:
        blocks = BLOCK.findall(page.read_text())
        assert blocks, page
        for block in blocks:
            compile(block, str(page), "exec")  # at least valid Python


def test_the_site_builds_without_a_warning(tmp_path):
    pytest.importorskip("sphinx", reason="the docs extra is not installed")
    out = tmp_path / "html"
    run = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html",
         "-d", str(tmp_path / "doctrees"), str(DOCS), str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert run.returncode == 0, f"sphinx-build failed:\n{run.stdout[-3000:]}\n{run.stderr[-6000:]}"
    missing = [page for page in KEY_PAGES if not (out / page).is_file()]
    assert not missing, missing
    hierfit = (out / "api" / "hierfit.html").read_text()
    for method in ("summary", "coef", "variance_components", "predict", "save", "plot_forest",
                   "plot_shrinkage", "plot_groups", "plot_trace", "plot_ppc"):
        assert f"HierFit.{method}" in hierfit, method  # documented from the docstrings


@pytest.mark.slow
def test_the_code_of_the_guide_runs(tmp_path):
    env = {**os.environ, "MPLBACKEND": "Agg"}
    run = subprocess.run(
        [sys.executable, "-c", RUNNER, *map(str, CODE_PAGES)], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    last = run.stdout.strip().splitlines()[-1:] or ["(nothing ran)"]
    assert run.returncode == 0, f"failed in {last[0]}:\n{run.stderr[-6000:]}"


@pytest.mark.slow
def test_the_commands_of_the_cli_page_run(tmp_path):
    """The shell commands of the command-line page, in order, with ``pandas-hier`` and
    ``python`` standing for this interpreter (the console script may not be installed)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shims = {"pandas-hier": f"{sys.executable} -m pandas_hier", "python": sys.executable}
    for name, argv in shims.items():
        (bin_dir / name).write_text(f'#!/bin/sh\nexec {argv} "$@"\n')
        (bin_dir / name).chmod(0o755)
    script = "\n".join(re.findall(r"^```bash\n(.*?)^```", CLI_PAGE.read_text(), re.S | re.M))
    assert "pandas-hier fit" in script
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "MPLBACKEND": "Agg"}
    run = subprocess.run(["bash", "-e", "-c", script], cwd=tmp_path, env=env, capture_output=True,
                         text=True, timeout=900)  # fmt: skip
    assert run.returncode == 0, f"{run.stdout[-3000:]}\n{run.stderr[-3000:]}"
    assert "warning" not in run.stderr.lower(), run.stderr
    for written in ("salary.hier", "county.csv", "predicted.csv", "forest.png", "shrinkage.png"):
        assert (tmp_path / written).stat().st_size > 0, written
