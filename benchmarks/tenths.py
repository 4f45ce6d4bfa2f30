"""The intake benchmark's run cut in tenths of its sheets: does the store slow as it fills?

Why: short runs of the intake (6,000 or 20,000 sheets) reached the target rate while the
whole runoff (86,488 sheets) did not, and a mean over the run cannot tell a store that slows
as its tables and indexes grow from a machine that got busier. Each tenth (the time from the
sheet processed before it to its last sheet processed) gets its sheets/s, the p50/p99 of the
writes answered in it, and what each of its sheets cost in CPU, measured apart from the wall
clock: the server's (its process and workers), PostgreSQL's backends of the run's database
(autovacuum's workers on it included), and PostgreSQL's own background processes (the WAL
writer, the checkpointer, the background writer: shared by the whole PostgreSQL server, so
another client's work shows there too), with the load average. A cost per sheet that grows
tenth after tenth is the store; a rate that falls while the costs stay flat is the machine.

:class:`Sampler` reads the CPU counters a few times a second on a thread of the benchmark's
own; :func:`table` cuts the run and interpolates the samples at each tenth's ends.
"""

from __future__ import annotations

import bisect
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from timing import cpu_seconds

EVERY = 0.25
"""Seconds between samples."""
AUXILIARY = ("checkpointer", "background writer", "walwriter", "autovacuum launcher")
"""PostgreSQL's shared background processes (their titles after ``postgres: ``)."""


@dataclass
class Sample:
    at: float
    """``time.monotonic()``."""
    server: float
    backends: float
    auxiliary: float
    load: float


@dataclass
class Sampler:
    """Samples of the server's and PostgreSQL's CPU, every :data:`EVERY` seconds, while running."""

    server: Callable[[], float]
    database: str
    samples: list[Sample] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None
    _mine: dict[int, float] = field(default_factory=dict)
    _shared: dict[int, float] = field(default_factory=dict)

    def start(self) -> None:
        self._sample()
        self._thread = threading.Thread(target=self._run, name="tenths sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self._sample()

    def _run(self) -> None:
        while not self._stop.wait(EVERY):
            self._sample()

    def _sample(self) -> None:
        mine, shared = self._postgres()
        self.samples.append(Sample(time.monotonic(), self.server(), mine, shared, os.getloadavg()[0]))

    def _postgres(self) -> tuple[float, float]:
        """CPU so far of the database's backends and of the shared background processes; a
        process that has exited keeps its last reading."""
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace").strip()
            except OSError:
                continue
            if not title.startswith("postgres: "):
                continue
            rest = title[len("postgres: ") :]
            pid = int(entry.name)
            if self.database in rest.split():
                self._mine[pid] = max(self._mine.get(pid, 0.0), cpu_seconds(pid))
            elif rest in AUXILIARY:
                self._shared[pid] = max(self._shared.get(pid, 0.0), cpu_seconds(pid))
        return sum(self._mine.values()), sum(self._shared.values())

    def at(self, moment: float) -> Sample:
        """The counters at ``moment``, interpolated between the samples around it."""
        times = [s.at for s in self.samples]
        i = bisect.bisect_left(times, moment)
        if i <= 0:
            return self.samples[0]
        if i >= len(self.samples):
            return self.samples[-1]
        a, b = self.samples[i - 1], self.samples[i]
        w = (moment - a.at) / (b.at - a.at) if b.at > a.at else 1.0

        def mix(x: float, y: float) -> float:
            return x + (y - x) * w

        return Sample(
            moment, mix(a.server, b.server), mix(a.backends, b.backends), mix(a.auxiliary, b.auxiliary), mix(a.load, b.load)
        )


def _percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def table(
    started: float, processed: Sequence[float], writes: Sequence[tuple[float, float]], reads: Sequence[float], sampler: Sampler
) -> str:
    """The run by tenth of its sheets: ``processed``, the moments (``time.monotonic()``) each
    sheet was processed; ``writes``, each write's (moment answered, seconds it took);
    ``reads``, the moments reads were answered (the readers poll at a steady rate, so a slower
    tenth has more reads a sheet, whose CPU shows in the server's and the backends' columns)."""
    done = sorted(processed)
    if len(done) < 10:
        return ""
    answered = sorted(writes)
    moments = [w[0] for w in answered]
    polled = sorted(reads)
    lines = [
        "by tenth of the sheets (CPU a sheet: the server's; PostgreSQL's backends of this database; its shared "
        "background processes; reads: reads answered a sheet):",
        f"{'tenth':>5} {'sheets':>15} {'seconds':>8} {'sheets/s':>9} {'write p50':>10} {'p99':>7}"
        f" {'reads':>6} {'server':>8} {'backends':>9} {'shared':>7} {'load':>5}",
    ]
    before, since = 0, started
    for tenth in range(1, 11):
        last = len(done) * tenth // 10
        until = done[last - 1]
        count = last - before
        seconds = until - since
        took = [w[1] for w in answered[bisect.bisect_left(moments, since) : bisect.bisect_right(moments, until)]]
        a, b = sampler.at(since), sampler.at(until)
        read = bisect.bisect_right(polled, until) - bisect.bisect_left(polled, since)
        per = 1000 / max(count, 1)
        lines.append(
            f"{tenth:>5} {before + 1:>7,}-{last:<7,} {seconds:8.1f} {count / max(seconds, 1e-9):9,.0f}"
            f" {_percentile(took, 50) * 1000:7.1f} ms {_percentile(took, 99) * 1000:7.1f}"
            f" {read / max(count, 1):6.2f} {(b.server - a.server) * per:5.2f} ms {(b.backends - a.backends) * per:6.2f} ms"
            f" {(b.auxiliary - a.auxiliary) * per:4.2f} ms {b.load:5.2f}"
        )
        before, since = last, until
    return "\n".join(lines)
