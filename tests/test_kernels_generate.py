"""Tests of pandas_hier.kernels.generate: the kernel module generator and its templates."""

from __future__ import annotations

import ast
import importlib
from importlib import resources

import pytest

from pandas_hier.kernels import generate


@pytest.mark.parametrize("name", ["loops", "driver"])
def test_templates_are_python_files_with_one_marker(name):
    """Templates are ordinary modules (parsed, imported, linted like any file); the part below
    the marker is what the generated module gets, verbatim."""
    text = resources.files("pandas_hier.kernels.templates").joinpath(f"{name}.py").read_text()
    ast.parse(text)
    assert text.count(generate.MARKER) == 1
    module = importlib.import_module(f"pandas_hier.kernels.templates.{name}")
    wanted = {"loops": {"up_diag", "down_diag", "down_tri", "draw_diag", "up_tri", "draw_tri"},
              "driver": {"up_pass", "loglik_grad", "draw"}}[name]  # fmt: skip
    assert wanted <= set(vars(module))
    body = generate.template(name)
    for d, loops in ((2, True), (2, False), (5, None)):
        in_module = name == "driver" or loops or d > generate.UNROLL_MAX
        assert (body in generate.source(d, loops)) == in_module


def test_template_without_marker_is_refused(monkeypatch):
    class Fake:
        def joinpath(self, _):
            return self

        def read_text(self):
            return "x = 1\n"

    monkeypatch.setattr(generate.resources, "files", lambda _: Fake())
    with pytest.raises(ValueError, match="has no marker line"):
        generate.template("loops")
