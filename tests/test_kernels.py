"""The kernel module generator and its templates (real Python files read as resources)."""

from __future__ import annotations

import ast
import importlib
from importlib import resources

import numpy as np
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


def test_loop_form_writes_gradient_only_inside_a_diagonal_pattern():
    """The loop form reads every entry of L, but a diagonal level's gradient stays diagonal, as
    in the unrolled form (which writes no other entry)."""
    from pandas_hier.kernels import kernel

    rng = np.random.default_rng(3)
    d, groups = 2, 3
    xtx = np.stack([np.eye(d) * 4 + 0.5 for _ in range(groups)])
    args = dict(
        n=np.full(groups, 4.0), xtx=xtx, xty=rng.normal(size=(groups, d)), yty=np.full(groups, 9.0),
        parents=np.zeros(groups, np.int64), off=np.array([0, groups]), m0=np.zeros(d), s0=np.ones(d),
    )  # fmt: skip
    Ls = np.stack([np.diag(rng.uniform(0.5, 1.5, d)) for _ in range(groups)])
    for loops in (True, False):
        ll, ds, dL = kernel(d, loops=loops).loglik_grad(
            0.7, Ls, np.array([0, groups]), np.array([0]), *args.values(), True)  # fmt: skip
        assert np.isfinite(ll) and np.all(dL[:, 0, 1] == 0) and np.all(dL[:, 1, 0] == 0), loops
