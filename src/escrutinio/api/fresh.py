"""A value read afresh for every ask, one read shared by all the asks that arrive together.

Why: some answers must be as of after the request arrived (a token revoked a moment ago, by
any process, is refused by the next request), yet a query per request is what a busy server
can least afford. The rule that gives both: an ask is answered by a read *begun after the ask*.
Asks that arrive while a read is out wait for the next one, which begins as soon as that read
ends and answers them all: a burst of any size costs at most two reads, and no ask waits longer
than two reads (the one out, then its own).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class FreshRead(Generic[T]):
    """``await fresh.get()``: the value of ``read()`` as of a read begun after the call.

    Used from one event loop (each app's); a read that fails fails the asks it answers, and the
    next ask begins a new one. An ask that is cancelled leaves the read to the others.
    """

    def __init__(self, read: Callable[[], Awaitable[T]]) -> None:
        self._read = read
        self._loop: asyncio.AbstractEventLoop | None = None
        self._out = False
        """Whether a read is out (begun, not ended)."""
        self._next: asyncio.Future[T] | None = None
        """What the asks that came while a read was out wait for: the read begun when it ends."""

    async def get(self) -> T:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new loop (a test's): nothing of the old one is usable
            self._loop, self._out, self._next = loop, False, None
        if self._next is None:
            self._next = loop.create_future()
            self._next.add_done_callback(_retrieved)
        waiting = self._next
        if not self._out:
            self._begin()
        return await asyncio.shield(waiting)

    def _begin(self) -> None:
        """Begin the read the waiting asks are waiting for."""
        assert self._loop is not None and self._next is not None
        waiting, self._next, self._out = self._next, None, True
        self._loop.create_task(self._run(waiting))

    async def _run(self, waiting: asyncio.Future[T]) -> None:
        try:
            value = await self._read()
        except BaseException as exc:  # the asks get it (a cancelled read: they are told so)
            if not waiting.done():
                waiting.set_exception(exc if isinstance(exc, Exception) else asyncio.CancelledError())
            if not isinstance(exc, Exception):
                raise
        else:
            if not waiting.done():
                waiting.set_result(value)
        finally:
            self._out = False
            if self._next is not None and asyncio.get_running_loop() is self._loop:
                self._begin()  # asks came while this read was out: theirs begins now


def _retrieved(future: asyncio.Future[object]) -> None:
    """Mark a failure as seen even when every ask that awaited it was cancelled (no warning)."""
    if not future.cancelled():
        future.exception()
