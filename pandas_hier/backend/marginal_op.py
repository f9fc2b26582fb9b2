"""PyTensor Op wrapping the compiled marginal log-likelihood (:mod:`pandas_hier.kernels`).

The Op has the log-likelihood as its first output and its exact gradients (in ``sigma`` and in
the scale matrices) as further outputs, which its ``pullback`` reuses, so one evaluation of the
log-density and its gradient runs the kernel once. Data inputs (sufficient statistics, parent
maps, offsets) are not differentiated. Backends: Python (``perform``, PyMC's own sampler) and
numba (registered below; what nutpie runs through :mod:`pandas_hier.backend.compile`). JAX samplers use
the equivalent pure-PyTensor graph (``model.build_model(..., impl="graph")``).
"""

from __future__ import annotations

import numpy as np
import pytensor.tensor as pt
from pytensor.gradient import DisconnectedType, disconnected_type
from pytensor.graph.basic import Apply
from pytensor.graph.op import Op
from pytensor.link.numba.dispatch.basic import numba_njit, register_funcify_default_op_cache_key

from pandas_hier.kernels import digest, kernel, marginal_loglik_grad
from pandas_hier.names import ScaleKind

__all__ = ["MarginalLoglik", "marginal_loglik"]

_FLOAT = ("sigma", "Ls", "n", "xtx", "xty", "yty", "m0", "s0")
_INPUTS = ("sigma", "Ls", "loff", "kinds", "n", "xtx", "xty", "yty", "parents", "off", "m0", "s0")


class MarginalLoglik(Op):
    """``(sigma, Ls, loff, kinds, n, xtx, xty, yty, parents, off, m0, s0) -> (loglik, dsigma,
    dLs)`` for ``d`` coefficients.

    Arguments as in :func:`pandas_hier.kernels.marginal_loglik_grad`; only ``sigma`` and ``Ls``
    are differentiable.
    """

    __props__ = ("d",)

    def __init__(self, d: int):
        self.d = int(d)
        super().__init__()

    def make_node(self, *args):
        if len(args) != len(_INPUTS):
            raise TypeError(f"MarginalLoglik takes {len(_INPUTS)} inputs, got {len(args)}")
        inputs = []
        for name, x in zip(_INPUTS, args, strict=True):
            if name in _FLOAT:
                inputs.append(pt.as_tensor_variable(x, dtype="float64"))
            else:
                inputs.append(pt.as_tensor_variable(x, dtype="int64"))
        return Apply(self, inputs, [pt.dscalar(), pt.dscalar(), inputs[1].type()])

    def perform(self, node, inputs, outputs):
        rest = map(np.ascontiguousarray, inputs[1:])
        ll, ds, dL = marginal_loglik_grad(float(inputs[0]), *rest, True)
        outputs[0][0] = np.asarray(ll)
        outputs[1][0] = np.asarray(ds)
        outputs[2][0] = dL

    def connection_pattern(self, node):
        return [[name in ("sigma", "Ls")] * 3 for name in _INPUTS]

    def pullback(self, inputs, outputs, cotangents):
        if any(not isinstance(g.type, DisconnectedType) for g in cotangents[1:]):
            raise NotImplementedError("second derivatives of the marginal likelihood")
        g = cotangents[0]
        return [g * outputs[1], g * outputs[2]] + [disconnected_type() for _ in inputs[2:]]


@register_funcify_default_op_cache_key(MarginalLoglik)
def _numba_marginal(op, node=None, **kwargs):
    compiled = kernel(op.d).loglik_grad

    @numba_njit
    def marginal(sigma, Ls, loff, kinds, n, xtx, xty, yty, parents, off, m0, s0):
        ll, ds, dL = compiled(
            sigma.item(), np.ascontiguousarray(Ls), loff, kinds, n, np.ascontiguousarray(xtx),
            np.ascontiguousarray(xty), yty, parents, off, m0, s0, True,
        )  # fmt: skip
        return np.asarray(ll), np.asarray(ds), dL

    # the generated kernel's hash versions PyTensor's cache entry for this Op
    return marginal, int(digest(op.d)[:12], 16)


def marginal_loglik(sigma, Ls, kinds, stats, parents, m0, s0):
    """The marginal log-likelihood as a PyTensor scalar.

    Parameters
    ----------
    sigma : scalar tensor
        Noise sd.
    Ls : list of tensor
        Per level, the offset scale: ``(1, d, d)`` (shared by the level) or ``(groups, d, d)``.
    kinds : sequence of ScaleKind
        Per level, the pattern of the scale matrices (entries outside it are taken as zero).
    stats : LeafStats
        Leaf sufficient statistics (arrays or tensors).
    parents : list of tensor
        Per level, each group's parent index in the level above (all zeros for level 1).
    m0, s0 : sequence of float
        Normal prior of the global coefficients.

    Examples
    --------
    >>> import numpy as np, pytensor.tensor as pt
    >>> from pandas_hier.backend.marginal_op import marginal_loglik
    >>> from pandas_hier.stats import LeafStats
    >>> s = pt.dscalar("s")
    >>> stats = LeafStats(np.ones(1), np.ones((1, 1, 1)), np.zeros((1, 1)), np.zeros(1))
    >>> L, parent = [np.zeros((1, 1, 1))], [np.zeros(1, np.int64)]
    >>> from pandas_hier.names import ScaleKind
    >>> ll = marginal_loglik(s, L, [ScaleKind.LEVEL], stats, parent, [0.0], [1.0])
    >>> round(float(ll.eval({s: 1.0})), 6)  # y = 0 ~ N(theta, 1), theta ~ N(0, 1)
    -1.265512
    """
    Ls = [pt.as_tensor_variable(x, dtype="float64") for x in Ls]
    loff = pt.concatenate([pt.zeros(1, "int64"), pt.cumsum(pt.stack([x.shape[0] for x in Ls]))])
    parents = [pt.as_tensor_variable(p) for p in parents]
    off = pt.concatenate([pt.zeros(1, "int64"), pt.cumsum(pt.stack([p.shape[0] for p in parents]))])
    Ls_all = Ls[0] if len(Ls) == 1 else pt.concatenate(Ls)
    parents_all = (parents[0] if len(parents) == 1 else pt.concatenate(parents)).astype("int64")
    kinds = np.array([ScaleKind(x).triangular for x in kinds], np.int64)
    return MarginalLoglik(len(m0))(
        sigma, Ls_all, loff, kinds, stats.n, stats.xtx, stats.xty, stats.yty, parents_all, off,
        np.asarray(m0, float), np.asarray(s0, float),
    )[0]  # fmt: skip
