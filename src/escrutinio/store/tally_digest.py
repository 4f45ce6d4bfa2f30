"""Digests of the area tallies, written with the log head they were projected at, so a figure
read from ``area_tally`` is refused unless it is the one the projection wrote.

``results`` and ``status`` print figures from ``area_tally`` and name the log head they come
from. An SQL update to that table (30,000 votes moved from one choice to another) would
change the published figure while the printed head stayed the same. Each append therefore
records, in the same transaction, a digest of every area row it changed (``meta`` key
``tally_digests``) and the head it reached (``projection_head``); a reader recomputes the
digest of each row it reads and compares (a hash per row read: cheap, however large the
store). It guards against a projection changed behind the log's back, not against someone
who rewrites the digests too: ``escrutinio verify`` rebuilds every figure from the log.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import orjson

from escrutinio.domain.errors import StoreError

DIGESTS = "tally_digests"
HEAD = "projection_head"


class ProjectionMismatch(StoreError):
    """A projected figure that is not what the projection wrote at the log head."""


def area_digest(area: str, counts: str) -> str:
    """The digest of one stored area row (its code and its packed counts text)."""
    return hashlib.sha256(f"{area}\n{counts}".encode()).hexdigest()[:32]


def digests_of(rows: Iterable[Sequence[Any]]) -> dict[str, str]:
    return {area: area_digest(area, counts) for area, counts in rows}


def write(conn: Any, changed: Iterable[Sequence[Any]], seq: int, head: str, stored: str | None) -> None:
    """Record the digests of the rows an append changed and the head it reached (in its transaction).

    ``stored``: the digests as stored (None: none yet), read by the caller with the rows it
    changes (``projection.tally_rows``): nothing is read here, so the write can go with others
    in one round trip (``engine.pipelined``)."""
    from escrutinio.store.engine import placeholders, run_many

    updates = digests_of(changed)
    rows = [(HEAD, f"{seq} {head}")]
    if updates:
        digests = orjson.loads(stored) if stored else {}
        digests.update(updates)
        rows.append((DIGESTS, orjson.dumps(digests, option=orjson.OPT_SORT_KEYS).decode()))
    sql = f"INSERT INTO meta (key, value) VALUES ({placeholders(conn, 2)}) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    run_many(conn, sql, rows)


def check(
    rows: Sequence[Sequence[Any]],
    wanted: Iterable[str] | None,
    recorded: Mapping[str, str],
    stated_head: str | None,
    head: tuple[int, str],
) -> None:
    """Refuse tallies that differ from what the projection wrote at the log's head.

    ``rows``: the (area, counts) rows read; ``wanted``: the areas the read asked for (a row
    that is recorded but missing was deleted); ``recorded``: the digests; ``stated_head``: the
    ``projection_head`` value; ``head``: the log's (seq, hash).
    """
    seq, hash_ = head
    if seq and stated_head != f"{seq} {hash_}":
        written = f"event {stated_head.split()[0]}" if stated_head else "no head at all"
        raise ProjectionMismatch(
            f"the results tables were projected at {written}, but the log ends at event {seq} ({hash_[:16]}…): "
            "they were changed outside escrutinio; no figure is printed (rebuild the store from the log: escrutinio verify)"
        )
    for area, counts in rows:
        if recorded.get(area) != area_digest(area, counts):
            _refuse(area, seq, hash_)
    read = {area for area, _ in rows}
    for area in wanted or ():
        if area in recorded and area not in read:
            _refuse(area, seq, hash_)


def _refuse(area: str, seq: int, hash_: str) -> None:
    raise ProjectionMismatch(
        f"the tally of area {area} is not the one projected from the log at its head (event {seq}, {hash_[:16]}…): "
        "it was changed outside escrutinio; no figure is printed (escrutinio verify rebuilds every figure from the log)"
    )
