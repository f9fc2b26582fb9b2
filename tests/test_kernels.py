"""Tests of pandas_hier.kernels: generated kernels (unrolled and loop forms) and their cache."""

from __future__ import annotations

import numpy as np
import pytest
from helpers import tiny_data


def test_kernel_refuses_what_float64_cannot_represent():
    from pandas_hier.kernels import marginal_loglik_grad

    one, i = np.ones(1), np.array([0, 1])
    args = (i, i[:1], one, np.ones((1, 1, 1)), np.zeros((1, 1)), np.zeros(1), np.zeros(1, np.int64), i,
            np.zeros(1), one, True)  # fmt: skip
    for sigma, L in [(0.0, 1.0), (1e-200, 1.0), (1.0, np.inf), (1.0, 1e9), (1e-9, 1e3)]:
        ll, ds, dL = marginal_loglik_grad(sigma, np.full((1, 1, 1), L), *args)
        assert ll == -np.inf and ds == 0.0 and np.all(dL == 0), (sigma, L, ll)
    ll, _, _ = marginal_loglik_grad(1.0, np.zeros((1, 1, 1)), *args)
    assert ll == pytest.approx(-1.265512, abs=1e-6)


def test_kernel_source_is_generated_per_size_into_the_cache_dir(tmp_path, monkeypatch):
    from pandas_hier import kernels as _kernel

    monkeypatch.setenv("PANDAS_HIER_CACHE", str(tmp_path / "cache"))
    assert _kernel.cache_dir() == tmp_path / "cache"
    assert "D = 3" in _kernel.source(3) and _kernel.digest(3) != _kernel.digest(2)
    compile(_kernel.source(4), "<generated>", "exec")  # valid Python for a larger size too


@pytest.mark.parametrize("kinds", [(0, 0, 0), (1, 0, 1)], ids=["diagonal", "lower-triangular"])
def test_loop_kernel_equals_unrolled_kernel(kinds):
    """Beyond UNROLL_MAX coefficients the kernel loops over matrix entries instead of running
    straight-line code: both forms must give the same likelihood, gradient and draws."""
    from pandas_hier.kernels import kernel

    data = tiny_data(p=2, n_rows=40, seed=4)
    d, st, rng = 3, data.stats, np.random.default_rng(8)
    per_group = (False, True, False)  # level 2 has one scale per group
    Ls = []
    for lev, (kind, per) in enumerate(zip(kinds, per_group, strict=True)):
        L = rng.uniform(0.2, 1.2, (data.sizes[lev] if per else 1, d, d))
        Ls.append(np.tril(L) if kind else L * np.eye(d))
    loff = np.cumsum([0, *[x.shape[0] for x in Ls]]).astype(np.int64)
    args = (
        np.concatenate(Ls), loff, np.array(kinds, np.int64), st.n.astype(float), st.xtx, st.xty,
        st.yty, np.concatenate(data.parents).astype(np.int64),
        np.cumsum([0, *data.sizes]).astype(np.int64), np.array([0.3, -0.2, 0.1]), np.ones(d),
    )  # fmt: skip
    unrolled, loops = kernel(d, loops=False), kernel(d, loops=True)
    ll_u, ds_u, dL_u = unrolled.loglik_grad(0.8, *args, True)
    ll_l, ds_l, dL_l = loops.loglik_grad(0.8, *args, True)
    assert ll_l == pytest.approx(ll_u, rel=1e-12) and ds_l == pytest.approx(ds_u, rel=1e-10)
    pattern = np.concatenate([np.broadcast_to(np.tril(np.ones((d, d))) if k else np.eye(d), x.shape)
                              for k, x in zip(kinds, Ls, strict=True)]).astype(bool)  # fmt: skip
    np.testing.assert_allclose(dL_l[pattern], dL_u[pattern], rtol=1e-9, atol=1e-12)
    eps = rng.standard_normal((4, sum(data.sizes) + 2, d))
    sig = np.full(4, 0.8)
    Ls_draws = np.broadcast_to(args[0], (4, *args[0].shape)).copy()
    th_u = unrolled.draw(sig, Ls_draws, *args[1:], eps)
    th_l = loops.draw(sig, Ls_draws, *args[1:], eps)
    np.testing.assert_allclose(th_l[:, :-1], th_u[:, :-1], rtol=1e-10, atol=1e-12)


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


def test_cache_dir_falls_back_and_says_when_nothing_is_writable(tmp_path, monkeypatch):
    import tempfile

    from pandas_hier import kernels

    blocked = tmp_path / "file"
    blocked.write_text("")  # a file where the cache folder should be: not creatable
    monkeypatch.setenv("PANDAS_HIER_CACHE", str(blocked / "cache"))
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(blocked))
    with pytest.raises(OSError, match="no writable cache directory among"):
        kernels.cache_dir()
    monkeypatch.setattr(tempfile, "gettempdir", lambda: str(tmp_path))
    assert kernels.cache_dir().parent == tmp_path  # the temporary directory is the fallback
