"""What the API benchmarks share: one request sent to an ASGI application in process (no HTTP
server, no socket), answered to its end; its status is returned; and the CPU many such take."""

from __future__ import annotations

import asyncio
import sys
import time
from collections.abc import Coroutine, Sequence
from typing import Any


async def asgi_request(
    app: Any,
    method: str,
    target: str,
    headers: Sequence[tuple[bytes, bytes]] = (),
    body: bytes = b"",
) -> int:
    """The status ``app`` answers ``method target`` (a path and its query) with."""
    path, _, query = target.partition("?")
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": method, "scheme": "http",
        "path": path, "raw_path": path.encode(), "query_string": query.encode(), "root_path": "",
        "headers": [(b"host", b"bench"), *headers], "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    given = False
    status = 0

    async def receive() -> dict[str, Any]:
        nonlocal given
        if given:
            await asyncio.Event().wait()  # no disconnect: the answer is read to its end
        given = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await app(scope, receive, send)
    return status


async def timed(clients: list[Coroutine[Any, Any, None]], statuses: dict[int, int], expected: int) -> tuple[float, int]:
    """The process's CPU seconds while ``clients`` run at once, and the requests they sent
    (counted by status in ``statuses``); exits naming the statuses unless all are ``expected``."""
    used = time.process_time()
    await asyncio.gather(*clients)
    used = time.process_time() - used
    if set(statuses) != {expected}:
        sys.exit(f"requests answered otherwise than {expected}: {statuses}")
    return used, sum(statuses.values())
