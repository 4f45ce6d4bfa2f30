"""Area tallies as stored: one row per area, its figures as one JSON object of exact integers.

A national load changes some 46,000 (area, figure) pairs across 2,300 areas; one row per area
makes that 2,300 upserts instead of 46,000, and a district-level result reads 1,900 rows
instead of 21,000. Keys are sorted and zeros dropped, so equal tallies are equal text.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import orjson


def unpack(rows: Iterable[Sequence[Any]]) -> list[tuple[str, str, int]]:
    """(area, counts JSON) rows as long (area, key, value) rows."""
    return [(area, key, value) for area, counts in rows for key, value in orjson.loads(counts).items()]


def add(counts: str | None, keys: Sequence[str], values: Sequence[int]) -> str:
    """A stored counts object with these changes added (a key that reaches zero is dropped)."""
    out: dict[str, int] = orjson.loads(counts) if counts else {}
    for key, value in zip(keys, values, strict=True):
        total = out.get(key, 0) + value
        if total:
            out[key] = total
        else:
            out.pop(key, None)
    return orjson.dumps(out, option=orjson.OPT_SORT_KEYS).decode()
