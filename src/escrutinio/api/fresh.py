"""A value read afresh for the asks, one read shared by all the asks that arrive together.

Why: some answers must be as of after a moment (a token revoked then, by any process, must be
refused by the requests that come after), yet a query per request is what a busy server can
least afford. The rule that gives both: an ask is answered by a read *begun at most* ``within``
*seconds before the ask* (``within`` 0: begun after it). Asks that arrive while a read is out
wait for the next one, which begins as soon as that read ends and answers them all: a burst of
any size costs at most two reads, and no ask waits longer than two reads (the one out, then its
own). With ``within`` > 0, an ask is answered at once by the last read while it began less than
``within`` seconds before; once it is older than half that, the next ask begins a new read in
the background (it is still answered by the last one): a steady stream of asks never waits, and
costs at most two reads every ``within`` seconds.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class FreshRead(Generic[T]):
    """``await fresh.get()``: the value of ``read()`` as of a read begun at most ``within``
    seconds before the call (0: after it).

    Used from one event loop (each app's); a read that fails fails the asks it answers, and the
    next ask begins a new one. An ask that is cancelled leaves the read to the others.
    """

    def __init__(self, read: Callable[[], Awaitable[T]], within: float = 0.0) -> None:
        self._read = read
        self.within = within
        self._loop: asyncio.AbstractEventLoop | None = None
        self._out = False
        """Whether a read is out (begun, not ended)."""
        self._next: asyncio.Future[T] | None = None
        """What the asks that came while a read was out wait for: the read begun when it ends."""
        self._last: tuple[float, T] | None = None
        """When the last read that succeeded began (``time.monotonic()``) and what it read."""

    async def get(self) -> T:
        last = self._last
        if last is not None and time.monotonic() - last[0] < self.within / 2:
            return last[1]  # young enough that no read begins (asking for the event loop costs a system call)
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new loop (a test's): nothing of the old one is usable
            self._loop, self._out, self._next, self._last = loop, False, None, None
        last = self._last
        if last is not None and self.within > 0:
            age = time.monotonic() - last[0]
            if age < self.within:
                if age >= self.within / 2 and not self._out:
                    self._begin(loop.create_future())  # in the background: nobody waits for it
                return last[1]
        if self._next is None:
            self._next = loop.create_future()
        waiting = self._next
        if not self._out:
            self._next = None
            self._begin(waiting)
        return await asyncio.shield(waiting)

    def _begin(self, waiting: asyncio.Future[T]) -> None:
        """Begin a read for the asks waiting on ``waiting``."""
        assert self._loop is not None
        waiting.add_done_callback(_retrieved)
        self._out = True
        self._loop.create_task(self._run(waiting))

    async def _run(self, waiting: asyncio.Future[T]) -> None:
        began = time.monotonic()
        try:
            value = await self._read()
        except BaseException as exc:  # the asks get it (a cancelled read: they are told so)
            if not waiting.done():
                waiting.set_exception(exc if isinstance(exc, Exception) else asyncio.CancelledError())
            if not isinstance(exc, Exception):
                raise
        else:
            if self._last is None or self._last[0] < began:
                self._last = (began, value)
            if not waiting.done():
                waiting.set_result(value)
        finally:
            self._out = False
            if self._next is not None and asyncio.get_running_loop() is self._loop:
                waiting, self._next = self._next, None
                self._begin(waiting)  # asks came while this read was out: theirs begins now


def _retrieved(future: asyncio.Future[object]) -> None:
    """Mark a failure as seen even when every ask that awaited it was cancelled (no warning)."""
    if not future.cancelled():
        future.exception()
