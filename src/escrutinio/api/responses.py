"""The API's JSON response: orjson, as the CLI's ``--format json`` writes it.

Why our own class: the same encoder as the CLI (integers stay integers, non-string keys allowed)
so that an API answer and ``escrutinio ... --format json`` hold the same values; and FastAPI's
own orjson response is deprecated.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import JSONResponse


class JSON(JSONResponse):
    """``application/json`` encoded by orjson (a ``JSONResponse``, so that FastAPI documents a
    route's 200 by the type it returns rather than as a string)."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return self.encode(content)

    @staticmethod
    def encode(content: Any) -> bytes:
        """The body of ``JSON(content)``."""
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)

    @staticmethod
    def headers_of(body: bytes) -> list[tuple[bytes, bytes]]:
        """The headers of a ``JSON`` response with ``body`` and no headers of its own, as
        Starlette makes them (``init_headers``): for an answer sent without building the
        response object (``api/hot_writes.py``)."""
        return [(b"content-length", str(len(body)).encode("latin-1")), (b"content-type", b"application/json")]
