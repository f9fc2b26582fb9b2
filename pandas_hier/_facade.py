"""Methods that are one call to a public function: signature and docstring derived from it.

The ``df.hier`` accessor and :class:`~pandas_hier.HierFit`'s ``predict`` are built this way, so
that every parameter and default is written once, on the function.
"""

from __future__ import annotations

import functools
import inspect
import operator
from collections.abc import Callable

__all__ = ["facade"]


def facade(func: Callable, target: Callable = operator.attrgetter("_obj")) -> Callable:
    """A method calling ``func(target(self), ...)`` (by default the accessor's frame
    ``self._obj``), with ``func``'s signature less its first parameter and ``func``'s docstring.

    Examples
    --------
    >>> def scale(df, factor: float = 2.0):
    ...     "Multiply every value."
    ...     return df * factor
    >>> class Box:
    ...     def __init__(self, obj):
    ...         self._obj = obj
    ...     scale = facade(scale)
    >>> import inspect
    >>> list(inspect.signature(Box.scale).parameters), Box(3).scale(factor=3)
    (['self', 'factor'], 9)
    """
    sig = inspect.signature(func)
    rest = list(sig.parameters.values())[1:]
    self_param = inspect.Parameter("self", inspect.Parameter.POSITIONAL_OR_KEYWORD)

    @functools.wraps(func)
    def method(self, *args, **kwargs):
        return func(target(self), *args, **kwargs)

    method.__signature__ = sig.replace(parameters=[self_param, *rest])
    del method.__wrapped__  # inspect.signature must not unwrap to func's own signature
    return method
