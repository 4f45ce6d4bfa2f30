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

Each area's digest is a ``meta`` row of its own (key ``tally_digest:<area>``, migration 0013).
Why: they were one JSON document of every area's digest (115 KB for Peru's 2,000 areas), read
and rewritten whole by every append, so every group commit of a few clerks' entries sent the
server 115 KB to store (compressed, TOASTed, logged in its write-ahead log) and read it back:
about as long as the rest of the group's write. Now an append writes the digests of the rows it
changed and reads none.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from escrutinio.domain.errors import StoreError

DIGESTS = "tally_digests"
"""The key of the digests as one JSON document (before migration 0013)."""
PREFIX = "tally_digest:"
"""The key of an area's digest is this and its code (:func:`key_of`)."""
KEY_LENGTH = 64
"""``meta.key``'s length: a longer area's key names it by a hash of its code."""
HEAD = "projection_head"
PART = 500
"""Areas whose digests are read by key at most (one IN list); more are read all together."""


class ProjectionMismatch(StoreError):
    """A projected figure that is not what the projection wrote at the log head."""


def area_digest(area: str, counts: str) -> str:
    """The digest of one stored area row (its code and its packed counts text)."""
    return hashlib.sha256(f"{area}\n{counts}".encode()).hexdigest()[:32]


def key_of(area: str) -> str:
    """The ``meta`` key of ``area``'s digest: PREFIX and the code, or ``#`` and a hash of the
    code when that would not fit the key (area codes may be twice as long) or could be taken
    for such a hash."""
    if len(PREFIX) + len(area) <= KEY_LENGTH and not area.startswith("#"):
        return PREFIX + area
    return f"{PREFIX}#{hashlib.sha256(area.encode()).hexdigest()[: KEY_LENGTH - len(PREFIX) - 1]}"


def digests_of(rows: Iterable[Sequence[Any]]) -> dict[str, str]:
    return {area: area_digest(area, counts) for area, counts in rows}


def write(conn: Any, changed: Iterable[Sequence[Any]], seq: int, head: str) -> None:
    """Record the digests of the rows an append changed and the head it reached (in its
    transaction). Nothing is read: the write can go with others in one round trip
    (``engine.pipelined``)."""
    from escrutinio.store.engine import placeholders, run_many

    rows = [(HEAD, f"{seq} {head}"), *((key_of(area), digest) for area, digest in digests_of(changed).items())]
    sql = f"INSERT INTO meta (key, value) VALUES ({placeholders(conn, 2)}) ON CONFLICT (key) DO UPDATE SET value = excluded.value"
    run_many(conn, sql, rows)


def recorded(ask: Callable[[str, Sequence[Any]], list[Any]], wanted: Sequence[str] | None) -> tuple[dict[str, str], str | None]:
    """The digests recorded for the areas ``wanted`` (None: every area), by key (:func:`key_of`),
    and the stated head, read through ``ask(sql, params)`` (``?`` marks: the reader's ``rows``)."""
    if wanted is not None and len(wanted) < PART:
        keys = [HEAD, *(key_of(area) for area in wanted)]
        found = ask(f"SELECT key, value FROM meta WHERE key IN ({', '.join('?' * len(keys))})", keys)
    else:
        sql = "SELECT key, value FROM meta WHERE key IN (?) OR substr(key, 1, ?) = ?"
        found = ask(sql, (HEAD, len(PREFIX), PREFIX))
    digests = {key: value for key, value in found if key.startswith(PREFIX)}
    return digests, next((value for key, value in found if key == HEAD), None)


def check(
    rows: Sequence[Sequence[Any]],
    wanted: Iterable[str] | None,
    recorded: Mapping[str, str],
    stated_head: str | None,
    head: tuple[int, str],
) -> None:
    """Refuse tallies that differ from what the projection wrote at the log's head.

    ``rows``: the (area, counts) rows read; ``wanted``: the areas the read asked for (a row
    that is recorded but missing was deleted), None for every area recorded; ``recorded``:
    the digests by key (:func:`recorded`); ``stated_head``: the ``projection_head`` value;
    ``head``: the log's (seq, hash).
    """
    seq, hash_ = head
    if seq and stated_head != f"{seq} {hash_}":
        written = f"event {stated_head.split()[0]}" if stated_head else "no head at all"
        raise ProjectionMismatch(
            f"the results tables were projected at {written}, but the log ends at event {seq} ({hash_[:16]}…): "
            "they were changed outside escrutinio; no figure is printed (rebuild the store from the log: escrutinio verify)"
        )
    for area, counts in rows:
        if recorded.get(key_of(area)) != area_digest(area, counts):
            _refuse(area, seq, hash_)
    read = {key_of(area) for area, _ in rows}
    if wanted is None:
        for key in recorded:
            if key not in read:
                _refuse(key[len(PREFIX) :], seq, hash_)
        return
    for area in wanted:
        if key_of(area) in recorded and key_of(area) not in read:
            _refuse(area, seq, hash_)


def _refuse(area: str, seq: int, hash_: str) -> None:
    raise ProjectionMismatch(
        f"the tally of area {area} is not the one projected from the log at its head (event {seq}, {hash_[:16]}…): "
        "it was changed outside escrutinio; no figure is printed (escrutinio verify rebuilds every figure from the log)"
    )
