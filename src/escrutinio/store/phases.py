"""Where a write's time goes, phase by phase, when ``ESCRUTINIO_WRITE_PHASES`` names a file.

Why: a group commit's one thread is what every clerk's request waits for; to make it faster
one must know which of its phases (the lock, the hash chain, the projection, the tally, the
statements, the commit) costs what, for groups of each size. With the variable set, each
write notes its phases (``perf_counter``) and the process rewrites, at most once a second, a
table of the means by group size into that file (a server stopped by a signal runs no exit
handler, so the table is kept up to date as it goes): ``benchmarks/intake.py --phases`` sets
it for the server it starts and prints the table. Unset, the marks cost nothing measurable.

On a server the committer has two lanes (``store.group_commit``): a group's ``lock`` then
includes its wait for the other lane's group to commit (its lock request is sent while that
group writes), so the phases of the two lanes overlap and add up to more than the wall clock.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from collections import defaultdict
from pathlib import Path

TARGET = os.environ.get("ESCRUTINIO_WRITE_PHASES")
ENABLED = bool(TARGET)
EVERY = 1.0
"""Seconds between rewrites of the table."""
BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)
"""Group sizes (appends in one transaction) the table groups by: up to each of these."""


class Phases:
    """The phases of one write, in the order they happened (a phase may recur: it adds up)."""

    def __init__(self) -> None:
        self.start = self.last = time.perf_counter()
        self.spent: dict[str, float] = {}

    def mark(self, name: str) -> None:
        """The time since the previous mark was spent in phase ``name``."""
        now = time.perf_counter()
        self.spent[name] = self.spent.get(name, 0.0) + now - self.last
        self.last = now

    def done(self, size: int) -> None:
        """The write (of ``size`` appends) is over: add it to the process's table."""
        _record(size, self.spent, self.last - self.start)


class _Off:
    """What :func:`start` returns when timing is off: marks that do nothing."""

    def mark(self, name: str) -> None:
        pass

    def done(self, size: int) -> None:
        pass


OFF = _Off()
_TOTALS: dict[int, dict[str, float]] = defaultdict(lambda: defaultdict(float))
_COUNTS: dict[int, int] = defaultdict(int)
_APPENDS: dict[int, int] = defaultdict(int)
_LOCK = threading.Lock()
_WRITTEN = [0.0]


def start() -> Phases | _Off:
    """A new write's phases (nothing is timed unless ``ESCRUTINIO_WRITE_PHASES`` is set)."""
    return Phases() if ENABLED else OFF


def _record(size: int, spent: dict[str, float], total: float) -> None:
    bucket = next((b for b in BUCKETS if size <= b), BUCKETS[-1])
    with _LOCK:
        _COUNTS[bucket] += 1
        _APPENDS[bucket] += size
        for name, seconds in spent.items():
            _TOTALS[bucket][name] += seconds
        _TOTALS[bucket]["total"] += total
        due = time.monotonic() - _WRITTEN[0] >= EVERY
        if due:
            _WRITTEN[0] = time.monotonic()
    if due:
        _save()


def table() -> str:
    """The mean milliseconds of each phase per write, by group size (one line a size)."""
    with _LOCK:
        names = [*dict.fromkeys(n for b in sorted(_TOTALS) for n in _TOTALS[b] if n != "total"), "total"]
        lines = [
            "write phases, mean ms a write, by appends per write:",
            f"{'appends':>9} {'writes':>7} " + " ".join(f"{n:>11}" for n in names),
        ]
        for b in sorted(_TOTALS):
            n = _COUNTS[b]
            cells = " ".join(f"{_TOTALS[b].get(name, 0.0) / n * 1000:11.2f}" for name in names)
            lines.append(f"{'<=' + str(b):>9} {n:7d} {cells}   ({_APPENDS[b] / n:.1f} appends a write)")
    return "\n".join(lines)


def _save() -> None:
    if TARGET and _COUNTS:
        Path(TARGET).write_text(table() + "\n")


if ENABLED:
    atexit.register(_save)
