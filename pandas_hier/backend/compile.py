"""Compile a PyMC model into a nutpie model through nutpie's Python-function interface.

``nutpie.compile_pymc_model`` compiles numba C callbacks around the model that take 10 to 20 s
on a small machine whatever the model; for the marginal model, whose log-density is a handful of
PyTensor nodes around one compiled Op, that fixed cost dwarfed everything else. Here the
log-density-and-gradient and the "expand" function (constrained values and deterministics) are
ordinary PyTensor functions, called by nutpie from Python: compiling takes a second or two, and
the per-call overhead (microseconds) is small next to the Op's work.

Data containers (``pm.Data``) become explicit inputs, so one compiled model serves every data
set of the same structure (``with_data``), as with ``nutpie.compile_pymc_model``.
"""

from __future__ import annotations

from math import prod

import numpy as np

from pandas_hier.backend import compat

__all__ = ["compile_pyfunc"]


def nogil_numba_mode():
    """PyTensor's NUMBA mode, except that the compiled function releases the GIL where the
    installed PyTensor allows it (:mod:`~pandas_hier.backend.compat`), so that nutpie's chains,
    each calling it from its own thread, run in parallel."""
    from pytensor.compile.mode import Mode, get_mode

    numba = get_mode("NUMBA")
    linker = compat.nogil_linker()
    return numba if linker is None else Mode(linker=linker, optimizer=numba.provided_optimizer)


def with_data(compiled, values):
    """``compiled`` with new values of its data containers, cast to the dtypes it was compiled
    for (a different dtype would make numba compile the functions again).

    Examples
    --------
    >>> import numpy as np, pymc as pm
    >>> from pandas_hier.backend.compile import compile_pyfunc, with_data
    >>> with pm.Model() as m:
    ...     x = pm.Data("x", np.zeros(3))
    ...     s = pm.HalfNormal("s", 1.0 + x.sum())
    >>> with_data(compile_pyfunc(m), {"x": [1, 2, 3]})._shared_data["x"].dtype
    dtype('float64')
    """
    current = compat.shared_data(compiled)
    if not current:
        return compiled.with_data(**values)
    return compiled.with_data(
        **{
            k: np.ascontiguousarray(v, dtype=np.asarray(current[k]).dtype)
            for k, v in values.items()
        }
    )


def compile_pyfunc(model, mode=None):
    """A nutpie model for ``model`` (same variable names, shapes and dims as
    ``nutpie.compile_pymc_model``; initial points jittered as PyMC's NUTS does).

    Examples
    --------
    >>> import pymc as pm
    >>> from pandas_hier.backend.compile import compile_pyfunc
    >>> with pm.Model(coords={"g": ["a", "b"]}) as m:
    ...     mu = pm.Normal("mu", 0.0, 1.0, dims="g")
    >>> compile_pyfunc(m).n_dim
    2
    """
    import pytensor
    import pytensor.tensor as pt
    from nutpie.compiled_pyfunc import from_pyfunc
    from pytensor.graph import clone_replace, rewrite_graph

    mode = nogil_numba_mode() if mode is None else mode

    free = list(model.free_RVs)
    values = [model.rvs_to_values[rv] for rv in free]
    point = model.initial_point()
    shapes = [tuple(np.shape(point[v.name])) for v in values]
    sizes = [prod(s) for s in shapes]
    n_dim = int(sum(sizes))
    x = pt.dvector("hier_x")
    pieces, start = [], 0
    for v, shape, size in zip(values, shapes, sizes, strict=True):
        pieces.append(x[start : start + size].reshape(shape).astype(v.dtype))
        start += size
    replace = dict(zip(values, pieces, strict=True))

    shared = {name: var for name, var in model.named_vars.items() if _is_data(model, var)}
    data_in = {name: var.type(name) for name, var in shared.items()}
    replace.update({shared[name]: data_in[name] for name in shared})

    logp = rewrite_graph(model.logp(), include=("canonicalize", "stabilize"))
    grad = pt.concatenate([pt.as_tensor(g).ravel() for g in pt.grad(logp, values)])
    logp, grad = clone_replace([logp, grad], replace)
    names = list(data_in)
    logp_fn = pytensor.function(
        [x, *data_in.values()], [logp, grad], mode=mode, on_unused_input="ignore"
    )

    remaining = [v for v in model.unobserved_value_vars if v.name not in {u.name for u in values}]
    out_names = [v.name for v in values] + [v.name for v in remaining]
    expanded = clone_replace([*pieces, *remaining], replace)
    expand_fn = pytensor.function(
        [x, *data_in.values()], expanded, mode=mode, on_unused_input="ignore"
    )
    start_x = np.concatenate([np.asarray(point[v.name], np.float64).ravel() for v in values])
    data_now = [np.asarray(shared[n].get_value()) for n in names]
    out_shapes = [np.shape(v) for v in expand_fn(start_x, *data_now)]
    logp_raw, expand_raw = _raw(logp_fn), _raw(expand_fn)
    logp_raw(start_x, *data_now)  # compile now, once, not inside the sampler's first call
    expand_raw(start_x, *data_now)

    def make_logp_fn():
        fn = logp_raw

        def logp_and_grad(x, **data):
            ll, g = fn(x, *[data[n] for n in names])
            return float(ll), np.asarray(g, dtype=np.float64)

        return logp_and_grad

    def make_expand_fn(seed1, seed2, chain):
        fn = expand_raw

        def expand(x, **data):
            vals = fn(x, *[data[n] for n in names])
            return {
                n: np.asarray(v, dtype=np.float64).reshape(s)
                for n, v, s in zip(out_names, vals, out_shapes, strict=True)
            }

        return expand

    make_initial_point = initial_point_fn(model, values)

    dims = {
        n: tuple(model.named_vars_to_dims[n]) for n in out_names if n in model.named_vars_to_dims
    }
    coords = {k: list(v) for k, v in model.coords.items() if v is not None}
    return from_pyfunc(
        ndim=n_dim,
        make_logp_fn=make_logp_fn,
        make_expand_fn=make_expand_fn,
        expanded_dtypes=[np.dtype("float64")] * len(out_names),
        expanded_shapes=out_shapes,
        expanded_names=out_names,
        shared_data={n: np.asarray(var.get_value()) for n, var in shared.items()},
        make_initial_point_fn=make_initial_point,
        coords=coords,
        dims=dims,
    )


def initial_point_fn(model, values=None):
    """Per-chain initial points, as PyMC's NUTS makes them: the model's initial point on the
    transformed scale plus uniform(-1, 1) jitter on every entry.

    nutpie calls this from one thread per chain at once. A compiled PyTensor function reuses its
    output storage and is not safe to call concurrently (chains crashed at random with
    ``'NoneType' object has no attribute ...`` or ``Initial point has incorrect length``), so
    the point is computed once here and the jitter is plain numpy with a generator per call.

    Examples
    --------
    >>> import pymc as pm
    >>> from pandas_hier.backend.compile import initial_point_fn
    >>> with pm.Model() as m:
    ...     s = pm.HalfNormal("s", 1.0)
    >>> fn = initial_point_fn(m)
    >>> bool(abs(fn(0)[0] - fn(0)[0]) == 0 and -1 <= fn(1)[0] <= 1)  # log(sd=1) = 0, jittered
    True
    """
    values = [model.rvs_to_values[rv] for rv in model.free_RVs] if values is None else values
    point = model.initial_point()
    start = np.concatenate([np.asarray(point[v.name], np.float64).ravel() for v in values])
    start.flags.writeable = False

    def make_initial_point(seed):
        rng = np.random.default_rng(seed)
        return start + rng.uniform(-1.0, 1.0, size=start.shape)

    return make_initial_point


def _is_data(model, var) -> bool:
    from pytensor.compile.sharedvalue import SharedVariable

    return isinstance(var, SharedVariable) and var in model.data_vars


def _raw(fn):
    """A thread-safe callable for a compiled PyTensor function: the numba backend's jitted
    function itself where available (:func:`~pandas_hier.backend.compat.jit_core`), else a copy
    of the function per caller (a ``Function`` reuses its storage, so chains must not share
    one)."""
    jit = compat.jit_core(fn)
    return jit if jit is not None else fn.copy()
