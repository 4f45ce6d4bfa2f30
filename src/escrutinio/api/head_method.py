"""``HEAD`` wherever ``GET`` is allowed: the GET's status and headers, without its body.

Why: HTTP requires it (RFC 9110, 9.3.2), and caches and link checkers revalidate with it; FastAPI
routes a ``GET`` route for GET only, so every public read answered ``HEAD`` with 405. Answered
as the same URL's GET (the kept answer when there is one, ``api/hot.py``), the ETag,
Cache-Control, Content-Type and Content-Length are the GET's, and a 304 to ``If-None-Match``
too. A stream (``/events``) is ended once its headers are sent: its reader is told the client
has gone, as when a browser closes it.
"""

from __future__ import annotations

from typing import Any

Message = dict[str, Any]


class HeadAsGet:
    """ASGI middleware answering ``HEAD`` as the ``GET`` of the same URL, its body dropped."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        sent = False

        async def headers_only(message: Message) -> None:
            nonlocal sent
            if sent or message["type"] != "http.response.start":
                return  # the body (and anything after the answer ended) is not sent
            await send(message)
            await send({"type": "http.response.body", "body": b"", "more_body": False})
            sent = True

        async def until_answered() -> Message:
            return {"type": "http.disconnect"} if sent else await receive()

        await self.app({**scope, "method": "GET"}, until_answered, headers_only)
