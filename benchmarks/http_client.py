"""A small HTTP/1.1 client for the load benchmarks: one keep-alive connection per caller, each
answer parsed whole by llhttp (``httptools``, the parser Uvicorn serves with), on uvloop.

Why not aiohttp: on this two-core machine the benchmark's client shares the cores with the
server and PostgreSQL, and aiohttp spent about 0.17 ms of CPU on each request (its connector,
its request and response objects, its cookie jar, its timeouts); every tenth of a millisecond
the client takes is one the server does not get. What is kept, so the benchmark stays fair:
real HTTP/1.1 over loopback TCP, one persistent connection per clerk and per reader (as a
browser or a desk's client holds one), every response parsed to its end by a full parser
(status line, every header, the body by ``Content-Length`` or chunked), the connection
reopened when the server closes it or answers ``Connection: close``, a request that gets no
answer in ``timeout`` seconds failed (the connection aborted), and a dropped connection
reported to the caller (which retries a write with the same Idempotency-Key, as before).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httptools


class Dropped(ConnectionError):
    """The connection ended (or was aborted after ``timeout``) before the answer did."""


class _Answer(asyncio.Protocol):
    """One connection: sends a request, parses its answer, hands it to the waiting caller."""

    def __init__(self, loop: asyncio.AbstractEventLoop) -> None:
        self.loop = loop
        self.transport: asyncio.Transport | None = None
        self.parser = httptools.HttpResponseParser(self)
        self.waiter: asyncio.Future[tuple[int, bytes]] | None = None
        self.body: list[bytes] = []
        self.headers: list[tuple[bytes, bytes]] = []
        self.closed = False
        self.sent = 0.0

    def connection_made(self, transport: Any) -> None:
        self.transport = transport

    def data_received(self, data: bytes) -> None:
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError as exc:
            self.closed = True  # the next request opens a new connection, whenever this one's end is told
            self._fail(Dropped(f"malformed answer: {exc}"))
            if self.transport is not None:
                self.transport.abort()

    def connection_lost(self, exc: Exception | None) -> None:
        self.closed = True
        self._fail(Dropped(str(exc) if exc else "the server closed the connection"))

    def _fail(self, exc: Exception) -> None:
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_exception(exc)

    # llhttp's callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self.headers.append((name, value))

    def on_body(self, body: bytes) -> None:
        self.body.append(body)

    def on_message_complete(self) -> None:
        status = self.parser.get_status_code()
        body = b"".join(self.body)
        self.body.clear()
        self.headers.clear()
        if not self.parser.should_keep_alive():
            self.closed = True
            if self.transport is not None:
                self.transport.close()
        waiter, self.waiter = self.waiter, None
        if waiter is not None and not waiter.done():
            waiter.set_result((status, body))


class Connection:
    """A keep-alive HTTP/1.1 connection to ``host:port``, opened at the first request and again
    after the server closed it; one request at a time (each caller holds its own)."""

    def __init__(self, host: str, port: int) -> None:
        self.host, self.port = host, port
        self._head = f"HTTP/1.1\r\nHost: {host}:{port}\r\n".encode()
        self._answer: _Answer | None = None

    async def request(self, method: bytes, target: str, headers: bytes = b"", body: bytes = b"") -> tuple[int, bytes]:
        """The status and body of the answer to ``method target`` with ``headers`` (each
        ``Name: value\\r\\n``) and ``body`` (sent with its ``Content-Length``); raises
        :class:`Dropped` (or an ``OSError`` connecting) when no whole answer came."""
        answer = self._answer
        loop = asyncio.get_running_loop()
        if answer is None or answer.closed:
            _, answer = await loop.create_connection(lambda: _Answer(loop), self.host, self.port)
            self._answer = answer
        assert answer.transport is not None
        length = b"Content-Length: %d\r\n" % len(body) if body or method == b"POST" else b""
        answer.waiter = waiter = loop.create_future()
        answer.sent = time.monotonic()
        answer.transport.write(b"%s %s %s%s%s\r\n%s" % (method, target.encode(), self._head, headers, length, body))
        return await waiter

    def stale(self, now: float, timeout: float) -> bool:
        """Abort the request in flight when it has waited ``timeout`` seconds: its caller gets
        :class:`Dropped` (whether it was a request it may retry is the caller's to judge)."""
        answer = self._answer
        if answer is None or answer.waiter is None or now - answer.sent < timeout:
            return False
        answer.closed = True
        answer._fail(Dropped(f"no answer in {timeout:.0f} s"))
        if answer.transport is not None:
            answer.transport.abort()
        return True

    def close(self) -> None:
        if self._answer is not None and self._answer.transport is not None:
            self._answer.transport.close()
        self._answer = None


async def watch(connections: list[Connection], timeout: float, every: float = 1.0) -> None:
    """Abort, every ``every`` seconds, the requests that have waited ``timeout`` seconds (one
    task for all connections, not a timer per request)."""
    while True:
        await asyncio.sleep(every)
        now = time.monotonic()
        for connection in connections:
            connection.stale(now, timeout)
