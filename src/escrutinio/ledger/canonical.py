"""Canonical JSON: the exact bytes that are hashed, so anyone can recompute every hash.

Rules: UTF-8; object keys sorted; no whitespace; integers and strings only (a float in an event
is a bug: votes are integers end to end, and a float's text form is not canonical across
languages). orjson implements the encoding; :func:`check_no_floats` guards the last rule where
data comes from outside.
"""

from __future__ import annotations

from typing import Any

import orjson

OPTIONS = orjson.OPT_SORT_KEYS


def canonical(obj: Any) -> bytes:
    """The canonical encoding of ``obj``."""
    return orjson.dumps(obj, option=OPTIONS)


def parse(data: bytes | str) -> Any:
    return orjson.loads(data)


def check_no_floats(obj: Any, path: str = "") -> None:
    """Refuse a float anywhere in ``obj`` (naming where), for data arriving from users."""
    if isinstance(obj, float):
        raise ValueError(f"{path or 'value'}: floats are not allowed in events (use integers or strings)")
    if isinstance(obj, dict):
        for k, v in obj.items():
            check_no_floats(v, f"{path}.{k}" if path else str(k))
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            check_no_floats(v, f"{path}[{i}]")
