"""``/api/v1/events``: a server-sent-event stream of new event numbers, for live pages.

Why only numbers: a page learns *that* the log moved and then asks for what it shows
(``/changes?since=N`` or the results, whose ETag changed), so the stream carries no figures
that could disagree with the reads. The store's head is read by one shared watcher (``api.head``),
at most a few times a second whatever the number of listeners; each stream sends the head at once, then
each new head, and a comment line as a heartbeat so that proxies keep the connection open. It
ends when the client goes.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Annotated, Any

import orjson
from fastapi import APIRouter, Query, Request
from starlette.responses import StreamingResponse

from escrutinio.api.deps import Reads, Sessions
from escrutinio.api.head import HeadWatch

router = APIRouter(tags=["live"])

POLL = 0.5
"""Seconds between two looks of a stream at the shared head (``api.head``)."""
HEARTBEAT = 15.0
"""Seconds of silence after which a stream sends a comment line."""


def _event(head: dict[str, Any]) -> bytes:
    return b"id: %d\nevent: head\ndata: %s\n\n" % (head["events"], orjson.dumps(head))


async def _stream(request: Request, reads: Sessions, watch: HeadWatch, heartbeat: float) -> AsyncIterator[bytes]:
    sent = -1
    quiet_since = time.monotonic()
    yield b"retry: 2000\n\n"
    while not await request.is_disconnected():
        head = await watch.head(reads)
        if head["events"] != sent:
            sent = head["events"]
            quiet_since = time.monotonic()
            yield _event(head)
        elif time.monotonic() - quiet_since >= heartbeat:
            quiet_since = time.monotonic()
            yield b": heartbeat\n\n"
        await asyncio.sleep(POLL)


@router.get(
    "/events",
    summary="Server-sent events: the number of each new head of the log",
    responses={200: {"content": {"text/event-stream": {"schema": {"type": "string"}}}, "description": "An event stream"}},
)
async def events(
    request: Request,
    reads: Reads,
    heartbeat: Annotated[float, Query(gt=0, le=300, description="Seconds of silence before a heartbeat comment")] = HEARTBEAT,
) -> StreamingResponse:
    """``event: head`` with ``{"events": N, "head": HASH}`` (and ``id: N``) at once and whenever
    the log grows; ``: heartbeat`` comments in between. Follow with ``/changes?since=N``."""
    watch: HeadWatch = request.app.state.head_watch
    await watch.head(reads)  # an unreachable store is a 503 now, not a stream that dies
    headers = {"Cache-Control": "no-cache", "X-Accel-Buffering": "no"}
    return StreamingResponse(_stream(request, reads, watch, heartbeat), media_type="text/event-stream", headers=headers)
