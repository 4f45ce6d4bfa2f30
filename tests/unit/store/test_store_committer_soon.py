"""Appends queued from an event loop (``Committer.submit_soon``): each future holds its own result
or refusal once its group is written, and a group's futures are settled by one call into their
loop, not one each."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable, Coroutine, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

from escrutinio.store.group_commit import NO_TURN, Committer, GroupRequest, Turn

T = TypeVar("T")


class Refused(Exception):
    pass


class Writer:
    """Writes each group once the test lets it go; the request whose actor is ``refused`` is refused."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.entered = threading.Event()
        self.sizes: list[int] = []

    def write_group(self, requests: Sequence[GroupRequest], turn: Turn = NO_TURN) -> list[Any]:
        self.entered.set()
        assert self.go.wait(30)
        self.sizes.append(len(requests))
        return [Refused(r.actor) if r.actor == "refused" else [r.actor] for r in requests]

    def close(self) -> None:
        pass


def _run(main: Callable[[], Coroutine[Any, Any, T]]) -> T:
    """``asyncio.run(main())`` on a thread of its own: a test run before this one in the same
    process may leave an event loop running on the main thread (Playwright's sync API does, for
    the browser tests' session), and ``asyncio.run`` refuses to start beside it."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(lambda: asyncio.run(main())).result()


def test_a_group_of_loop_requests_is_settled_at_once_each_with_its_own_result() -> None:
    writer = Writer()
    committer = Committer("memory", lambda: writer, lanes=1)
    calls: list[int] = []

    async def main() -> list[Any]:
        loop = asyncio.get_running_loop()
        plain = loop.call_soon_threadsafe

        def counted(callback: Any, *args: Any) -> Any:
            calls.append(len(args[0]) if args and isinstance(args[0], list) else -1)
            return plain(callback, *args)

        loop.call_soon_threadsafe = counted  # type: ignore[method-assign]
        # A group being written holds the committer while the three queue up behind it: else the
        # committer may take the first alone before the others are asked (a group of 1, then 2).
        blocker = committer.submit_soon([], "blocker", [], None)
        await loop.run_in_executor(None, writer.entered.wait, 30)
        futures = [committer.submit_soon([], actor, [], None) for actor in ("a", "refused", "c")]
        writer.go.set()
        return await asyncio.gather(blocker, *futures, return_exceptions=True)

    try:
        blocked, first, refused, third = _run(main)
    finally:
        committer.stop()
    assert (blocked, first, third) == (["blocker"], ["a"], ["c"])
    assert isinstance(refused, Refused)
    settled = [n for n in calls if n >= 0]  # the loop's own hand-offs (the executor's) carry no list
    assert writer.sizes == [1, 3] and settled == [1, 3]  # the three in one group, settled by one call


def test_a_cancelled_request_leaves_the_others_of_its_group_settled() -> None:
    writer = Writer()
    committer = Committer("memory", lambda: writer, lanes=1)

    async def main() -> Any:
        gone, kept = (committer.submit_soon([], actor, [], None) for actor in ("gone", "kept"))
        gone.cancel()
        writer.go.set()
        return await kept

    try:
        assert _run(main) == ["kept"]
    finally:
        committer.stop()
