"""Shared numerics of the GLM families (numpy and scipy only, imported lazily)."""

from __future__ import annotations

import numpy as np

__all__ = ["log_sigmoid", "softplus"]


def softplus(x):
    """``log(1 + exp(x))`` without overflow."""
    x = np.asarray(x, dtype=float)
    return np.logaddexp(0.0, x)


def log_sigmoid(x):
    """``log(1 / (1 + exp(-x)))`` without overflow."""
    return -softplus(-np.asarray(x, dtype=float))


def sigmoid(x):
    """``1 / (1 + exp(-x))`` without overflow."""
    return np.exp(log_sigmoid(x))
