"""Test helpers for evaluating PyMC models at chosen points without MCMC."""

from __future__ import annotations

import numpy as np
from pytensor.compile.mode import get_mode

# Build-only tests evaluate graphs without C compilation (seconds, not minutes, per model);
# fused elementwise graphs exceed the Python implementation's operand limit, so no fusion.
FAST = get_mode("FAST_COMPILE").excluding("fusion")


def transformed_point(model, values: dict) -> dict:
    """Map untransformed values by RV name to the model's (transformed) value variables."""
    point = {}
    for rv in model.free_RVs:
        value_var = model.rvs_to_values[rv]
        transform = model.rvs_to_transforms.get(rv)
        val = np.asarray(values[rv.name], dtype=float)
        point[value_var.name] = transform.forward(val, *rv.owner.inputs).eval() if transform else val
    return point


def model_logp(model, values: dict) -> float:
    """Joint log-density (with Jacobians) at untransformed ``values``."""
    import pytensor

    point = transformed_point(model, values)
    fn = pytensor.function(model.value_vars, model.logp(), mode=FAST)
    return float(fn(*[point[v.name] for v in model.value_vars]))
