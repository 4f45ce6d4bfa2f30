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
(a server stopped by a signal runs no exit handler).

What a rewrite costs does not grow with the requests timed: each step's times are kept as a
histogram (:class:`Spread`, the 99th percentile to within :data:`RESOLUTION`), not as a list.
Why: kept as lists and sorted whole for each rewrite, on the thread that answered the request
(the event loop, which every request waits for), they cost 0.03 s a rewrite after 20,000
sheets keyed twice and 0.38 s after the 2021 runoff's 86,488: the server slowed as the run
went on, with ``--timeline`` only, and near the end the rewrites took most of the loop's time.
A rewrite is also never due sooner than :data:`SHARE` times its own last cost. ``benchmarks/intake.py --timeline`` sets it
for the server it starts and prints the table. Unset (read once, at import), nothing is made:
:func:`begin` returns None and every mark is behind an ``is None`` test.
"""

from __future__ import annotations

import atexit
import itertools
import math
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
"""Seconds between rewrites of the table, at least."""
SHARE = 50
"""A rewrite is due no sooner than this many times its last one took (it takes at most about
one fiftieth of its thread's time, however long the rewrites grow)."""
RESOLUTION = 1.02
"""The ratio of a :class:`Spread`'s bins' bounds: a percentile read from it is the upper bound
of its bin, within 2 % above the true one."""
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


class Spread:
    """Durations, kept as their count, their sum and a histogram in bins whose bounds grow by
    :data:`RESOLUTION`: their mean is exact, a percentile within its resolution, and what it
    holds is bounded by the bins, not by the number of durations."""

    __slots__ = ("bins", "count", "total")

    FLOOR = 1e-7
    """Durations up to this (a tenth of a microsecond, or a clock read twice alike) share the first bin."""

    def __init__(self) -> None:
        self.count = 0
        self.total = 0.0
        self.bins: dict[int, int] = {}

    def add(self, seconds: float) -> None:
        self.count += 1
        self.total += seconds
        index = 0 if seconds <= self.FLOOR else 1 + int(math.log(seconds / self.FLOOR, RESOLUTION))
        self.bins[index] = self.bins.get(index, 0) + 1

    def mean(self) -> float:
        return self.total / self.count if self.count else 0.0

    def percentile(self, p: float) -> float:
        """The upper bound of the bin that holds the ``p``-th percentile (0 < p <= 100)."""
        wanted = max(1, math.ceil(p / 100 * self.count))
        seen = 0
        for index in sorted(self.bins):
            seen += self.bins[index]
            if seen >= wanted:
                return self.FLOOR * RESOLUTION**index
        return 0.0


_LOCK = threading.Lock()
_STEPS: dict[int, dict[str, Spread]] = {}
_GROUPS: list[tuple[float, float | None, float | None, float, int]] = []
"""Each group written: (started, asked, granted, written, appends)."""
_DUE = [0.0]
"""When the table is next rewritten (``time.monotonic()``)."""
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
            spread = held.get(name)
            if spread is None:
                spread = held[name] = Spread()
            spread.add(seconds)
        now = time.monotonic()
        due = now >= _DUE[0]
        if due:
            _DUE[0] = float("inf")  # no other thread starts a rewrite meanwhile
    if due:
        try:
            _save()
        finally:
            _DUE[0] = now + max(EVERY, SHARE * (time.monotonic() - now))


def _p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]


def table() -> str:
    """Mean ms of each step a request, by the size of the group that wrote it; p99 below."""
    with _LOCK:
        found = {b: {n: (v.mean(), v.percentile(99)) for n, v in steps.items()} for b, steps in _STEPS.items()}
        counts = {b: steps["total"].count for b, steps in _STEPS.items()}
    names = [n for n in (*STEPS, "total") if any(n in steps for steps in found.values())]
    lines = [
        "request timeline, mean ms a request (step: the time since the mark before), by appends in its group:",
        f"{'group':>7} {'requests':>8} " + " ".join(f"{n:>8}" for n in names),
    ]
    for b in sorted(found):
        steps = found[b]
        cells = " ".join(f"{steps[n][0] * 1000:8.2f}" if n in steps else f"{'':>8}" for n in names)
        lines.append(f"{'<=' + str(b):>7} {counts[b]:8d} {cells}")
        cells = " ".join(f"{steps[n][1] * 1000:8.2f}" if n in steps else f"{'':>8}" for n in names)
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
        *_tenths(groups),
    ]


def _tenths(groups: list[tuple[float, float, float, float, int]]) -> list[str]:
    """The groups (written, started, asked, granted, appends), oldest first, cut in tenths of
    their appends: whether a group's time under the lock grows as the store fills."""
    total = sum(g[4] for g in groups)
    if len(groups) < 20 or total < 10:
        return []
    lines = ["  by tenth of the appends: appends a group, lock held a group (ms), held an append (ms), busy"]
    cut, first, done = 1, 0, 0
    for i, group in enumerate(groups):
        done += group[4]
        if done * 10 < cut * total and i < len(groups) - 1:
            continue
        part = groups[first : i + 1]
        held = sum(w - g for w, _s, _a, g, _n in part)
        appends = sum(g[4] for g in part)
        wall = part[-1][0] - part[0][3] if len(part) > 1 else 0.0
        busy = f"{held / wall:.0%}" if wall > 0 else "-"
        lines.append(
            f"  {cut:>4} {appends / len(part):6.1f} {held / len(part) * 1000:7.2f} {held / appends * 1000:6.3f} {busy:>5}"
        )
        cut, first = cut + 1, i + 1
    return lines


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
