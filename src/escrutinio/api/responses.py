"""The API's JSON response: orjson, as the CLI's ``--format json`` writes it.

Why our own class: the same encoder as the CLI (integers stay integers, non-string keys allowed)
so that an API answer and ``escrutinio ... --format json`` hold the same values; and FastAPI's
own orjson response is deprecated.
"""

from __future__ import annotations

from typing import Any

import orjson
from starlette.responses import Response


class JSON(Response):
    """``application/json`` encoded by orjson."""

    media_type = "application/json"

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
