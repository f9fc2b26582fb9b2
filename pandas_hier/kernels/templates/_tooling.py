"""Names the templates use but the generator defines (``D``, ``PIVOT_MAX``, ``_JIT``,
``_floor1``): imported by each template above its marker line, so that the templates can be
read, linted and imported like any module. Nothing here reaches a generated module."""

import numpy as np
from numba import njit

__all__ = ["PIVOT_MAX", "_JIT", "D", "_floor1", "njit", "np"]

D = 2
PIVOT_MAX = 1e12
_JIT = {"cache": False, "nogil": True}


@njit(**_JIT)
def _floor1(x):
    return max(1.0, x)
