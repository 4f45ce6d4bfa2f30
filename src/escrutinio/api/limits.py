"""Request size limit: a body over the configured size is refused with 413 before a route sees it.

Why at the ASGI level: a route (or FastAPI's body parsing) would read the whole body into memory
first; here a declared ``Content-Length`` over the limit is refused without reading a byte, and a
body sent without one (chunked) is counted as it arrives and cut off at the limit.
"""

from __future__ import annotations

from typing import Any

import orjson

from escrutinio.api import DEFAULT_MAX_BODY
from escrutinio.api.errors import error_body

Scope = dict[str, Any]
Message = dict[str, Any]


class _TooLarge(Exception):
    pass


class BodyLimit:
    """ASGI middleware refusing request bodies over ``max_body`` bytes with 413 JSON."""

    def __init__(self, app: Any, max_body: int = DEFAULT_MAX_BODY) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_body:
            await self._refuse(send, f"the body declares {declared} bytes")
            return
        seen = 0
        started = False

        async def counted() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.max_body:
                    raise _TooLarge
            return message

        async def tracked(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, counted, tracked)
        except _TooLarge:
            if not started:
                await self._refuse(send, f"the body exceeds {self.max_body} bytes")

    async def _refuse(self, send: Any, what: str) -> None:
        body = orjson.dumps(
            error_body(f"body: {what}; at most {self.max_body} bytes are accepted", field="body", rule="too_large")
        )
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        headers.append((b"connection", b"close"))  # the rest of the body is not read
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def _content_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", ()):
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None
