"""Appends queued from an event loop (``Committer.submit_soon``): each future holds its own result
or refusal once its group is written, and a group's futures are settled by one call into their
loop, not one each."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Sequence
from typing import Any

from escrutinio.store.group_commit import NO_TURN, Committer, GroupRequest, Turn


class Refused(Exception):
    pass


class Writer:
    """Writes each group once the test lets it go; the request whose actor is ``refused`` is refused."""

    def __init__(self) -> None:
        self.go = threading.Event()
        self.sizes: list[int] = []

    def write_group(self, requests: Sequence[GroupRequest], turn: Turn = NO_TURN) -> list[Any]:
        assert self.go.wait(30)
        self.sizes.append(len(requests))
        return [Refused(r.actor) if r.actor == "refused" else [r.actor] for r in requests]

    def close(self) -> None:
        pass


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
        futures = [committer.submit_soon([], actor, [], None) for actor in ("a", "refused", "c")]
        writer.go.set()
        return await asyncio.gather(*futures, return_exceptions=True)

    try:
        first, refused, third = asyncio.run(main())
    finally:
        committer.stop()
    assert (first, third) == (["a"], ["c"])
    assert isinstance(refused, Refused)
    assert writer.sizes == [3] and calls == [3]  # one group, its three futures settled by one call


def test_a_cancelled_request_leaves_the_others_of_its_group_settled() -> None:
    writer = Writer()
    committer = Committer("memory", lambda: writer, lanes=1)

    async def main() -> Any:
        gone, kept = (committer.submit_soon([], actor, [], None) for actor in ("gone", "kept"))
        gone.cancel()
        writer.go.set()
        return await kept

    try:
        assert asyncio.run(main()) == ["kept"]
    finally:
        committer.stop()
