"""What the benchmarks share: the best of N timed runs (each benchmark runs as a script, with
this folder on its path)."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


def best_of(runs: int, work: Callable[[], Any]) -> tuple[float, Any]:
    """The shortest time of ``runs`` calls of ``work`` (the least disturbed by a noisy machine), and its result."""
    best, result = float("inf"), None
    for _ in range(runs):
        start = time.perf_counter()
        result = work()
        best = min(best, time.perf_counter() - start)
    return best, result
