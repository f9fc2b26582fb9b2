"""Progress reporting: what a long step is doing, on an interactive terminal only.

Three pieces, all quiet unless progress is *enabled* (:func:`enabled`): the caller asked for it
(``progressbar=True``, the default of :func:`pandas_hier.fit`), ``CI`` is not set, and the
output stream is interactive (a terminal, or a Jupyter or marimo notebook). So a piped or
logged run, a CI job and ``progressbar=False`` print nothing.

* :func:`step` says, once a step has taken longer than :data:`DELAY` seconds, what it is doing
  (``pandas-hier: compiling the model (first run only)...``) and, at its end, how long it took.
  Short steps print nothing.
* :func:`controlled_by` makes a function's ``progressbar`` argument govern every step run
  inside it, :func:`using` a block (a context variable: per thread, no argument threading
  through the layers).
* :func:`bar` is a per-draw progress bar (terminal only) for samplers without one of their
  own: a context manager with ``update(n)``, thread-safe, redrawn at most ten times a second.

Samplers with their own bars (nutpie, PyMC) get ``progressbar=enabled(progressbar)``
(:mod:`pandas_hier.backend.sample`), so that they too stay quiet in a pipe or under CI.
This module imports only the standard library.

Examples
--------
>>> import io
>>> from pandas_hier import progress
>>> progress.enabled(True, stream=io.StringIO())  # not a terminal
False
"""

from __future__ import annotations

import contextvars
import functools
import inspect
import logging
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import IO, Any

__all__ = ["DELAY", "Bar", "bar", "controlled_by", "enabled", "end_line", "in_ci", "interactive",
           "quiet_logs", "step", "using"]  # fmt: skip

#: Seconds a step runs before it says what it is doing.
DELAY = 2.0
PREFIX = "pandas-hier: "

#: The ``progressbar`` setting of the innermost :func:`controlled_by` call (per thread/task).
_SETTING: contextvars.ContextVar[bool] = contextvars.ContextVar("pandas_hier_progress", default=True)
_LOCK = threading.Lock()
#: The step whose line is open (written without its newline) on the stream, if any.
_OPEN: list = [None]


def in_ci() -> bool:
    """Whether the ``CI`` environment variable is set (to anything but ``""``, ``0``, ``false``
    or ``no``), as CI services do.

    Examples
    --------
    >>> from pandas_hier.progress import in_ci
    >>> in_ci() in (True, False)
    True
    """
    return os.environ.get("CI", "").strip().lower() not in ("", "0", "false", "no")


def _in_notebook() -> bool:
    ipython = sys.modules.get("IPython")
    if ipython is not None:
        shell = getattr(ipython, "get_ipython", lambda: None)()
        if type(shell).__name__ == "ZMQInteractiveShell":
            return True
    marimo = sys.modules.get("marimo")
    return bool(marimo is not None and getattr(marimo, "running_in_notebook", lambda: False)())


def interactive(stream: IO | None = None) -> bool:
    """Whether ``stream`` (default ``sys.stderr``) is a terminal, or output goes to a notebook.

    Examples
    --------
    >>> import io
    >>> from pandas_hier.progress import interactive
    >>> interactive(io.StringIO())
    False
    """
    return _isatty(stream) or _in_notebook()


def _isatty(stream: IO | None) -> bool:
    try:
        return bool((sys.stderr if stream is None else stream).isatty())
    except (AttributeError, ValueError, OSError):  # no isatty, or a closed stream
        return False


def enabled(progressbar: bool | None = None, stream: IO | None = None) -> bool:
    """Whether progress output shows: ``progressbar`` (default: the setting of the enclosing
    :func:`controlled_by` call, else True), ``CI`` not set, and an interactive ``stream``
    (default ``sys.stderr``).

    Examples
    --------
    >>> import io
    >>> from pandas_hier.progress import enabled
    >>> enabled(False), enabled(True, stream=io.StringIO())  # off; on, but not a terminal
    (False, False)
    """
    wanted = _SETTING.get() if progressbar is None else bool(progressbar)
    return wanted and not in_ci() and interactive(stream)


@contextmanager
def using(progressbar: bool) -> Iterator[None]:
    """Within the block (in this thread), steps and bars follow ``progressbar``.

    Examples
    --------
    >>> from pandas_hier.progress import enabled, using
    >>> with using(False):
    ...     enabled()
    False
    """
    token = _SETTING.set(bool(progressbar))
    try:
        yield
    finally:
        _SETTING.reset(token)


def controlled_by(argument: str = "progressbar") -> Callable:
    """Decorator: the function's ``argument`` (a bool) governs every :func:`step` and
    :func:`bar` run inside the call (per thread; restored afterwards).

    Examples
    --------
    >>> from pandas_hier.progress import controlled_by, enabled
    >>> @controlled_by("progressbar")
    ... def work(progressbar=True):
    ...     return enabled()
    >>> work(progressbar=False)
    False
    """

    def decorate(func: Callable) -> Callable:
        signature = inspect.signature(func)

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            try:
                bound = signature.bind_partial(*args, **kwargs)
                value = bound.arguments.get(argument, signature.parameters[argument].default)
            except (TypeError, KeyError):  # let the call itself report a bad signature
                return func(*args, **kwargs)
            with using(value):
                return func(*args, **kwargs)

        return wrapper

    return decorate


def _write(stream: IO, text: str) -> None:
    try:
        stream.write(text)
        stream.flush()
    except (OSError, ValueError):  # a closed or broken stream must not break the work
        pass


def _seconds(s: float) -> str:
    return f"{s:.1f} s" if s < 60 else f"{int(s // 60)} min {s % 60:02.0f} s"


@contextmanager
def step(
    message: str, *, progressbar: bool | None = None, delay: float | None = None,
    stream: IO | None = None,
) -> Iterator[None]:  # fmt: skip
    """Say ``message`` on ``stream`` (default ``sys.stderr``) if the block runs longer than
    ``delay`` seconds (default :data:`DELAY`), and how long it took at its end; silent unless
    :func:`enabled`.

    Parameters
    ----------
    message : str
        What the step does, e.g. ``"encoding 10,000,000 rows"``.
    progressbar : bool, optional
        Default: the setting of the enclosing :func:`controlled_by` call.
    delay : float, optional
    stream : file-like, optional

    Examples
    --------
    On a terminal, a step of more than ``delay`` seconds prints
    ``pandas-hier: encoding 10,000,000 rows... done (3.2 s)``; in a pipe, nothing:

    >>> import io
    >>> from pandas_hier.progress import step
    >>> out = io.StringIO()
    >>> with step("encoding 10,000,000 rows", delay=0.0, stream=out):
    ...     pass
    >>> out.getvalue()
    ''
    """
    stream = sys.stderr if stream is None else stream
    if not enabled(progressbar, stream):
        yield
        return
    started = time.perf_counter()
    state = {"shown": False}

    def show() -> None:
        with _LOCK:
            if state.get("closed"):
                return
            if _OPEN[0] is not None:
                _write(stream, "\n")
            _write(stream, f"{PREFIX}{message}...")
            _OPEN[0] = state
            state["shown"] = True

    timer = threading.Timer(DELAY if delay is None else delay, show)
    timer.daemon = True
    timer.start()
    try:
        yield
    finally:
        timer.cancel()
        with _LOCK:
            state["closed"] = True
            if state["shown"]:
                took = _seconds(time.perf_counter() - started)
                if _OPEN[0] is state:
                    _write(stream, f" done ({took})\n")
                else:
                    if _OPEN[0] is not None:
                        _write(stream, "\n")
                    _write(stream, f"{PREFIX}{message}: done ({took})\n")
                _OPEN[0] = None


def end_line(stream: IO | None = None) -> None:
    """End the line a terminal bar drawn by another library left the cursor on (nutpie's does),
    so that what follows starts on a line of its own; nothing unless ``stream`` (default
    ``sys.stderr``) is a terminal.

    Examples
    --------
    >>> import io
    >>> from pandas_hier.progress import end_line
    >>> end_line(io.StringIO())  # not a terminal: nothing
    """
    if _isatty(stream):
        with _LOCK:
            _write(sys.stderr if stream is None else stream, "\n")


class _ThisThreadBelowWarning(logging.Filter):
    def __init__(self) -> None:
        super().__init__()
        self.thread = threading.get_ident()

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or record.thread != self.thread


@contextmanager
def quiet_logs(name: str, quiet: bool = True) -> Iterator[None]:
    """Within the block, drop the INFO (and lower) records that this thread logs through the
    handlers of logger ``name`` (e.g. PyMC's "Sampling 4 chains..." lines), when ``quiet``.
    Other threads' records and warnings pass.

    Examples
    --------
    >>> import logging
    >>> from pandas_hier.progress import quiet_logs
    >>> with quiet_logs("pymc"):  # dropped, if the "pymc" logger has handlers
    ...     logging.getLogger("pymc.sampling").info("Sampling 4 chains")
    """
    handlers = list(logging.getLogger(name).handlers) if quiet else []
    drop = _ThisThreadBelowWarning()
    for handler in handlers:
        handler.addFilter(drop)
    try:
        yield
    finally:
        for handler in handlers:
            handler.removeFilter(drop)


class Bar:
    """A per-draw progress bar (use :func:`bar`): ``update(n)`` adds ``n`` done items; drawn on
    one line, redrawn at most every ``interval`` seconds, finished with a newline on exit.
    Thread-safe: chains running in threads may share one bar. Silent when not shown.

    Attributes
    ----------
    done : int
        Items done so far.
    total : int
    shown : bool
        Whether the bar is drawn.
    """

    def __init__(self, total: int, message: str, *, shown: bool, stream: IO,
                 interval: float = 0.1, width: int = 24) -> None:  # fmt: skip
        self.total, self.message, self.shown = max(int(total), 0), message, shown
        self.done = 0
        self._stream, self._interval, self._width = stream, interval, width
        self._lock = threading.Lock()
        self._started = time.perf_counter()
        self._drawn = -float("inf")

    def update(self, n: int = 1) -> None:
        """Count ``n`` more items done (and redraw, at most every ``interval`` seconds)."""
        with self._lock:
            self.done = min(self.done + int(n), self.total) if self.total else self.done + int(n)
            now = time.perf_counter()
            if self.shown and now - self._drawn >= self._interval:
                self._drawn = now
                self._draw(now)

    def render(self, now: float | None = None) -> str:
        """The bar's text, e.g. ``sampling  [#####......]  40/100 (40%) 0:02 elapsed, 0:03 left``."""
        now = time.perf_counter() if now is None else now
        elapsed = now - self._started
        frac = self.done / self.total if self.total else 0.0
        filled = int(round(frac * self._width))
        left = elapsed / frac - elapsed if 0 < frac else float("nan")
        eta = "" if left != left else f", {_clock(left)} left"
        return (
            f"{PREFIX}{self.message} [{'#' * filled}{'.' * (self._width - filled)}] "
            f"{self.done}/{self.total} ({frac:.0%}) {_clock(elapsed)} elapsed{eta}"
        )

    def _draw(self, now: float) -> None:
        with _LOCK:
            _write(self._stream, "\r\x1b[K" + self.render(now))

    def close(self) -> None:
        """Draw the final state and end the line."""
        with self._lock:
            if self.shown:
                self._draw(time.perf_counter())
                _write(self._stream, "\n")
                self.shown = False

    def __enter__(self) -> Bar:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _clock(seconds: float) -> str:
    h, m, s = int(seconds) // 3600, int(seconds) // 60 % 60, int(seconds) % 60
    return f"{h}:{m:02d}:{s:02d}" if h else f"{m}:{s:02d}"


def bar(total: int, message: str = "sampling", *, progressbar: bool | None = None,
        stream: IO | None = None) -> Bar:  # fmt: skip
    """A per-draw progress bar for a sampler without one of its own; shown only on a terminal
    where :func:`enabled` (``CI`` unset, ``progressbar`` not False).

    Parameters
    ----------
    total : int
        Items to do, e.g. ``chains * (tune + draws)``.
    message : str, default "sampling"
    progressbar : bool, optional
        Default: the setting of the enclosing :func:`controlled_by` call.
    stream : file-like, optional
        Default ``sys.stderr``.

    Returns
    -------
    Bar
        A context manager; ``update(n)`` as items finish.

    Examples
    --------
    >>> import io
    >>> from pandas_hier.progress import bar
    >>> with bar(4, "sampling", stream=io.StringIO()) as b:  # not a terminal: counts, no output
    ...     for _ in range(4):
    ...         b.update(1)
    >>> b.done, b.shown
    (4, False)
    """
    stream = sys.stderr if stream is None else stream
    return Bar(total, message, shown=enabled(progressbar, stream) and _isatty(stream), stream=stream)
