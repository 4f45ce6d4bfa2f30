"""One table's point look-ups: what deciding a clerk's entry reads, in ONE indexed query.

Why: a sheet entry asks about one table (is it on the roll, its electors, the state of its
current sheet, its entries so far). Asked through the whole-frame reads of
:mod:`escrutinio.store.current` (every chunk's rows joined, the current sheets collected,
sorted and made unique) that cost more than the rest of the request under load; here it is
one query returning a few rows, and the chunks, which never change once written, are turned
once per process into dictionaries by table (:func:`roll_index`, :func:`sheet_index`), rebuilt
only when the list of chunks changes (a roll registered or a file loaded later).

The answers are the same as the frame reads': a table's roll entry is the first chunk row
that names it; its current sheet is its newest (version, event) among the chunks and the
``current`` rows, a row winning a tie with a chunk (see :func:`escrutinio.store.current.newest`).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from escrutinio.domain import table_frame as tf
from escrutinio.store import chunks
from escrutinio.store.engine import mark

RollEntry = tuple[str | None, int | None]
"""A table's (area, electors) on the roll."""
SheetEntry = tuple[int, int, str]
"""A table's newest sheet among the chunks: (version, event, state)."""


def entry_state(conn: Any, cache: dict[str, Any], table: str) -> tuple[RollEntry | None, str | None, list[Sequence[Any]]]:
    """``table``'s roll entry (None: not on the roll), the state of its current sheet (None:
    it has none) and its intake events as ``events`` rows (seq, type, at, actor, data, prev,
    hash) and the entry's ``sealed`` figures (None: a scan, or none kept), oldest first: one
    query, so one snapshot, and a few rows.

    The query also lists the chunks (their seq, kind and hash: no blob is read), which is how
    a process knows its dictionaries of the roll and of the loaded sheets are still whole."""
    m = mark(conn)
    sql = (
        "SELECT 0, seq, NULL, kind, hash, NULL, NULL, NULL, NULL, NULL FROM chunks"
        f" UNION ALL SELECT 1, version, seq, state, NULL, NULL, NULL, NULL, NULL, NULL FROM sheets WHERE table_id = {m}"
        " AND current = 1"
        " UNION ALL SELECT 2, e.seq, NULL, e.type, e.at, e.actor, e.data, e.prev, e.hash,"
        " (SELECT s.sealed FROM sheet_entries s WHERE s.seq = e.seq) FROM events e"
        f" WHERE e.seq IN (SELECT seq FROM sheet_entries WHERE table_id = {m}"
        f" UNION ALL SELECT seq FROM sheet_images WHERE table_id = {m})"
        " ORDER BY 1, 2, 3"
    )
    listed: dict[str, list[tuple[int, str]]] = {chunks.ROLL: [], chunks.SHEETS: []}
    newest: tuple[int, int, str] | None = None
    events: list[Sequence[Any]] = []
    for part, number, seq, text, *rest in conn.exec_driver_sql(sql, (table, table, table)).fetchall():
        if part == 0:
            listed.setdefault(text, []).append((number, rest[0]))
        elif part == 1:
            if newest is None or (number, seq) >= newest[:2]:
                newest = (number, seq, text)
        else:
            events.append((number, text, *rest))
    roll = roll_index(conn, cache, listed[chunks.ROLL]).get(table)
    loaded = sheet_index(conn, cache, listed[chunks.SHEETS]).get(table)
    if loaded is not None and (newest is None or loaded[:2] > newest[:2]):  # a row wins a tie
        newest = loaded
    return roll, newest[2] if newest is not None else None, events


def held_roll_index(cache: dict[str, Any]) -> dict[str, RollEntry] | None:
    """The roll index this process last built (None: none yet), without asking whether the
    store has more chunks since: a guess of where tables lie (``store.read_ahead``), never an
    answer."""
    found = cache.get(f"index:{chunks.ROLL}")
    return found[1] if found is not None else None


def roll_index(conn: Any, cache: dict[str, Any], listed: Sequence[tuple[int, str]]) -> dict[str, RollEntry]:
    """Each table on the roll with its (area, electors), from the roll's chunks ``listed``."""

    def build(found: list[chunks.Chunk]) -> dict[str, RollEntry]:
        index: dict[str, RollEntry] = {}
        for c in found:
            f = c.frame
            for table, area, electors in zip(f["table"].to_list(), f["area"].to_list(), f[tf.ELECTORS].to_list(), strict=True):
                index.setdefault(table, (area, electors))  # the first registration holds
        return index

    return _index(conn, cache, chunks.ROLL, listed, build)


def sheet_index(conn: Any, cache: dict[str, Any], listed: Sequence[tuple[int, str]]) -> dict[str, SheetEntry]:
    """Each table with a sheet in the sheets' chunks ``listed``, with its newest there."""

    def build(found: list[chunks.Chunk]) -> dict[str, SheetEntry]:
        index: dict[str, SheetEntry] = {}
        for c in found:
            f = c.frame
            columns = (f[name].to_list() for name in ("table", "version", "seq", "state"))
            for table, version, seq, state in zip(*columns, strict=True):
                held = index.get(table)
                if held is None or (version, seq) >= held[:2]:  # a later chunk wins a tie
                    index[table] = (version, seq, state)
        return index

    return _index(conn, cache, chunks.SHEETS, listed, build)


def _index(conn: Any, cache: dict[str, Any], kind: str, listed: Sequence[tuple[int, str]], build: Any) -> dict[str, Any]:
    """The dictionary ``build`` makes of the chunks ``listed``, kept in ``cache`` for as long as
    the chunks are the same ones (a chunk's hash names it: a new chunk is a new list)."""
    name = f"index:{kind}"
    held = tuple(digest for _, digest in listed)
    found = cache.get(name)
    if found is not None and found[0] == held:
        return found[1]
    with cache.setdefault(f"{name}:lock", threading.Lock()):  # one thread builds it while the others wait
        found = cache.get(name)
        if found is None or found[0] != held:
            found = (held, build(chunks.read(conn, kind, cache, listed) if listed else []))
            cache[name] = found
    return found[1]
