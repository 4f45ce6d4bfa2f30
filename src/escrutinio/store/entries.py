"""A clerk's entry decided by the group commit, under the write lock, on the state it reads there.

Why: deciding an entry (first entry, agreeing second entry, mismatch) needs the table's entries
so far and the state of its sheet. Read by the request before it queued for the group commit,
that was a round trip of its own on every entry of election night (waiting for the server and
then for the GIL, among a server's threads), and a decision taken on a state another clerk could
change before the write (hence a check at the write and a retry). Read with the write lock
(``store.read_ahead``), it costs the committer a statement in the round trip it makes anyway,
and the decision cannot be stale: no other writer moves the log meanwhile.

The caller (``app/intake.py``) hands the committer a :class:`Decider`: the table and a function
of the table's :class:`EntryState` that returns the events to append or raises the refusal. The
committer calls it in the group's order: a request of the same group decides on what the
requests before it in the group wrote (:class:`InWrite`), as if it had been written alone after
them. An idempotency key already recorded is answered before the decider is asked.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, NamedTuple

import orjson

from escrutinio.domain.errors import StaleState
from escrutinio.ledger.entry_seal import SEALED
from escrutinio.ledger.events import Event, EventType
from escrutinio.store import chunks, lookup

if TYPE_CHECKING:
    from escrutinio.ledger.pending import PendingEvent
    from escrutinio.store.read_ahead import ReadAhead


class EntryState(NamedTuple):
    """A table as deciding a clerk's entry of it reads it: whether it is on the roll, its
    electors, the state of its current sheet (None: none), its intake events, oldest first
    (the entries; read before the lock, its scans too), and its area on the roll."""

    on_roll: bool
    electors: int | None
    state: str | None
    events: list[Event]
    area: str | None


Decide = Callable[[EntryState], Sequence["PendingEvent"]]
"""The events an entry appends given its table's state; raises the entry's refusal instead."""


@dataclass(frozen=True)
class Decider:
    """An append whose events are decided by the committer: ``decide`` on ``table``'s state."""

    table: str
    decide: Decide


SheetNewest = tuple[int, int, str]
"""A table's newest sheet: (version, event, state)."""


@dataclass
class InWrite:
    """The entry states of one write: read with the lock (``ahead``), else by a query of the
    table on the write's connection, then kept in step with the events sealed in the write
    before (:meth:`sealed`), so that two entries of one table in one group decide in turn."""

    conn: Any
    cache: dict[str, Any]
    listed: dict[str, list[tuple[int, str]]]
    ahead: ReadAhead | None
    to_event: Callable[[Sequence[Any]], Event]
    entries: dict[str, list[Event]] = field(default_factory=dict)
    """Entry events sealed in this write, by table."""
    sheets: dict[str, SheetNewest] = field(default_factory=dict)
    """The newest sheet recorded in this write, by table."""
    unknown: bool = False
    """A file's sheets, or a roll, were sealed in this write (in frames, not followed here): an
    entry decided after them could be decided on a stale state."""

    def state(self, table: str) -> EntryState:
        """``table``'s state as a writer alone after the events sealed so far would read it."""
        if self.unknown:
            raise StaleState(None, 0, "a file's sheets or a roll were written with this entry: nothing was written; retry")
        held = self.ahead.entries_of(table) if self.ahead is not None else None
        if held is not None:
            rows, current = held
            roll = lookup.roll_index(self.conn, self.cache, self.listed.get(chunks.ROLL, [])).get(table)
            newest = _newest(current)
            loaded = lookup.sheet_index(self.conn, self.cache, self.listed.get(chunks.SHEETS, [])).get(table)
            if loaded is not None and (newest is None or loaded[:2] > newest[:2]):  # a row wins a tie
                newest = loaded
            state = newest[2] if newest is not None else None
            events = [entry_event(self.to_event, r) for r in rows]
        else:
            roll, state, found = lookup.entry_state(self.conn, self.cache, table)
            events = [entry_event(self.to_event, r) for r in found]
        area, electors = roll if roll is not None else (None, None)
        mine = self.sheets.get(table)
        if mine is not None:
            state = mine[2]  # sealed in this write: newer than any sheet read
        return EntryState(roll is not None, electors, state, [*events, *self.entries.get(table, [])], area)

    def sealed(self, event: Event, private: dict[str, Any] | None = None) -> None:
        """Keep the states in step with ``event``, sealed in this write (``private``: what its
        projection keeps store-side, a first entry's sealed figures)."""
        if event.type == EventType.SHEET_ENTERED:
            opened = replace(event, data={**event.data, SEALED: private}) if private is not None else event
            self.entries.setdefault(event.data["table"], []).append(opened)
        elif event.type in (EventType.TABLES_REGISTERED, EventType.AREAS_REGISTERED):
            self.unknown = True  # the roll as read with the lock is not whole any more
        elif event.type == EventType.SHEETS_RECORDED:
            sheets = event.data.get("sheets")
            if not isinstance(sheets, dict):
                self.unknown = True
                return
            for table, version, state in zip(sheets["table"], sheets["version"], sheets["state"], strict=True):
                held = self.sheets.get(table)
                if held is None or version >= held[0]:
                    self.sheets[table] = (version, event.seq, state)


def entry_event(to_event: Callable[[Sequence[Any]], Event], row: Sequence[Any]) -> Event:
    """An intake event read with its ``sheet_entries.sealed`` (the row's last column): a first
    entry's kept figures and salt are put in its data under ``SEALED``, for the comparison
    with the second entry only (the data then no longer hashes to the event's hash; no read
    that publishes goes through here)."""
    event = to_event(row[:-1])
    sealed = row[-1]
    return event if sealed is None else replace(event, data={**event.data, SEALED: orjson.loads(sealed)})


def _newest(rows: Sequence[Sequence[Any]]) -> SheetNewest | None:
    """The newest (version, event, state) of a table's current ``sheets`` rows (SHEET_SELECT's)."""
    found = [(r[1], r[11], r[2]) for r in rows]
    return max(found, key=lambda f: f[:2]) if found else None
