"""Where the store's log ends, as the server last looked: one shared watcher per app.

Why: every public read is named by the log's head (its ETag), and a thousand pages polling
between two events should cost the store nothing. The watcher reads the head at most once per
``fresh`` seconds, whoever asks (the reads, the event stream), on a thread of its own (never
queued behind the writes); everything it answers is exact for the head it names, at most
``fresh`` seconds late (well inside the ``max-age`` a results page is cached for anyway).

A write does not make it look again: on election night writes land every few milliseconds,
and looking again after each made every read wait for a head read and then for an answer
computed at that head, one read after another (reads p99 0.6 s during intake). A client that
must read its own write asks with ``?at_least=N`` (``api/replica.py``), which looks again
(:meth:`HeadWatch.forget`) when the head it knows is older than N; with several server
processes (``serve --workers``) that is the only way anyway, since a write lands in one of them.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import anyio

from escrutinio.api.deps import Sessions

FRESH = 0.1
"""Seconds a head read stays good for the reads (they are cached 5 s downstream anyway)."""
STALE = 1.0
"""Seconds past ``fresh`` during which the last head is still answered while it is read again
in the background; after that (a store slow to answer), asking waits for the read."""


class HeadWatch:
    """The store's head, read at most once per ``fresh`` seconds however many ask.

    Nobody waits for the periodic read: once the head is ``fresh`` seconds old, the next ask
    starts reading it again in the background and is answered the head it had (at most
    ``fresh`` plus the time one head read takes, bounded by ``STALE``); every ask then gets the
    new head once it is in. Waiting for it instead stalled every request arriving meanwhile,
    ten times a second: the tail of the read latency. After :meth:`forget`, the next ask does
    wait (a read asking ``at_least`` a head the watcher has not seen yet).
    """

    def __init__(self, fresh: float = FRESH, stale: float = STALE) -> None:
        self.fresh = fresh
        self.stale = stale
        self._head: dict[str, Any] | None = None
        self._at = 0.0
        self._lock: asyncio.Lock | None = None
        self._refresh: asyncio.Task[None] | None = None
        self._forgets = 0
        """How many times :meth:`forget` was called: a read begun before a forget may predate
        what the forget was for, so it is not kept."""

    def current(self) -> dict[str, Any] | None:
        """The head if it was read less than ``fresh`` seconds ago, else None (no waiting)."""
        if self._head is not None and time.monotonic() - self._at < self.fresh:
            return self._head
        return None

    async def head(self, reads: Sessions) -> dict[str, Any]:
        """``{"events": N, "head": HASH}`` as of at most ``fresh`` seconds ago (``fresh`` plus
        one head read while it is being read again)."""
        found = self._head
        if found is not None:
            age = time.monotonic() - self._at
            if age < self.fresh:
                return found
            if age < self.fresh + self.stale:
                if self._refresh is None:
                    self._refresh = asyncio.get_running_loop().create_task(self._read_again(reads))
                return found
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._head is None or time.monotonic() - self._at >= self.fresh:
                return await self._read(reads)
            return self._head

    async def _read(self, reads: Sessions) -> dict[str, Any]:
        asked, forgets = time.monotonic(), self._forgets
        head: dict[str, Any] = await reads.run(lambda session: session.log.head(), limiter=anyio.CapacityLimiter(1))
        if forgets == self._forgets:
            self._head, self._at = head, asked  # its age counts from before the read
        return head

    async def _read_again(self, reads: Sessions) -> None:
        try:
            await self._read(reads)
        except Exception:
            pass  # the next ask past ``stale`` reads in line, and answers the failure
        finally:
            self._refresh = None

    def forget(self) -> None:
        """Look again at the next ask (it asks for a head later than the one known)."""
        self._head = None
        self._forgets += 1
