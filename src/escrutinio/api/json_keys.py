"""A JSON body that names one key twice in an object is refused, not read as its last value.

Why: RFC 8259 leaves a repeated name's meaning to the reader, and every parser here (orjson,
pydantic) keeps the last one quietly: ``{"votes": {"PL": 3, "FP": 139, "PL": 77}}`` was taken
as 77 votes for PL, a figure the clerk may never have meant (a slip, or a body patched by
appending). The request is refused instead, naming the key (``body.votes.PL``).

Cheap on the way of every entry: a valid document has one ``:`` after each key it spells,
plus any inside strings; when the text holds no more ``:`` than the parsed document has keys,
no key was dropped, so nothing repeats (one ``str.count`` and a walk over the body's few
objects). Only otherwise is the text read again, keeping every pair, to find the repeat.
"""

from __future__ import annotations

import json
from typing import Any

Path = tuple[str | int, ...]


def repeated_key(text: str, parsed: Any) -> Path | None:
    """Where in ``text`` (a JSON document, ``parsed`` as any parser reads it) an object names a
    key twice: the path to the key (``("votes", "PL")``), or None when none does."""
    if text.count(":") == _keys(parsed):
        return None
    return _find(json.loads(text, object_pairs_hook=_Pairs), ())


def _keys(value: Any) -> int:
    """The keys of every object in ``value`` (as orjson reads it: exact dicts and lists; tested
    by ``type is``, a third of the time ``isinstance`` took over an entry's body)."""
    kind = type(value)
    if kind is dict:
        count, inner = len(value), value.values()
    elif kind is list:
        count, inner = 0, value
    else:
        return 0
    for v in inner:
        kind = type(v)
        if kind is dict or kind is list:
            count += _keys(v)
    return count


class _Pairs(dict[str, Any]):
    """An object as read with every pair kept: ``repeated`` the first key named twice."""

    def __init__(self, pairs: list[tuple[str, Any]]) -> None:
        super().__init__(pairs)
        self.repeated: str | None = None
        if len(self) < len(pairs):
            seen: set[str] = set()
            self.repeated = next(k for k, _ in pairs if k in seen or seen.add(k) is not None)


def _find(value: Any, at: Path) -> Path | None:
    if isinstance(value, _Pairs):
        if value.repeated is not None:
            return (*at, value.repeated)
        items: Any = value.items()
    elif isinstance(value, list):
        items = enumerate(value)
    else:
        return None
    for key, inner in items:
        found = _find(inner, (*at, key))
        if found is not None:
            return found
    return None
