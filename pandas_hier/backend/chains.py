"""Running the Gibbs sampler's chains in parallel: one forked process per chain where the
platform forks, threads elsewhere.

A Gibbs sweep is many short steps (slice updates, per-group Newton steps, kernel calls), and
between its compiled calls Python holds the GIL. Threads then take turns rather than run side
by side: two Poisson chains at 20k rows ran no faster in two threads than one after the other,
and twice as fast in two processes. So where ``fork`` is available (Linux, as PyMC's own
parallel sampler uses there), each chain runs in a process forked from this one: it inherits
the compiled functions, kernels and data as they are (nothing is pickled or recompiled) and
writes its draws into memory shared with the parent (:func:`shared_empty`). The parent shows
the chains' progress and re-raises the first error a chain met, with the chain's traceback as a
note. Elsewhere the chains run in threads, each with its own copy of the compiled functions.

Examples
--------
>>> import numpy as np
>>> from pandas_hier.backend.chains import run_chains, shared_empty
>>> out = shared_empty((2, 3))
>>> def run(c, target, tick):
...     for i in range(3):
...         out[c, i] = 10 * c + i
...         tick(c)
>>> run_chains(run, 2, target=None, copy=lambda t: t, update=lambda n: None)
>>> out.tolist()
[[0.0, 1.0, 2.0], [10.0, 11.0, 12.0]]
"""

from __future__ import annotations

import mmap
import multiprocessing
import os
import queue
import sys
import time
import traceback
import warnings
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import numpy as np

__all__ = ["forks", "run_chains", "shared_empty"]


def forks() -> bool:
    """Whether chains run in forked processes here (``fork`` available and more than one CPU)."""
    return "fork" in multiprocessing.get_all_start_methods() and (os.cpu_count() or 1) > 1


def shared_empty(shape, dtype=np.float64) -> np.ndarray:
    """An array that forked chains write into and the parent reads: anonymous shared memory
    where chains fork, plain memory otherwise."""
    dtype = np.dtype(dtype)
    n = int(np.prod(shape)) * dtype.itemsize
    if not forks() or n == 0:
        return np.empty(shape, dtype)
    return np.frombuffer(mmap.mmap(-1, n), dtype=dtype).reshape(shape)


def run_chains(run: Callable, chains: int, *, target, copy: Callable, update: Callable) -> None:
    """Run ``run(c, target, tick)`` for chains ``c = 0 .. chains - 1`` in parallel.

    ``tick(c)`` reports one finished iteration of chain ``c``; ``update(n)`` receives the
    iterations finished since its last call (a progress bar). ``copy(target)`` gives a thread
    its own target (compiled functions are not thread-safe); forked chains use ``target`` as
    it is. Results go through memory the chains share with the caller (:func:`shared_empty`).
    """
    workers = max(1, min(chains, os.cpu_count() or 1))
    if chains > 1 and forks():
        _in_processes(run, chains, target, update)
    else:
        _in_threads(run, chains, workers, target, copy, update)


def _in_threads(run, chains, workers, target, copy, update) -> None:
    free: queue.SimpleQueue = queue.SimpleQueue()
    for tgt in [target] + [copy(target) for _ in range(workers - 1)]:
        free.put(tgt)

    def pooled(c: int) -> None:
        tgt = free.get()
        try:
            run(c, tgt, lambda _c: update(1))
        finally:
            free.put(tgt)

    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(pooled, range(chains)))


def _in_processes(run, chains, target, update) -> None:
    ctx = multiprocessing.get_context("fork")
    done = shared_empty((chains,), np.int64)
    done[:] = 0
    errors = ctx.SimpleQueue()

    def tick(c: int) -> None:
        done[c] += 1

    def child(c: int) -> None:
        try:
            run(c, target, tick)
        except BaseException as exc:  # reported to the parent, which re-raises it
            text = "".join(traceback.format_exception(exc))
            try:
                errors.put((c, exc, text))
            except Exception:  # an exception that does not pickle
                errors.put((c, RuntimeError(f"{type(exc).__name__}: {exc}"), text))
            os._exit(1)

    # buffered output would be written again by each child as it exits
    sys.stdout.flush()
    sys.stderr.flush()
    procs = [ctx.Process(target=child, args=(c,), daemon=True, name=f"pandas-hier chain {c}") for c in range(chains)]
    with warnings.catch_warnings():
        # Python 3.12+ warns on every fork from a process with threads (BLAS's idle pool); the
        # children run only compiled code and numpy on memory they own, as PyMC's forked
        # chains do
        warnings.filterwarnings("ignore", message=r".*use of fork\(\) may lead to deadlocks", category=DeprecationWarning)
        for p in procs:
            p.start()
    shown, failure = 0, None
    try:
        while any(p.is_alive() for p in procs):
            time.sleep(0.05)
            now = int(done.sum())
            update(now - shown)
            shown = now
            if not errors.empty():
                failure = errors.get()  # read at once: a child blocks until its report is read
                break
        if failure is None and not errors.empty():
            failure = errors.get()
    except BaseException:  # KeyboardInterrupt: stop every chain
        failure = failure or "interrupted"
        raise
    finally:
        for p in procs:
            if failure is not None:
                p.terminate()  # the other chains' draws are of no use now
            p.join()
    update(int(done.sum()) - shown)
    if failure is not None:
        c, exc, text = failure
        exc.add_note(f"in chain {c} (a forked process):\n{text}")
        raise exc
    for c, p in enumerate(procs):
        if p.exitcode != 0:
            raise RuntimeError(
                f"chain {c}'s process ended with exit code {p.exitcode} and no error: it was "
                "killed, for example by the system running out of memory"
            )
