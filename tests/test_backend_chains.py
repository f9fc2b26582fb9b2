"""Gibbs chains in parallel: forked processes write their draws where the parent reads them,
report progress, and pass on a chain's error or death; threads are the same where the
platform does not fork, and a fit's draws do not depend on which ran them."""

from __future__ import annotations

import mmap
import os
import signal

import numpy as np
import pytest
from helpers import quiet_fit

from pandas_hier.backend import chains as chains_mod
from pandas_hier.backend.chains import run_chains, shared_empty

pytestmark = pytest.mark.skipif(not chains_mod.forks(), reason="this platform runs chains in threads only")


def _collect(n_chains, iterations, **kw):
    out = shared_empty((n_chains, iterations))
    pids = shared_empty((n_chains,), np.int64)
    updates = []

    def run(c, target, tick):
        pids[c] = os.getpid()
        for i in range(iterations):
            out[c, i] = 100 * c + i + target
            tick(c)

    run_chains(run, n_chains, target=0.5, copy=lambda t: t, update=updates.append, **kw)
    return out, pids, updates


def test_forked_chains_write_their_draws_where_the_parent_reads_them():
    out, pids, updates = _collect(3, 200)
    assert out.tolist() == [[100 * c + i + 0.5 for i in range(200)] for c in range(3)]
    assert sum(updates) == 3 * 200
    assert len(set(pids.tolist()) | {os.getpid()}) == 4  # each chain in a process of its own


def test_threads_where_the_platform_does_not_fork(monkeypatch):
    monkeypatch.setattr(chains_mod, "forks", lambda: False)
    copies = []

    def copy(t):
        copies.append(t)
        return t

    out = shared_empty((2, 5))
    assert not isinstance(out.base, mmap.mmap)  # plain memory: threads share it anyway
    pids = []

    def run(c, target, tick):
        pids.append(os.getpid())
        out[c] = c

    run_chains(run, 2, target=1.0, copy=copy, update=lambda n: None)
    assert out.tolist() == [[0.0] * 5, [1.0] * 5]
    assert set(pids) == {os.getpid()}
    assert len(copies) == min(2, os.cpu_count() or 1) - 1


def test_a_chains_error_reaches_the_caller_with_its_traceback():
    def run(c, target, tick):
        if c == 1:
            raise ValueError("bad sd in chain one")
        for _ in range(3):
            tick(c)

    with pytest.raises(ValueError, match="bad sd in chain one") as info:
        run_chains(run, 2, target=None, copy=lambda t: t, update=lambda n: None)
    note = "\n".join(getattr(info.value, "__notes__", []))
    assert "in chain 1 (a forked process)" in note and "raise ValueError" in note


def test_a_chains_error_stops_the_other_chains():
    import time

    def run(c, target, tick):
        if c == 0:
            raise ValueError("chain zero failed")
        time.sleep(60)  # the others would run on

    started = time.perf_counter()
    with pytest.raises(ValueError, match="chain zero failed"):
        run_chains(run, 2, target=None, copy=lambda t: t, update=lambda n: None)
    assert time.perf_counter() - started < 20


def test_a_killed_chain_is_an_error_not_missing_draws():
    def run(c, target, tick):
        if c == 0:
            os.kill(os.getpid(), signal.SIGKILL)

    with pytest.raises(RuntimeError, match=r"chain 0's process ended with exit code -9"):
        run_chains(run, 2, target=None, copy=lambda t: t, update=lambda n: None)


def test_a_fits_draws_do_not_depend_on_processes_or_threads(monkeypatch):
    rng = np.random.default_rng(3)
    import pandas as pd

    n = 240
    df = pd.DataFrame({"g": rng.choice(["a", "b", "c"], n), "x": rng.standard_normal(n)})
    df["h"] = df["g"] + rng.choice(["1", "2"], n)
    df["y"] = rng.poisson(np.exp(0.3 + 0.2 * df["x"]))
    kw = {"likelihood": "poisson", "chains": 2, "draws": 60, "tune": 60, "random_seed": 9}
    forked = quiet_fit(df, "x", "y", levels=["g", "h"], **kw)
    monkeypatch.setattr(chains_mod, "forks", lambda: False)
    threaded = quiet_fit(df, "x", "y", levels=["g", "h"], **kw)
    a, b = (f.idata["posterior"].to_dataset() for f in (forked, threaded))
    assert forked.sampler == "gibbs"
    for name in a.data_vars:
        np.testing.assert_array_equal(a[name].values, b[name].values)
