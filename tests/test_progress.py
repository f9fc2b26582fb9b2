"""Tests of pandas_hier.progress: quiet in a pipe, under CI and with progressbar=False; says
what a long step does on a (pseudo-)terminal after the delay."""

from __future__ import annotations

import io
import os
import subprocess
import sys
import textwrap
import threading
import time

import pytest

from pandas_hier import progress


class Terminal(io.StringIO):
    """A stream that says it is a terminal."""

    def isatty(self) -> bool:
        return True


@pytest.fixture
def no_ci(monkeypatch):
    monkeypatch.delenv("CI", raising=False)


def test_a_long_step_says_what_it_does_and_how_long_it_took(no_ci):
    out = Terminal()
    with progress.step("encoding 10 rows", delay=0.02, stream=out):
        time.sleep(0.2)
    text = out.getvalue()
    assert text.startswith("pandas-hier: encoding 10 rows... done (")
    assert text.endswith(" s)\n") and text.count("\n") == 1


def test_a_short_step_prints_nothing(no_ci):
    out = Terminal()
    with progress.step("quick", delay=5.0, stream=out):
        pass
    time.sleep(0.05)  # a cancelled timer must not fire late
    assert out.getvalue() == ""


def test_the_default_delay_is_a_few_seconds(no_ci, monkeypatch):
    monkeypatch.setattr(progress, "DELAY", 0.01)
    out = Terminal()
    with progress.step("compiling", stream=out):
        time.sleep(0.15)
    assert "compiling..." in out.getvalue()
    monkeypatch.undo()
    assert 1.0 <= progress.DELAY <= 5.0  # "more than a few seconds"


@pytest.mark.parametrize(
    "case", ["pipe", "ci", "progressbar=False", "controlled_by(False)"]
)
def test_quiet_where_it_should_be(case, monkeypatch):
    monkeypatch.delenv("CI", raising=False)
    out = Terminal()
    kwargs: dict = {}
    if case == "pipe":
        out = io.StringIO()
    elif case == "ci":
        monkeypatch.setenv("CI", "true")
    elif case == "progressbar=False":
        kwargs = {"progressbar": False}

    def work(progressbar=True):
        with progress.step("working", delay=0.0, stream=out, **kwargs):
            time.sleep(0.1)
        with progress.bar(3, stream=out, **kwargs) as b:
            b.update(3)

    if case == "controlled_by(False)":
        progress.controlled_by("progressbar")(work)(progressbar=False)
    else:
        work()
    assert out.getvalue() == ""


@pytest.mark.parametrize("value, on", [("", False), ("0", False), ("false", False),
                                       ("true", True), ("1", True)])  # fmt: skip
def test_ci_variable(monkeypatch, value, on):
    monkeypatch.setenv("CI", value)
    assert progress.in_ci() is on


def test_controlled_by_sets_the_setting_for_the_call_only(no_ci):
    seen = []

    @progress.controlled_by("progressbar")
    def work(x, *, progressbar: bool = True):
        seen.append(progress.enabled(stream=Terminal()))
        return x

    assert work(1, progressbar=False) == 1
    assert work(2) == 2
    assert seen == [False, True]
    assert progress.enabled(stream=Terminal())  # restored afterwards
    assert work.__wrapped__.__name__ == "work"


def test_the_setting_is_per_thread(no_ci):
    seen = {}

    @progress.controlled_by()
    def work(progressbar=True):
        started.wait(1)
        seen[threading.current_thread().name] = progress.enabled(stream=Terminal())

    started = threading.Event()
    threads = [threading.Thread(target=work, name=n, kwargs={"progressbar": n == "on"})
               for n in ("on", "off")]  # fmt: skip
    for t in threads:
        t.start()
    started.set()
    for t in threads:
        t.join()
    assert seen == {"on": True, "off": False}


def test_nested_steps_close_their_lines(no_ci):
    out = Terminal()
    with progress.step("outer", delay=0.0, stream=out):
        time.sleep(0.1)
        with progress.step("inner", delay=0.0, stream=out):
            time.sleep(0.1)
    lines = out.getvalue().splitlines()
    assert lines[0] == "pandas-hier: outer..."
    assert lines[1].startswith("pandas-hier: inner... done (")
    assert lines[2].startswith("pandas-hier: outer: done (")


def test_bar_counts_and_draws_on_a_terminal(no_ci):
    out = Terminal()
    with progress.bar(10, "sampling", stream=out) as b:
        assert b.shown
        threads = [threading.Thread(target=lambda: [b.update(1) for _ in range(5)]) for _ in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert b.done == 10 and not b.shown
    text = out.getvalue()
    assert text.endswith("\n")
    last = text.rstrip("\n").split("\r\x1b[K")[-1]
    assert last.startswith("pandas-hier: sampling [" + "#" * 24 + "] 10/10 (100%) 0:00 elapsed")


def test_bar_render_shows_time_left():
    b = progress.Bar(100, "sampling", shown=False, stream=io.StringIO())
    b.update(40)
    text = b.render(now=b._started + 2.0)
    assert "40/100 (40%) 0:02 elapsed, 0:03 left" in text
    assert text.count("#") == round(0.4 * 24)


def test_interactive_survives_a_closed_stream():
    stream = io.StringIO()
    stream.close()
    assert progress.interactive(stream) is False


_SCRIPT = textwrap.dedent(
    """
    import time
    from pandas_hier import progress
    with progress.step("compiling the model", delay=0.05):
        time.sleep(0.4)
    """
)


def _run(env_ci: str | None, tty: bool) -> str:
    env = {k: v for k, v in os.environ.items() if k != "CI"}
    if env_ci is not None:
        env["CI"] = env_ci
    if not tty:
        done = subprocess.run([sys.executable, "-c", _SCRIPT], env=env, capture_output=True,
                              text=True, timeout=60)  # fmt: skip
        assert done.returncode == 0, done.stderr
        return done.stderr
    import pty

    main, child = pty.openpty()
    try:
        proc = subprocess.Popen([sys.executable, "-c", _SCRIPT], env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=child)  # fmt: skip
        os.close(child)
        chunks = []
        while True:
            try:
                data = os.read(main, 1024)
            except OSError:  # the child closed the terminal
                break
            if not data:
                break
            chunks.append(data)
        assert proc.wait(timeout=60) == 0
    finally:
        os.close(main)
    return b"".join(chunks).decode()


@pytest.mark.skipif(sys.platform == "win32", reason="pseudo-terminals are POSIX")
def test_a_pseudo_terminal_shows_the_step_and_a_pipe_or_ci_does_not():
    shown = _run(None, tty=True)
    assert "pandas-hier: compiling the model... done (" in shown
    assert _run(None, tty=False) == ""
    assert _run("true", tty=True) == ""


def test_quiet_logs_drops_this_threads_info_only():
    import logging

    log = logging.getLogger("pandas_hier_test_quiet")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    try:
        with progress.quiet_logs("pandas_hier_test_quiet"):
            log.info("dropped")
            log.getChild("child").info("dropped too")  # records of child loggers reach the handler
            other = threading.Thread(target=lambda: log.info("another thread"))
            other.start()
            other.join()
            log.warning("kept")
        with progress.quiet_logs("pandas_hier_test_quiet", quiet=False):
            log.info("shown")
        log.info("after")
    finally:
        log.removeHandler(handler)
    assert out.getvalue().splitlines() == ["another thread", "kept", "shown", "after"]


def test_end_line_only_on_a_terminal():
    out = Terminal()
    progress.end_line(out)
    assert out.getvalue() == "\n"


@pytest.mark.parametrize("terminal", [True, False])
def test_the_samplers_bar_shows_on_a_terminal_only(df, monkeypatch, terminal):
    """fit(progressbar=True) hands the sampler its bar on a terminal and not in a pipe (where
    PyMC would print its final table to stdout)."""
    pm = pytest.importorskip("pymc")
    from conftest import mock_sampling

    monkeypatch.delenv("CI", raising=False)
    monkeypatch.setattr(sys, "stderr", Terminal() if terminal else io.StringIO())
    seen = {}

    def recording(*args, **kwargs):
        seen["progressbar"] = kwargs["progressbar"]
        return mock_sampling()(*args, **kwargs)

    monkeypatch.setattr(pm, "sample", recording)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        df.hier.fit("month", "salary", levels=["degree", "state", "county"], draws=20, chains=1,
                    sampler="pymc", progressbar=True)  # fmt: skip
    assert seen["progressbar"] is terminal
