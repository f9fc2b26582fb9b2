"""Declare the constraints of a function's parameters once and check them before any work.

As in scikit-learn's ``_parameter_constraints``, each parameter gets a list of alternatives and a
value is valid when any of them accepts it; ``None`` in the list allows ``None`` and a bare type
means :class:`Instance`. :func:`validate_params` checks the bound arguments (defaults applied)
before the body runs; :func:`check_columns` checks that column arguments name frame columns.

Examples
--------
>>> @validate_params({"draws": [Integer(1, 1_000_000)], "random_seed": [None, Integer(0)],
...                   "likelihood": [Options("normal", "studentt", "cauchy")]}, caller="fit")
... def fit(draws=1000, likelihood="normal", random_seed=None):
...     return draws
>>> fit(draws=500)
500
>>> try:
...     fit(likelihood="studnett")
... except InvalidParameterError as err:
...     print(err)
fit: likelihood='studnett' is not one of 'normal', 'studentt', 'cauchy'; did you mean 'studentt'?
"""

from __future__ import annotations

import difflib
import functools
import inspect
import math
import numbers
from collections.abc import Hashable

import numpy as np

from pandas_hier.errors import InvalidParameterError

__all__ = [
    "Boolean", "Callable_", "Instance", "Integer", "Interval",
    "InvalidParameterError", "NoneOr", "Options", "Real", "check_params",
    "close_match", "validate_params",
]  # fmt: skip


def _show(value) -> str:
    text = repr(value.item() if isinstance(value, np.generic) else value)
    return text if len(text) <= 80 else text[:76] + " ..."


def _num(x) -> str:
    if isinstance(x, numbers.Integral) or (float(x).is_integer() and abs(x) < 1e16):
        return f"{int(x):,}"
    return repr(float(x))


def _is_bool(value) -> bool:
    return isinstance(value, (bool, np.bool_))


def _join_or(parts: list[str]) -> str:
    return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " or " + parts[-1]


def _closest(value, choices):
    """The choice whose text is closest to ``value``'s (case first, then difflib), or None."""
    by_text: dict[str, object] = {}
    for choice in choices:
        by_text.setdefault(str(choice), choice)
    text = str(value)
    same_case = [c for key, c in by_text.items() if key.lower() == text.lower()]
    near = difflib.get_close_matches(text, list(by_text), n=1, cutoff=0.6)
    return same_case[0] if same_case else by_text[near[0]] if near else None


def close_match(value, choices) -> str | None:
    """The text of the choice closest to ``value`` (``difflib``, cutoff 0.6), or None.

    Examples
    --------
    >>> close_match("studnett", ["normal", "studentt", "cauchy"])
    'studentt'
    >>> close_match("poisson", ["normal", "studentt"]) is None
    True
    """
    found = _closest(value, choices)
    return None if found is None else str(found)


class _Constraint:
    """One alternative: ``accepts`` decides, ``describe``/``error`` explain."""

    hint: str | None = None
    show_value = False  # whether a type failure shows the value, not only its type
    _args: tuple = ()

    def type_ok(self, value) -> bool:  # the value has a type this alternative could accept
        return True

    def accepts(self, value) -> bool:
        return self.type_ok(value)

    def describe(self, name: str) -> str:
        raise NotImplementedError

    def suggest(self, value) -> str:
        return ""

    def tail(self) -> str:
        h = self.hint
        return "" if not h else h if h[0] in ";,.( " else "; " + h

    def error(self, name: str, value) -> str:
        """The message when this is a parameter's only alternative (without the caller)."""
        got = type(value).__name__
        got = f"{_show(value)} ({got})" if self.show_value else got
        return f"{name} must be {self.describe(name)}, got {got}"

    def __repr__(self) -> str:
        return f"{type(self).__name__}({', '.join(map(repr, self._args))})"


class _NoneConstraint(_Constraint):
    def type_ok(self, value) -> bool:
        return value is None

    def describe(self, name: str) -> str:
        return "None"


_NONE = _NoneConstraint()


class Interval(_Constraint):
    """Integers or finite numbers in a range.

    Parameters
    ----------
    kind : {"int", "real"}
        "int": ``int`` or ``numpy.integer``, never a bool; "real": any real number but a bool,
        finite.
    lo, hi : number or None
        The bounds; None leaves that side unbounded.
    closed : {"both", "left", "right", "neither"}, default "both"
        Which bounds belong to the range.
    hint : str, optional
        Appended to the out-of-range message (after "; " unless it starts with punctuation).
    """

    show_value = True

    def __init__(self, kind: str, lo, hi, closed: str = "both", *, hint: str | None = None):
        if kind not in ("int", "real"):
            raise ValueError(f"Interval: kind={kind!r} is not one of 'int', 'real'")
        if closed not in ("both", "left", "right", "neither"):
            raise ValueError(f"Interval: closed={closed!r} is not one of 'both', 'left', ...")
        if lo is not None and hi is not None and lo > hi:
            raise ValueError(f"Interval: lo={lo!r} is above hi={hi!r}")
        self.kind, self.lo, self.hi, self.closed, self.hint = kind, lo, hi, closed, hint
        self._args = (kind, lo, hi, closed)

    def type_ok(self, value) -> bool:
        if _is_bool(value) or self.kind == "int":
            return not _is_bool(value) and isinstance(value, (int, np.integer))
        real = isinstance(value, numbers.Real)
        return isinstance(value, numbers.Integral) or (real and math.isfinite(value))

    def accepts(self, value) -> bool:
        left, right = self.closed in ("both", "left"), self.closed in ("both", "right")
        return self.type_ok(value) and (
            self.lo is None or (value >= self.lo if left else value > self.lo)
        ) and (self.hi is None or (value <= self.hi if right else value < self.hi))  # fmt: skip

    def range(self, name: str) -> str:
        """The range as text, e.g. ``"1 <= draws <= 1,000,000"``."""
        text = name
        if self.lo is not None:
            text = f"{_num(self.lo)} {'<=' if self.closed in ('both', 'left') else '<'} {text}"
        if self.hi is not None:
            text += f" {'<=' if self.closed in ('both', 'right') else '<'} {_num(self.hi)}"
        return text

    def describe(self, name: str) -> str:
        what = "an integer" if self.kind == "int" else "a number"
        return what if self.lo is None and self.hi is None else f"{what} with {self.range(name)}"

    def error(self, name: str, value) -> str:
        if self.type_ok(value):
            return f"{name}={_show(value)} is out of range: choose {self.range(name)}{self.tail()}"
        finite = not _is_bool(value) and isinstance(value, numbers.Real) and value == value
        what = "an integer" if self.kind == "int" else "a finite number" if finite else "a number"
        return f"{name} must be {what}, got {_show(value)} ({type(value).__name__})"


class Integer(Interval):
    """``Interval("int", lo, hi, closed, hint=hint)``.
    """

    def __init__(self, lo=None, hi=None, closed: str = "both", *, hint: str | None = None):
        super().__init__("int", lo, hi, closed, hint=hint)
        self._args = (lo, hi, closed)


class Real(Interval):
    """``Interval("real", lo, hi, closed, hint=hint)``.
    """

    def __init__(self, lo=None, hi=None, closed: str = "both", *, hint: str | None = None):
        super().__init__("real", lo, hi, closed, hint=hint)
        self._args = (lo, hi, closed)


class Options(_Constraint):
    """The value must equal one of ``choices`` (a bool never counts as 0 or 1 here).
    """

    def __init__(self, *choices, hint: str | None = None):
        if not choices:
            raise ValueError("Options: give at least one choice")
        self.choices, self.hint, self._args = choices, hint, choices

    def type_ok(self, value) -> bool:
        return any(isinstance(value, type(c)) for c in self.choices)

    def accepts(self, value) -> bool:
        return isinstance(value, Hashable) and any(
            _is_bool(value) == _is_bool(c) and value == c for c in self.choices
        )

    def describe(self, name: str) -> str:
        return "one of " + ", ".join(map(_show, self.choices))

    def suggest(self, value) -> str:
        guess = _closest(value, self.choices)
        return "" if guess is None else f"; did you mean {_show(guess)}?"

    def error(self, name: str, value) -> str:
        text = f"{name}={_show(value)} is not {self.describe(name)}"
        return text + self.suggest(value) + self.tail()


class Boolean(_Constraint):
    """``True`` or ``False`` (``bool`` or ``numpy.bool_``); the string "False" is refused.
    """

    show_value = True

    def type_ok(self, value) -> bool:
        return _is_bool(value)

    def describe(self, name: str) -> str:
        return "True or False"


class Instance(_Constraint):
    """An instance of any of ``types``; a bare type in a constraint list means the same.
    """

    def __init__(self, *types: type):
        self.types = self._args = types

    def type_ok(self, value) -> bool:
        return isinstance(value, self.types)

    def describe(self, name: str) -> str:
        return _join_or([("an " if t.__name__[0] in "AEIOU" else "a ") + t.__name__
                         for t in self.types])  # fmt: skip


class Callable_(_Constraint):
    """Any callable (named with a trailing underscore to leave ``typing.Callable`` alone).
    """

    def type_ok(self, value) -> bool:
        return callable(value)

    def describe(self, name: str) -> str:
        return "a callable"


class NoneOr(_Constraint):
    """``None`` or what ``constraint`` accepts: the same as ``[None, constraint]``.
    """

    def __init__(self, constraint: _Constraint):
        self.constraint, self._args = constraint, (constraint,)

    def accepts(self, value) -> bool:
        return any(a.accepts(value) for a in _alternatives(self))

    def describe(self, name: str) -> str:
        return _join_or([a.describe(name) for a in _alternatives(self)])


def _alternatives(spec) -> list[_Constraint]:
    out: list[_Constraint] = []
    for c in spec if isinstance(spec, (list, tuple)) else [spec]:
        if c is None or isinstance(c, NoneOr):
            out += [_NONE] if c is None else [_NONE, *_alternatives(c.constraint)]
        elif isinstance(c, (type, _Constraint)):
            out.append(Instance(c) if isinstance(c, type) else c)
        else:
            raise TypeError(f"not a parameter constraint: {c!r}")
    if not out:
        raise TypeError("a parameter needs at least one alternative")
    return [c for i, c in enumerate(out) if c is not _NONE or _NONE not in out[:i]]


def check_params(constraints: dict, values: dict, *, caller: str) -> None:
    """Check each value named in ``constraints`` against its alternatives.

    Parameters
    ----------
    constraints : dict
        Parameter name to a list of alternatives (constraints, ``None``, types).
    values : dict
        Parameter name to value; names absent here, or not in ``constraints``, are skipped.
    caller : str
        The public name of the function, the prefix of every message.

    Raises
    ------
    InvalidParameterError
        Naming the parameter, the value and what would be valid.

    Examples
    --------
    >>> check_params({"seed": [None, Integer(0)]}, {"seed": None}, caller="fit")
    >>> try:
    ...     check_params({"seed": [None, Integer(0)]}, {"seed": -1}, caller="fit")
    ... except InvalidParameterError as err:
    ...     print(err)
    fit: seed must be None or an integer with 0 <= seed, got -1
    """
    for name, spec in constraints.items():
        alts, value = _alternatives(spec), values.get(name)
        if name not in values or any(a.accepts(value) for a in alts):
            continue
        if len(alts) == 1:
            raise InvalidParameterError(f"{caller}: {alts[0].error(name, value)}")
        fits = [a for a in alts if a.type_ok(value)]
        got = type(value).__name__  # a type failure: show the type, and the value if short
        if fits or any(a.show_value for a in alts):
            got = _show(value) if fits else f"{_show(value)} ({got})"
        extra = "".join(dict.fromkeys(a.suggest(value) + a.tail() for a in fits))
        what = _join_or([a.describe(name) for a in alts])
        raise InvalidParameterError(f"{caller}: {name} must be {what}, got {got}{extra}")


def validate_params(constraints: dict, *, caller: str | None = None):
    """Decorate a function so that its declared parameters are checked before its body runs.

    Parameters
    ----------
    constraints : dict
        As for :func:`check_params`; exposed as ``__parameter_constraints__``. Parameters not
        named are not checked; names of keyword arguments caught by ``**kwargs`` may be named.
    caller : str, optional
        The prefix of every message; default: the function's ``__qualname__``.

    Examples
    --------
    >>> @validate_params({"dropna": [Boolean()]})
    ... def encode(levels, dropna=False):
    ...     "Encode."
    ...     return levels
    >>> encode("state", dropna=True), encode.__doc__, list(encode.__parameter_constraints__)
    ('state', 'Encode.', ['dropna'])
    >>> encode("state", dropna="yes")
    Traceback (most recent call last):
    ...
    pandas_hier.errors.InvalidParameterError: encode: dropna must be True or False, got 'yes' (str)
    """

    def decorate(func):
        sig = inspect.signature(func)
        kw = next((p.name for p in sig.parameters.values() if p.kind is p.VAR_KEYWORD), None)
        if kw is None and (unknown := [n for n in constraints if n not in sig.parameters]):
            raise TypeError(f"validate_params: {func.__qualname__} has no parameter {unknown}")
        for spec in constraints.values():
            _alternatives(spec)  # an unknown kind of constraint fails at import, not at call
        who = caller or func.__qualname__

        @functools.wraps(func)
        def wrapper(*args, **kwargs):
            try:
                bound = sig.bind(*args, **kwargs)
            except TypeError:
                return func(*args, **kwargs)  # Python's own message for a bad call
            bound.apply_defaults()
            values = dict(bound.arguments)
            values.update(values.pop(kw, {}) if kw else {})
            check_params(constraints, values, caller=who)
            return func(*args, **kwargs)

        wrapper.__signature__ = sig
        wrapper.__parameter_constraints__ = dict(constraints)
        return wrapper

    return decorate


