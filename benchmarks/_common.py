"""Helpers shared by the benchmark scripts: machine description, RSS sampling, table writing."""

from __future__ import annotations

import os
import platform
import re
import threading
import time
from importlib import metadata
from pathlib import Path

DOCS = Path(__file__).resolve().parent.parent / "docs" / "benchmarks.md"


def machine() -> str:
    """One line naming the CPU, core count, memory and the library versions."""
    cpu = platform.processor() or platform.machine()
    try:
        with open("/proc/cpuinfo") as fh:
            names = [ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")]
        cpu = names[0] if names else cpu
    except OSError:
        pass
    mem = ""
    try:
        with open("/proc/meminfo") as fh:
            kib = int(fh.readline().split()[1])
        mem = f", {kib / 2**20:.0f} GiB RAM"
    except (OSError, ValueError, IndexError):
        pass
    vers = []
    for pkg in ("pandas", "numpy", "pyarrow", "pandera", "pymc", "pytensor", "nutpie"):
        try:
            vers.append(f"{pkg} {metadata.version(pkg)}")
        except metadata.PackageNotFoundError:
            pass
    return (
        f"{cpu}, {os.cpu_count()} cores{mem}; Python {platform.python_version()}; "
        + ", ".join(vers)
    )


def _rss() -> int:
    with open("/proc/self/statm") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


class PeakRSS:
    """Context manager sampling this process's resident memory every ``interval`` seconds.

    ``peak`` is the highest RSS seen minus the RSS on entry: the extra memory a call needed,
    whatever allocator it used (numpy, Arrow, Python objects).
    """

    def __init__(self, interval: float = 0.002) -> None:
        self.interval = interval
        self.peak = 0

    def __enter__(self) -> PeakRSS:
        self._base = _rss()
        self._high = self._base
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def _watch(self) -> None:
        while not self._stop.is_set():
            self._high = max(self._high, _rss())
            time.sleep(self.interval)

    def __exit__(self, *exc) -> None:
        self._high = max(self._high, _rss())
        self._stop.set()
        self._thread.join()
        self.peak = self._high - self._base


def write_section(title: str, body: str) -> None:
    """Replace (or append) the section ``## title`` of docs/benchmarks.md with ``body``."""
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n\nRun the scripts in `benchmarks/`.\n"
    section = f"## {title}\n\n{body.rstrip()}\n"
    pattern = re.compile(rf"^## {re.escape(title)}\n.*?(?=^## |\Z)", re.S | re.M)
    text = pattern.sub(lambda _: section + "\n", text) if pattern.search(text) else text.rstrip() + "\n\n" + section
    DOCS.write_text(text.rstrip() + "\n")
