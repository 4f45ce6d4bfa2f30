"""Threads started together, and waiting for what other threads do: the concurrency tests' helpers."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


def run_together(threads: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(i)`` on ``threads`` threads started together; their results (or errors)."""
    out: list[Any] = [None] * threads
    start = threading.Barrier(threads)

    def one(i: int) -> None:
        start.wait()
        try:
            out[i] = work(i)
        except BaseException as exc:
            out[i] = exc

    pool = [threading.Thread(target=one, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return out


def until(condition: Callable[[], Any], seconds: float = 30) -> None:
    """Wait for ``condition`` (another thread's doing) to hold; fail when it never does."""
    for _ in range(int(seconds * 100)):
        if condition():
            return
        threading.Event().wait(0.01)
    raise AssertionError("never happened")


def still(condition: Callable[[], Any]) -> None:
    """``condition`` holds, and still holds a moment later (what must not happen has had time to)."""
    assert condition()
    threading.Event().wait(0.2)
    assert condition()
