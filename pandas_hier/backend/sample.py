"""Sampler dispatch: nutpie (default, with a compiled-model cache), PyMC, the JAX samplers
through PyMC, and the approximations (ADVI, Pathfinder). Receives a built model, returns draws.

Examples
--------
>>> from pandas_hier.backend.sample import check_sampler
>>> check_sampler("stan")
Traceback (most recent call last):
...
ValueError: sampler='stan' is not one of 'nutpie', 'pymc', 'numpyro', 'blackjax'
"""

from __future__ import annotations

import importlib.util
import threading
import time
import warnings

from pandas_hier import progress
from pandas_hier.errors import SamplerNotInstalledError
from pandas_hier.options import SAMPLERS

__all__ = ["approximate", "check_sampler", "compiled", "sample"]


def check_sampler(sampler: str) -> None:
    """Refuse an unknown sampler, or one whose package is missing (naming the extra)."""
    if sampler not in SAMPLERS:
        raise ValueError(f"sampler={sampler!r} is not one of {', '.join(map(repr, SAMPLERS))}")
    needs = {"nutpie": "nutpie", "numpyro": "numpyro", "blackjax": "blackjax"}.get(sampler)
    if needs and importlib.util.find_spec(needs) is None:
        extra = "jax" if sampler in ("numpyro", "blackjax") else None
        hint = f'pip install "pandas-hier[{extra}]"' if extra else f"pip install {needs}"
        raise SamplerNotInstalledError(
            f"sampler={sampler!r} needs the package {needs!r}, which is not installed; "
            f"install it with: {hint} (or choose sampler='pymc')"
        )


#: Compiled nutpie models by structure key (see :func:`pandas_hier.design.structure_key`),
#: most recent last; a lock makes the cache safe for fits started from several threads.
_COMPILED: dict = {}
_COMPILED_MAX = 8
_LOCK = threading.Lock()


def compiled(built):
    """The nutpie model for ``built``: compiled once per structure, then reused with new data.

    Examples
    --------
    >>> from pandas_hier.fitting import build
    >>> from pandas_hier.backend.sample import compiled
    >>> import pandas_hier
    >>> built = build(pandas_hier.datasets.load_salary(), "month", "salary",
    ...               levels=["degree", "state", "county"])
    >>> compiled(built).n_dim
    7
    """
    from pandas_hier.backend.compile import compile_pyfunc, with_data

    with _LOCK:
        hit = _COMPILED.pop(built.structure, None)
        if hit is not None:
            _COMPILED[built.structure] = hit  # most recently used
            return with_data(hit, built.data_values)
        with progress.step("compiling the model (slow on a machine's first fit only)"):
            model = compile_pyfunc(built.model)
        _COMPILED[built.structure] = model
        while len(_COMPILED) > _COMPILED_MAX:
            _COMPILED.pop(next(iter(_COMPILED)))
        return model


def sample(built, sampler: str, *, draws, tune, chains, seed, progressbar, target_accept):
    """Run NUTS on ``built`` with ``sampler``; returns ``(compile seconds or None, DataTree)``.

    The sampler's own bar shows only where :func:`pandas_hier.progress.enabled` (a terminal or
    notebook, ``CI`` unset): in a pipe PyMC would print its final table to stdout."""
    import pymc as pm

    progressbar = progress.enabled(progressbar)

    model = built.model
    common = {"draws": draws, "tune": tune, "chains": chains, "target_accept": target_accept}
    if sampler == "nutpie":
        import nutpie

        started = time.perf_counter()
        nuts_model = compiled(built)
        compile_s = time.perf_counter() - started
        # Stan-style mass matrix from the draws' variance: nutpie's default also divides by the
        # gradients' variance, which is 0 where a weakly identified sd's log-density is flat,
        # and blew that coordinate's scale up to ~1e8 (see docs/model.md).
        trace = nutpie.sample(
            nuts_model, seed=seed, progress_bar=progressbar, save_warmup=False,
            adaptation="draw_diag", **common,
        )  # fmt: skip
        if progressbar:
            progress.end_line()  # nutpie leaves the cursor on its bar's last line
        return compile_s, trace
    kwargs = {} if sampler == "pymc" else {"nuts_sampler": sampler}
    with warnings.catch_warnings(), progress.quiet_logs("pymc", not progressbar):
        # PyMC's own convergence messages are replaced by ours, which name the level.
        warnings.filterwarnings("ignore", message=".*(r_hat|rhat|effective sample|diverg).*")
        return None, pm.sample(
            random_seed=seed, progressbar=progressbar, model=model,
            compute_convergence_checks=False, **common, **kwargs,
        )  # fmt: skip


def approximate(built, method: str, *, draws, iterations, seed, progressbar):
    """Draws from ADVI (mean-field, ``iterations`` steps) or Pathfinder; one "chain"."""
    import pymc as pm

    progressbar = progress.enabled(progressbar)

    if method == "advi":
        with progress.quiet_logs("pymc", not progressbar):
            approx = pm.fit(n=iterations, method="advi", model=built.model, random_seed=seed,
                            progressbar=progressbar)  # fmt: skip
        return approx.sample(draws, random_seed=seed + 1)
    import pymc_extras as pmx

    return pmx.fit(
        method="pathfinder", model=built.model, num_draws=draws, random_seed=seed,
        progressbar=progressbar,
    )  # fmt: skip
