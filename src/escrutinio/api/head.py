"""Where the store's log ends, as the server last looked: one shared watcher per app.

Why: every public read is named by the log's head (its ETag), and a thousand pages polling
between two events should cost the store nothing. The watcher reads the head at most once per
``fresh`` seconds, whoever asks (the reads, the event stream); everything it answers is exact
for the head it names, at most ``fresh`` seconds late (well inside the ``max-age`` a results
page is cached for anyway). A write through this server makes it look again at once
(:class:`ForgetOnWrite`), so a client reads its own writes.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

from escrutinio.api.deps import Sessions

FRESH = 0.1
"""Seconds a head read stays good for the reads (they are cached 5 s downstream anyway)."""


class HeadWatch:
    """The store's head, read at most once per ``fresh`` seconds however many ask."""

    def __init__(self, fresh: float = FRESH) -> None:
        self.fresh = fresh
        self._head: dict[str, Any] | None = None
        self._at = 0.0
        self._lock: asyncio.Lock | None = None

    async def head(self, reads: Sessions) -> dict[str, Any]:
        """``{"events": N, "head": HASH}`` as of at most ``fresh`` seconds ago."""
        if self._head is not None and time.monotonic() - self._at < self.fresh:
            return self._head
        if self._lock is None:
            self._lock = asyncio.Lock()
        async with self._lock:
            if self._head is None or time.monotonic() - self._at >= self.fresh:
                self._head = await reads.run(lambda session: session.log.head())
                self._at = time.monotonic()
            return self._head

    def forget(self) -> None:
        """Look again at the next ask (a write has just landed)."""
        self._head = None


SAFE = frozenset({"GET", "HEAD", "OPTIONS"})


class ForgetOnWrite:
    """ASGI middleware: when a request that may write (POST, PUT, PATCH, DELETE) is answered,
    the watcher forgets the head, before the client can read the answer and ask again."""

    def __init__(self, app: Any, watch: HeadWatch) -> None:
        self.app = app
        self.watch = watch

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] in SAFE:
            await self.app(scope, receive, send)
            return

        async def forgetting(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                self.watch.forget()
            await send(message)

        await self.app(scope, receive, forgetting)
