"""The package's layout rules (docs/architecture.md): no import cycle, function-level imports
included; no module over 400 lines; heavy libraries only where they belong."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent / "pandas_hier"


def _module_name(path: Path) -> str:
    parts = path.relative_to(ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {_module_name(p): p for p in ROOT.rglob("*.py")}


def _resolve(name: str) -> str | None:
    """The module an import of ``name`` loads (a submodule if one exists, else its package)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def _imports(path: Path) -> set[str]:
    """pandas_hier modules imported anywhere in ``path`` (TYPE_CHECKING blocks excepted)."""
    tree = ast.parse(path.read_text())
    skip = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            skip.update(id(n) for n in ast.walk(node))
    found = set()
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.Import):
            names = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [f"{node.module}.{a.name}" for a in node.names] + [node.module]
        else:
            continue
        for name in names:
            if name.startswith("pandas_hier") and (target := _resolve(name)):
                found.add(target)
    return found


def test_the_cycle_finder_finds_a_cycle(monkeypatch, tmp_path):
    a, b = tmp_path / "a.py", tmp_path / "b.py"
    a.write_text("def f():\n    from pandas_hier import b\n")
    b.write_text("from pandas_hier import a\n")
    monkeypatch.setitem(MODULES, "pandas_hier.a", a)
    monkeypatch.setitem(MODULES, "pandas_hier.b", b)
    with pytest.raises(pytest.fail.Exception, match="import cycle: pandas_hier.a -> pandas_hier.b -> pandas_hier.a"):
        test_no_import_cycles()


def test_no_import_cycles():
    graph = {name: {m for m in _imports(p) if m != name} for name, p in MODULES.items()}
    # importing a submodule imports its parent packages first: not an edge of the design
    graph = {m: {d for d in deps if not m.startswith(d + ".")} for m, deps in graph.items()}
    graph["pandas_hier"] = set()  # the package only re-exports; nothing imports it for code
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node: str) -> None:
        state[node] = 1
        path.append(node)
        for dep in sorted(graph.get(node, ())):
            if state.get(dep) == 1:
                cycle = path[path.index(dep):] + [dep]
                pytest.fail("import cycle: " + " -> ".join(cycle))
            if dep not in state:
                visit(dep)
        path.pop()
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            visit(module)


@pytest.mark.parametrize("path", sorted(MODULES.values()), ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_is_over_400_lines(path):
    assert len(path.read_text().splitlines()) <= 400


def test_only_the_backend_imports_pymc_and_pytensor():
    heavy = ("pymc", "pytensor", "nutpie")
    for name, path in MODULES.items():
        if name.startswith("pandas_hier.backend") or name.startswith("pandas_hier.kernels"):
            continue
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            mods = [a.name for a in node.names] if isinstance(node, ast.Import) else (
                [node.module] if isinstance(node, ast.ImportFrom) and node.module else [])
            assert not [m for m in mods if m.split(".")[0] in heavy], (name, mods)
