"""The API's session threads (``api/threads.py``): each call's value or exception reaches the
request awaiting it, at most ``count`` calls run at once, and a loop closed meanwhile breaks
nothing."""

from __future__ import annotations

import asyncio
import threading
import time

import pytest
from tests.event_loops import run_alone

from escrutinio.api.threads import Threads


class Stop(BaseException):
    """Not an ``Exception``: still the awaiting request's."""


def test_values_and_exceptions_reach_their_requests() -> None:
    pool = Threads(2, "t-values")

    def fails(exc: BaseException) -> None:
        raise exc

    async def go() -> list[object]:
        calls = [pool.run(lambda n=n: n * n) for n in range(10)]
        calls += [
            pool.run(lambda: fails(ValueError("no"))),
            pool.run(lambda: fails(Stop())),
            pool.run(lambda: fails(StopIteration())),
        ]
        return await asyncio.gather(*calls, return_exceptions=True)

    got = run_alone(go())
    assert got[:10] == [n * n for n in range(10)]
    assert [type(e) for e in got[10:]] == [ValueError, Stop, RuntimeError]


def test_at_most_count_calls_run_at_once_on_threads_of_their_own() -> None:
    pool = Threads(3, "t-count")
    running, most, names = [0], [0], set()
    lock = threading.Lock()

    def call() -> None:
        with lock:
            running[0] += 1
            most[0] = max(most[0], running[0])
            names.add(threading.current_thread().name)
        time.sleep(0.02)
        with lock:
            running[0] -= 1

    async def go() -> None:
        await asyncio.gather(*(pool.run(call) for _ in range(12)))

    run_alone(go())
    assert most[0] == 3
    assert names <= {"t-count-0", "t-count-1", "t-count-2"}


def test_a_call_whose_loop_closed_meanwhile_leaves_the_threads_working() -> None:
    pool = Threads(1, "t-closed")
    release = threading.Event()

    async def leave() -> None:
        pool.run(release.wait)  # never awaited: the loop ends while it runs

    run_alone(leave())
    release.set()

    async def again() -> int:
        return await pool.run(lambda: 7)

    assert run_alone(again()) == 7


@pytest.mark.parametrize("count", [1, 4])
def test_every_call_runs_once_in_order_on_one_thread(count: int) -> None:
    pool = Threads(count, f"t-order-{count}")
    seen: list[int] = []

    async def go() -> None:
        await asyncio.gather(*(pool.run(lambda n=n: seen.append(n)) for n in range(50)))

    run_alone(go())
    assert sorted(seen) == list(range(50))
    if count == 1:
        assert seen == list(range(50))
