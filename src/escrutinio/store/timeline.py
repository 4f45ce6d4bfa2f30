"""Where a sheet entry's time goes, from its arrival at the server to its answer, when
``ESCRUTINIO_REQUEST_TIMELINE`` names a file.

Why: a clerk's entry waits on the event loop, on a session thread, in the committer's queue,
for its group's lock and write, and again on the way back; ``store.phases`` times only the
write, one group at a time. To know what makes the mean request take what it takes, each entry
carries a :class:`Timeline` of moments (``perf_counter``) marked as it passes each hand-over:

- ``parsed``: the event loop has read, parsed and authenticated it (``api.hot_writes``);
- ``thread``: a session thread began its call (``api.threads``);
- ``queued``: its session was opened and its append handed to the committer (``store.group_commit``);
- ``taken``: a lane took it into a group; ``started``: that lane began the group's write;
- ``granted``: the group was granted the write lock (its reads back); ``written``: committed;
- ``settled``: its future was set; ``woken``: its session thread saw it;
- ``returned``: its answer was built on that thread; ``resumed``: the event loop took it up;
- ``answered``: the answer was handed to the server to send.

Each step's time is the time since the mark before. The process rewrites, at most once a
second, a table of the mean (and 99th percentile) of each step into that file, by group size
(a server stopped by a signal runs no exit handler). ``benchmarks/intake.py --timeline`` sets it
for the server it starts and prints the table. Unset (read once, at import), nothing is made:
:func:`begin` returns None and every mark is behind an ``is None`` test.
"""

from __future__ import annotations

import atexit
import itertools
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")

TARGET = os.environ.get("ESCRUTINIO_REQUEST_TIMELINE")
ENABLED = bool(TARGET)
EVERY = 1.0
"""Seconds between rewrites of the table."""
STEPS = (
    "parsed",
    "thread",
    "queued",
    "taken",
    "started",
    "granted",
    "written",
    "settled",
    "woken",
    "returned",
    "resumed",
    "answered",
)
"""The marks, in the order a request passes them (see the module docstring)."""
BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class Timeline:
    """The moments one request passed so far (see the module docstring)."""

    __slots__ = ("arrived", "group", "marks")

    def __init__(self) -> None:
        self.arrived = time.perf_counter()
        self.marks: dict[str, float] = {}
        self.group = 0
        """Appends in the group that wrote it (0: none did)."""

    def mark(self, name: str, at: float | None = None) -> None:
        self.marks[name] = time.perf_counter() if at is None else at

    def done(self) -> None:
        """The request is answered: add its steps to the process's table."""
        self.mark("answered")
        _record(self)


_LOCK = threading.Lock()
_STEPS: dict[int, dict[str, list[float]]] = {}
_GROUPS: list[tuple[float, float | None, float | None, float, int]] = []
"""Each group written: (started, asked, granted, written, appends)."""
_WRITTEN = [0.0]
_HERE = threading.local()


def begin() -> Timeline | None:
    """A new request's timeline (None when timing is off)."""
    return Timeline() if ENABLED else None


def hand(timeline: Timeline | None) -> None:
    """Give ``timeline`` to the next :func:`take` on this thread (the event loop's hand-over
    of a call to a session thread: ``api.threads``)."""
    _HERE.timeline = timeline


def take() -> Timeline | None:
    """The timeline :func:`hand` gave on this thread, if any (taken: a second call gets None)."""
    found: Timeline | None = getattr(_HERE, "timeline", None)
    _HERE.timeline = None
    return found


def current() -> Timeline | None:
    """The timeline of the call this thread runs (:func:`running`), if any."""
    return getattr(_HERE, "running", None)


def running(timeline: Timeline, call: Callable[[], T]) -> T:
    """``call()`` on a session thread, as the request of ``timeline``: marked when it begins
    and when it returns, and :func:`current` meanwhile."""
    timeline.mark("thread")
    _HERE.running = timeline
    try:
        return call()
    finally:
        _HERE.running = None
        timeline.mark("returned")


def asking() -> None:
    """This thread (a committer's lane) asks for the write lock now (timing on: noted for :func:`asked`)."""
    if ENABLED:
        _HERE.asking = time.perf_counter()


def asked() -> float | None:
    """When this thread last asked for the write lock (:func:`asking`), once: None after."""
    found: float | None = getattr(_HERE, "asking", None)
    _HERE.asking = None
    return found


def _record(timeline: Timeline) -> None:
    bucket = next((b for b in BUCKETS if timeline.group <= b), BUCKETS[-1])
    last = timeline.arrived
    steps: dict[str, float] = {}
    for name in STEPS:
        at = timeline.marks.get(name)
        if at is not None:
            steps[name] = at - last
            last = at
    steps["total"] = last - timeline.arrived
    with _LOCK:
        held = _STEPS.setdefault(bucket, {})
        for name, seconds in steps.items():
            held.setdefault(name, []).append(seconds)
        due = time.monotonic() - _WRITTEN[0] >= EVERY
        if due:
            _WRITTEN[0] = time.monotonic()
    if due:
        _save()


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def table() -> str:
    """Mean ms of each step a request, by the size of the group that wrote it; p99 below."""
    with _LOCK:
        found = {b: {n: list(v) for n, v in steps.items()} for b, steps in _STEPS.items()}
    names = [n for n in (*STEPS, "total") if any(n in steps for steps in found.values())]
    lines = [
        "request timeline, mean ms a request (step: the time since the mark before), by appends in its group:",
        f"{'group':>7} {'requests':>8} " + " ".join(f"{n:>8}" for n in names),
    ]
    for b in sorted(found):
        steps = found[b]
        count = len(steps["total"])
        cells = " ".join(f"{sum(steps[n]) / len(steps[n]) * 1000:8.2f}" if n in steps else f"{'':>8}" for n in names)
        lines.append(f"{'<=' + str(b):>7} {count:8d} {cells}")
        cells = " ".join(f"{_p99(steps[n]) * 1000:8.2f}" if n in steps else f"{'':>8}" for n in names)
        lines.append(f"{'p99':>7} {'':>8} {cells}")
    return "\n".join([*lines, *_lock_lines()])


def _lock_lines() -> list[str]:
    """How busy the write lock was: the groups' time from lock granted to commit done (the
    serial part), and the gaps between one group's commit and the next one's grant."""
    with _LOCK:
        groups = sorted((w, s, a, g, n) for s, a, g, w, n in _GROUPS if a is not None and g is not None)
    if len(groups) < 2:
        return []
    held = [w - g for w, _s, _a, g, _n in groups]
    wall = groups[-1][0] - min(s for _w, s, _a, _g, _n in groups)
    gaps = [b[3] - a[0] for a, b in itertools.pairwise(groups)]
    late = [b[2] - a[0] for a, b in itertools.pairwise(groups)]
    after = [x for x in late if x > 0]
    ms = 1000 / len(gaps)
    appends = sum(g[4] for g in groups)
    return [
        f"groups: {len(groups):,} ({appends / len(groups):.1f} appends each) in {wall:.2f} s; lock held (granted to"
        f" written) mean {sum(held) / len(held) * 1000:.2f} ms, {sum(held) / wall:.0%} of the time",
        f"  from a commit to the next group's grant: mean {sum(gaps) * ms:.2f} ms, p99 {_p99(gaps) * 1000:.2f} ms;"
        f" that group asked {-sum(late) * ms:.2f} ms before the commit on the mean,"
        f" after it {len(after) / len(late):.0%} of the time (then by {sum(after) / max(1, len(after)) * 1000:.2f} ms)",
    ]


def _save() -> None:
    if TARGET and _STEPS:
        Path(TARGET).write_text(table() + "\n")


def group_marks(timelines: list[Any], started: float, asked: float | None, granted: float | None, written: float) -> None:
    """Mark each timeline of a group's requests (None: an untimed one) with the group's moments."""
    size = len(timelines)
    with _LOCK:
        _GROUPS.append((started, asked, granted, written, size))
    for timeline in timelines:
        if timeline is not None:
            timeline.group = size
            timeline.mark("started", started)
            if granted is not None:
                timeline.mark("granted", granted)
            timeline.mark("written", written)


if ENABLED:
    atexit.register(_save)
