"""The private hooks into PyTensor and nutpie: used inside the tested versions, with working
fallbacks outside them."""

from __future__ import annotations

import numpy as np
import pytest

pm = pytest.importorskip("pymc")
from pandas_hier.backend import compat  # noqa: E402
from pandas_hier.backend.compile import compile_pyfunc, nogil_numba_mode, with_data  # noqa: E402


def test_installed_versions_use_the_hooks():
    assert compat.status() == {"pytensor": True, "nutpie": True}
    assert type(nogil_numba_mode().linker).__name__ == "NogilNumbaLinker"


def test_outside_the_tested_versions_the_fallbacks_still_compile_and_evaluate(monkeypatch):
    monkeypatch.setattr(compat, "TESTED", {"pytensor": ((0, 0), (0, 1)), "nutpie": ((0, 0), (0, 1))})
    assert compat.status() == {"pytensor": False, "nutpie": False}
    assert compat.nogil_linker() is None and compat.jit_core(object()) is None
    with pm.Model() as model:
        shift = pm.Data("shift", np.zeros(3))
        pm.HalfNormal("s", 1.0 + shift.sum())
    compiled = with_data(compile_pyfunc(model), {"shift": [1.0, 2.0, 3.0]})
    logp, grad = compiled._make_logp_func()(np.zeros(1), **compat.shared_data(compiled))
    want = pm.logp(pm.HalfNormal.dist(7.0), 1.0).eval() + 0.0  # s = exp(0) = 1, log-Jacobian 0
    assert logp == pytest.approx(float(want)) and np.isfinite(grad).all()
