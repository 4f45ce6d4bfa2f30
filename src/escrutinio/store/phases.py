"""Where a write's time goes, phase by phase, when ``ESCRUTINIO_WRITE_PHASES`` names a file.

Why: a group commit's one thread is what every clerk's request waits for; to make it faster
one must know which of its phases (the lock, the hash chain, the projection, the tally, the
statements, the commit) costs what, for groups of each size. With the variable set, each
write notes its phases (``perf_counter``) and the process rewrites, at most once a second, a
table of the means by group size into that file (a server stopped by a signal runs no exit
handler, so the table is kept up to date as it goes): ``benchmarks/intake.py --phases`` sets
it for the server it starts and prints the table. Unset, the marks cost nothing measurable.

The ``trips`` column counts a write's round trips to a PostgreSQL server (:func:`watching`): under
load each one is also a wait for the server's process to be scheduled and for the writing
thread to get the GIL back, so a change meant to save round trips shows here whether it did.

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
from collections.abc import Generator, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

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
        self.trips = 0
        """Round trips to the server so far (:func:`watching`)."""

    def mark(self, name: str) -> None:
        """The time since the previous mark was spent in phase ``name``."""
        now = time.perf_counter()
        self.spent[name] = self.spent.get(name, 0.0) + now - self.last
        self.last = now

    def done(self, size: int) -> None:
        """The write (of ``size`` appends) is over: add it to the process's table."""
        _CURRENT.phases = None
        _record(size, self.spent, self.last - self.start, self.trips)


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
_TRIPS: dict[int, int] = defaultdict(int)
_LOCK = threading.Lock()
_WRITTEN = [0.0]
_CURRENT = threading.local()
"""The write the current thread is timing (what :func:`watching`'s round trips count into)."""


def start() -> Phases | _Off:
    """A new write's phases (nothing is timed unless ``ESCRUTINIO_WRITE_PHASES`` is set)."""
    if not ENABLED:
        return OFF
    _CURRENT.phases = Phases()
    return _CURRENT.phases


@contextmanager
def watching(conn: Any) -> Iterator[None]:
    """Inside, count the round trips of a server connection (SQLAlchemy's, on psycopg) into
    the write its thread is timing; timing off, or SQLite: nothing.

    A round trip is a call of the driver connection's ``wait`` (psycopg runs every exchange
    with the server through it) in which the server's answer had to be read: statements
    queued in a pipeline are sent without one, and the pipeline's end is one. The count is
    taken on the connection's own ``wait`` for the block only (a pooled connection goes on
    to serve reads, uncounted and unslowed)."""
    if not ENABLED or conn.dialect.name != "postgresql":
        yield
        return
    from psycopg.waiting import Ready

    driver = conn.connection.driver_connection
    plain = driver.wait

    def counted(gen: Generator[Any, Any, Any]) -> Generator[Any, Any, Any]:
        read = False
        try:
            asked = next(gen)
            while True:
                ready = yield asked
                read = read or (ready is not None and bool(int(ready) & int(Ready.R)))
                asked = gen.send(ready)
        except StopIteration as stop:
            return stop.value
        finally:
            timing = getattr(_CURRENT, "phases", None)
            if read and timing is not None:
                timing.trips += 1

    driver.wait = lambda gen, *args, **kwargs: plain(counted(gen), *args, **kwargs)
    try:
        yield
    finally:
        del driver.wait  # the class's own again


def _record(size: int, spent: dict[str, float], total: float, trips: int) -> None:
    bucket = next((b for b in BUCKETS if size <= b), BUCKETS[-1])
    with _LOCK:
        _COUNTS[bucket] += 1
        _APPENDS[bucket] += size
        _TRIPS[bucket] += trips
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
            f"{'appends':>9} {'writes':>7} {'trips':>6} " + " ".join(f"{n:>11}" for n in names),
        ]
        for b in sorted(_TOTALS):
            n = _COUNTS[b]
            cells = " ".join(f"{_TOTALS[b].get(name, 0.0) / n * 1000:11.2f}" for name in names)
            lines.append(f"{'<=' + str(b):>9} {n:7d} {_TRIPS[b] / n:6.2f} {cells}   ({_APPENDS[b] / n:.1f} appends a write)")
    return "\n".join(lines)


def _save() -> None:
    if TARGET and _COUNTS:
        Path(TARGET).write_text(table() + "\n")


if ENABLED:
    atexit.register(_save)
