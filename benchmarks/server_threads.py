"""``escrutinio`` run in this process, telling where the server's CPU went, thread by thread.

Why: the server's CPU per request (``benchmarks/intake.py``) says how much, not where; a sampling
profiler on a loaded two-core machine misattributes the threads waiting for the GIL. The kernel
counts each thread's CPU exactly (``/proc/self/task/N/stat``) and Python knows each thread's
name (``Thread.native_id``), so this wrapper reports the CPU of the event loop, of the session
threads, of the group commit's lanes and of the reads' threads, and the garbage collector's
share of it (timed by ``gc.callbacks``), between two signals from the benchmark:
``SIGUSR1`` begins the count (after the warm-up), ``SIGUSR2`` writes it, in seconds, one
``name<TAB>seconds`` line per kind of thread, to the file named first.

Run by ``benchmarks/intake.py --threads`` (one server process only):
``python benchmarks/server_threads.py FILE --db URL serve ...``.
"""

from __future__ import annotations

import gc
import os
import re
import signal
import sys
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

KIND = re.compile(r"[-_ ]?\d+( \S+)?$")
"""A thread's number (and a lane's store URL) at the end of its name: threads of one kind are summed."""
ENDED = "threads that ended meanwhile"
"""The process's CPU less its live threads': a thread that ended takes its count with it (mostly
a lane of the group commit, which stops after a second idle and is started again)."""


def by_thread() -> dict[int, tuple[str, float]]:
    """Each live thread of this process: its kind (its name less its number) and the CPU
    seconds it has used so far; under :data:`ENDED`'s id (0), the process's own total."""
    names = {t.native_id: t.name for t in threading.enumerate()}
    tick = os.sysconf("SC_CLK_TCK")
    found = {}
    for task in os.listdir("/proc/self/task"):
        try:
            fields = Path(f"/proc/self/task/{task}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue  # ended meanwhile
        tid = int(task)
        name = "event loop" if tid == os.getpid() else KIND.sub("", names.get(tid, "other"))
        found[tid] = (name, (int(fields[11]) + int(fields[12])) / tick)
    fields = Path("/proc/self/stat").read_text().rsplit(")", 1)[1].split()
    found[0] = (ENDED, (int(fields[11]) + int(fields[12])) / tick)
    return found


def used_between(start: dict[int, tuple[str, float]], end: dict[int, tuple[str, float]]) -> Counter[str]:
    """CPU seconds by kind of thread from ``start`` to ``end`` (:func:`by_thread`); what the
    process used beyond its live threads' is :data:`ENDED`'s."""
    used: Counter[str] = Counter()
    for tid, (name, seconds) in end.items():
        if tid:
            before = start.get(tid)
            used[name] += seconds - (before[1] if before is not None and before[0] == name else 0.0)
    used[ENDED] = end[0][1] - start[0][1] - sum(used.values())
    return used


class Count:
    """The CPU by kind of thread, and the collector's, between SIGUSR1 and SIGUSR2."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.start: dict[int, tuple[str, float]] | None = None
        self.collecting: dict[int, float] = {}
        self.collector = 0.0

    def begin(self, *_: Any) -> None:
        self.start, self.collector = by_thread(), 0.0

    def end(self, *_: Any) -> None:
        if self.start is None:
            return
        used = used_between(self.start, by_thread())
        lines = [f"{name}\t{seconds:.3f}" for name, seconds in used.most_common() if seconds > 0]
        self.out.write_text("\n".join([*lines, f"(garbage collector, in the above)\t{self.collector:.3f}"]) + "\n")

    def timed(self, phase: str, info: dict[str, Any]) -> None:
        """``gc.callbacks``: the CPU of each collection (of its thread, which holds the GIL)."""
        if self.start is None:
            return
        me = threading.get_ident()
        if phase == "start":
            self.collecting[me] = time.thread_time()
        elif me in self.collecting:
            self.collector += time.thread_time() - self.collecting.pop(me)


def main() -> None:
    count = Count(Path(sys.argv[1]))
    gc.callbacks.append(count.timed)
    signal.signal(signal.SIGUSR1, count.begin)
    signal.signal(signal.SIGUSR2, count.end)
    from escrutinio.cli import main as escrutinio

    sys.argv = ["escrutinio", *sys.argv[2:]]
    escrutinio()


if __name__ == "__main__":
    main()
