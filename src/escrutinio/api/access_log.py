"""The access log of ``serve --access-log`` without the values of query strings.

Why: a query string can carry what must never be written down. A client that sends its token as
``?token=...`` is refused (422 ``unknown_parameter``: tokens go in the ``Authorization``
header), but Uvicorn logs every request line as it arrived, the token with it, in a log that
operators keep, ship and share. Tokens are never logged (issue 10), so the access log keeps each
parameter's name (what was asked: ``/results?level=…&area=…``) and drops every value.
"""

from __future__ import annotations

import copy
import logging
from typing import Any

ACCESS_LOGGER = "uvicorn.access"
HIDDEN = "…"
"""What stands in the log for a query parameter's value."""


def redacted(target: str) -> str:
    """A request target with its query's values hidden: ``/a?token=x&b=1`` -> ``/a?token=…&b=…``."""
    path, mark, query = target.partition("?")
    if not mark:
        return target
    names = (part.partition("=")[0] for part in query.split("&"))
    return f"{path}?{'&'.join(f'{name}={HIDDEN}' for name in names)}"


class RedactQuery(logging.Filter):
    """A filter on Uvicorn's access logger: the request target of each line (the third of the
    record's arguments: client, method, target, HTTP version, status) with no query value."""

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and len(args) >= 3 and isinstance(args[2], str) and "?" in args[2]:
            record.args = (*args[:2], redacted(args[2]), *args[3:])
        return True


def log_config() -> dict[str, Any]:
    """Uvicorn's logging configuration with :class:`RedactQuery` on its access logger (what
    ``serve`` gives Uvicorn as ``log_config``)."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["redact_query"] = {"()": f"{__name__}.RedactQuery"}
    config["loggers"][ACCESS_LOGGER].setdefault("filters", []).append("redact_query")
    return config
