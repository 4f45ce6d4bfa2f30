"""Request size limit: a body over the configured size is refused with 413 before a route sees it.

Why at the ASGI level: a route (or FastAPI's body parsing) would read the whole body into memory
first; here a declared ``Content-Length`` over the limit is refused without reading a byte, and a
body sent without one (``Transfer-Encoding: chunked``) is read here, counted as it arrives and
refused with 413 as soon as it passes the limit; under the limit it is handed to the route as if
it had just arrived. (Counting while the route reads instead cannot answer 413: FastAPI turns
any failure while it reads a body into its own 400.)
"""

from __future__ import annotations

from typing import Any

import orjson

from escrutinio.api import DEFAULT_MAX_BODY
from escrutinio.api.errors import error_body

Scope = dict[str, Any]
Message = dict[str, Any]


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
        if declared is None and _header(scope, b"transfer-encoding") is not None:
            chunks: list[bytes] = []
            seen = 0
            while True:
                message = await receive()
                if message["type"] != "http.request":
                    return  # the client went away before the body ended
                chunk = message.get("body", b"")
                seen += len(chunk)
                if seen > self.max_body:
                    await self._refuse(send, f"the body exceeds {self.max_body} bytes")
                    return
                chunks.append(chunk)
                if not message.get("more_body", False):
                    break
            receive = replay(b"".join(chunks), receive)
        await self.app(scope, receive, send)

    async def _refuse(self, send: Any, what: str) -> None:
        body = orjson.dumps(
            error_body(f"body: {what}; at most {self.max_body} bytes are accepted", field="body", rule="too_large")
        )
        headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
        headers.append((b"connection", b"close"))  # the rest of the body is not read
        await send({"type": "http.response.start", "status": 413, "headers": headers})
        await send({"type": "http.response.body", "body": body})


def replay(body: bytes, receive: Any) -> Any:
    """A ``receive`` that gives the body read already, then whatever the client sends next
    (a disconnect, which a streaming answer listens for)."""
    given = False

    async def replayed() -> Message:
        nonlocal given
        if not given:
            given = True
            return {"type": "http.request", "body": body, "more_body": False}
        message: Message = await receive()
        return message

    return replayed


def _header(scope: Scope, wanted: bytes) -> bytes | None:
    for name, value in scope.get("headers", ()):
        if name == wanted:
            return bytes(value)
    return None


def _content_length(scope: Scope) -> int | None:
    value = _header(scope, b"content-length")
    if value is None:
        return None
    try:
        return int(value)
    except ValueError:
        return None
