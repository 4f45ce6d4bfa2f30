"""What a write of a few sheets will read, asked for together with the write lock.

Why: a group commit of clerks' entries read, one round trip after the other, the write lock
and the head, the current rows of the tables it sheets, then the tallies of the areas above
them and the stored tally digests. On a busy server each round trip is also a wait for the
GIL (the thread gives it up while the server answers, and every request thread wants it), in
the one thread every clerk's request waits for. Those reads need nothing the lock guards to
be known in advance: the tables are in the events, the areas above them in the process's
index of the roll and lineage of the areas. So they go to the server with the lock, in one
round trip (``engine.locked_reads``), each a statement of its own, read after the lock.

What is read ahead is the state under the lock, as if read when needed: the write itself
changes no area's tally before its last statement, and the projection reads a table's rows
again (:meth:`ReadAhead.rows_of`) once the write has written rows of it. An area the index
did not name (a roll registered since the process built it) is read when needed, as before.

An entry the committer decides (``store.entries``) has its table's entries read here too, with
its current rows and the tallies above it: its sheet is known only once it is decided.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from escrutinio.ledger.events import EventType
from escrutinio.ledger.pending import PendingEvent
from escrutinio.store import lookup
from escrutinio.store.current import current_rows_sql
from escrutinio.store.engine import placeholders

PART = 500
"""Tables, and areas, read ahead at most (one IN list each): a larger write reads as it goes."""


@dataclass(frozen=True)
class Ahead:
    """The tables a write sheets and the areas their tallies are kept in; ``entered``: the
    tables of the entries the committer decides (their entries are read too)."""

    tables: list[str]
    areas: list[str]
    entered: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class ReadAhead:
    """What was read with the lock: the current ``sheets`` rows of ``tables`` and the stored
    tallies of ``areas`` (an area without a row has none yet)."""

    tables: frozenset[str]
    sheet_rows: list[Sequence[Any]]
    areas: frozenset[str]
    tallies: dict[str, str]
    entered: frozenset[str] = frozenset()
    entry_rows: dict[str, list[Sequence[Any]]] = field(default_factory=dict)
    """The entry events of the ``entered`` tables (``events`` rows), oldest first, by table."""

    def entries_of(self, table: str) -> tuple[list[Sequence[Any]], list[Sequence[Any]]] | None:
        """``table``'s entry events and its current ``sheets`` rows as read with the lock, when
        they were; else None."""
        if table not in self.entered:
            return None
        return self.entry_rows.get(table, []), [r for r in self.sheet_rows if r[0] == table]

    def rows_of(self, ids: Sequence[str]) -> list[Sequence[Any]] | None:
        """The current rows of these tables, when all of them were read ahead; else None."""
        if not self.tables.issuperset(ids):
            return None
        wanted = set(ids)
        return [r for r in self.sheet_rows if r[0] in wanted]


def plan(requests: Iterable[Sequence[PendingEvent]], cache: dict[str, Any], entered: Sequence[str] = ()) -> Ahead | None:
    """The tables the small sheet events of these appends sheet, and the areas above them
    the process's roll index and lineage name (None: nothing to read ahead); ``entered``: the
    tables of entries to decide, whose sheets are not known yet (all of them are read)."""
    entered = sorted(set(entered))
    tables: set[str] = set(entered)
    for pending in requests:
        for p in pending:
            if p.type == EventType.SHEETS_RECORDED and p.frame is None and isinstance(p.data, dict):
                # Read before the events are checked: a malformed one must not fail its whole group
                # here (it is refused later, alone, by the write's own checks).
                sheets = p.data.get("sheets")
                named = sheets.get("table") if isinstance(sheets, dict) else None
                if isinstance(named, list):
                    tables.update(t for t in named if isinstance(t, str))
    if not tables or len(tables) > PART:
        return None
    entered = entered if len(entered) <= PART else []
    index = lookup.held_roll_index(cache)
    held = cache.get("ancestors")
    areas: set[str] = set()
    if index is not None and held is not None:
        above: dict[str, tuple[str, ...]] = held[1]
        for table in tables:
            place = index.get(table)
            if place is not None and place[0] is not None:
                areas.update(above.get(place[0], ()))
    return Ahead(sorted(tables), sorted(areas) if len(areas) <= PART else [], entered)


def queries(conn: Any, ahead: Ahead) -> list[tuple[str, Sequence[Any]]]:
    """The queries (tables' current rows; areas' tallies; the entries of the tables entered,
    if any), for the lock's round trip."""
    asked = [(current_rows_sql(conn, len(ahead.tables)), ahead.tables), tally_query(conn, ahead.areas)]
    if ahead.entered:
        asked.append((entries_sql(conn, len(ahead.entered)), ahead.entered))
    return asked


def answer(ahead: Ahead, results: Sequence[list[Any]]) -> ReadAhead:
    """:func:`queries`' rows as a :class:`ReadAhead`."""
    sheet_rows, tally_rows, *entry_rows = results
    tallies = {area: counts for area, counts in tally_rows}
    entries: dict[str, list[Sequence[Any]]] = {}
    for row in entry_rows[0] if entry_rows else ():
        entries.setdefault(row[0], []).append(row[1:])
    tables, areas = frozenset(ahead.tables), frozenset(ahead.areas)
    return ReadAhead(tables, sheet_rows, areas, tallies, frozenset(ahead.entered), entries)


def entries_sql(conn: Any, n: int) -> str:
    """The entry events of ``n`` tables, each row (table, seq, type, at, actor, data, prev,
    hash, sealed), oldest first: what ``store.entries.InWrite`` decides entries on."""
    return (
        "SELECT s.table_id, e.seq, e.type, e.at, e.actor, e.data, e.prev, e.hash, s.sealed FROM sheet_entries s"
        f" JOIN events e ON e.seq = s.seq WHERE s.table_id IN ({placeholders(conn, n)}) ORDER BY e.seq"
    )


def tally_query(conn: Any, areas: Sequence[str]) -> tuple[str, Sequence[Any]]:
    """The stored tallies of ``areas`` (at most :data:`PART`; none: a query of no rows)."""
    if not areas:
        return "SELECT area, counts FROM area_tally WHERE 1 = 0", ()
    return f"SELECT area, counts FROM area_tally WHERE area IN ({placeholders(conn, len(areas))})", tuple(areas)
