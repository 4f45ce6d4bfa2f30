"""The shared head watcher reads the store at most once per interval, and forgets what it read
as soon as a request that may write is answered (a client reads its own writes)."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from escrutinio.api.head import ForgetOnWrite, HeadWatch


class CountingSessions:
    """Stands for ``Sessions``: counts the head reads (the watcher's only use of it)."""

    def __init__(self) -> None:
        self.reads = 0

    async def run(self, work: Any) -> dict[str, Any]:
        self.reads += 1
        return {"events": self.reads, "head": "h"}


async def ok(scope: dict, receive: Any, send: Any) -> None:  # type: ignore[type-arg]
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b""})


def test_reads_at_most_once_per_interval_and_forgets_on_writes() -> None:
    async def go() -> list[int]:
        watch, sessions = HeadWatch(fresh=60), CountingSessions()
        seen = [(await watch.head(sessions))["events"] for _ in range(5)]  # type: ignore[arg-type]
        transport = httpx.ASGITransport(app=ForgetOnWrite(ok, watch))
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            await client.get("/")
            seen.append((await watch.head(sessions))["events"])  # type: ignore[arg-type]
            await client.post("/", content=b"x")
            seen.append((await watch.head(sessions))["events"])  # type: ignore[arg-type]
        return seen

    assert asyncio.run(go()) == [1, 1, 1, 1, 1, 1, 2]
