"""Every script in ``examples/`` runs as CI runs it: exit status 0, no warning on stderr, the
figures its docstring names written to the folder given by ``--out``, in under two minutes."""

from __future__ import annotations

import ast
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
LIMIT_S = 120


def _figures(script: Path) -> list[str]:
    """The ``name.png`` files the script's docstring says it writes."""
    doc = ast.get_docstring(ast.parse(script.read_text())) or ""
    return sorted(set(re.findall(r"``([\w-]+\.png)``", doc)))


def test_there_are_examples_and_each_names_its_figures():
    names = {p.stem for p in EXAMPLES}
    assert {"blog_salary", "radon", "contraception"} <= names
    for script in EXAMPLES:
        assert _figures(script), f"{script.name}: the docstring names no ``*.png`` it writes"


def test_the_docs_show_every_example():
    page = (ROOT / "docs" / "examples.md").read_text()
    missing = [p.name for p in EXAMPLES if f"../examples/{p.name}" not in page]
    assert not missing, f"docs/examples.md does not include {missing}"


@pytest.mark.slow
@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.stem)
def test_example_runs_cleanly(script, tmp_path):
    out = tmp_path / "figures"
    env = {**os.environ, "CI": "true", "MPLBACKEND": "Agg", "PYTHONWARNINGS": "default"}
    started = time.perf_counter()
    run = subprocess.run(
        [sys.executable, str(script), "--out", str(out)], cwd=tmp_path, env=env,
        capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    elapsed = time.perf_counter() - started
    assert run.returncode == 0, f"{script.name} failed:\n{run.stdout[-3000:]}\n{run.stderr[-5000:]}"
    warned = [line for line in run.stderr.splitlines() if "Warning" in line]
    assert not warned, f"{script.name} warned:\n" + "\n".join(warned)
    written = {p.name for p in out.glob("*") if p.stat().st_size}
    missing = [f for f in _figures(script) if f not in written]
    assert not missing, f"{script.name} did not write {missing} to {out}"
    assert run.stdout.strip(), f"{script.name} printed nothing"
    assert elapsed < LIMIT_S, f"{script.name} took {elapsed:.0f} s (limit {LIMIT_S} s)"
