"""Canonical JSON: the exact bytes that are hashed, so anyone can recompute every hash.

Rules: UTF-8; object keys sorted; no whitespace; integers and strings only (a float in an event
is a bug: votes are integers end to end, and a float's text form is not canonical across
languages). orjson implements the encoding; :func:`check_no_floats` guards the last rule where
data comes from outside.
"""

from __future__ import annotations

from typing import Any

import orjson

from escrutinio.domain.errors import RuleError

OPTIONS = orjson.OPT_SORT_KEYS


INTEGER_RANGE = (-(2**63), 2**64 - 1)
"""The integers canonical JSON holds (orjson's, and a database's 64-bit column's order)."""


def canonical(obj: Any) -> bytes:
    """The canonical encoding of ``obj``.

    An integer beyond 64 bits is refused as a :class:`RuleError` naming where it is (a figure
    nothing upstream bounded), never an encoder's ``TypeError``: the action is bad input and
    is refused with nothing written, not a failure of the server."""
    try:
        return orjson.dumps(obj, option=OPTIONS)
    except TypeError:
        where = _oversized(obj, "")
        if where is None:
            raise
        raise RuleError(f"{where}: a number beyond 64 bits cannot be recorded", field=where) from None


def _oversized(obj: Any, path: str) -> str | None:
    """The path of the first integer beyond :data:`INTEGER_RANGE` in ``obj`` (None: none)."""
    if isinstance(obj, int) and not isinstance(obj, bool):
        return None if INTEGER_RANGE[0] <= obj <= INTEGER_RANGE[1] else (path or "value")
    items = obj.items() if isinstance(obj, dict) else enumerate(obj) if isinstance(obj, list | tuple) else ()
    for key, value in items:
        found = _oversized(value, f"{path}[{key}]" if isinstance(key, int) else f"{path}.{key}" if path else str(key))
        if found is not None:
            return found
    return None


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
