"""Replay: the state of a canvass rebuilt from its events alone.

``replay`` is what makes the log the truth: it knows nothing of the store, so whoever holds
an exported log gets the same tables, sheets and (through ``count.tally``) the same results.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import polars as pl

from escrutinio.domain.election import Election, election_from_toml
from escrutinio.domain.errors import StoreError
from escrutinio.ledger.events import GENESIS, Event, EventType
from escrutinio.ledger.sheets_payload import current_schema, from_payload

AREA_SCHEMA = {"code": pl.String, "level": pl.Int64, "kind": pl.String, "name": pl.String, "parent": pl.String}
TABLE_SCHEMA = {"table": pl.String, "area": pl.String, "polling_place": pl.String, "electors": pl.Int64, "seq": pl.Int64}


@dataclass
class CanvassState:
    """Everything the events say: the election, its areas and roll, and each table's current sheet."""

    election: Election
    definition: str
    areas: pl.DataFrame
    tables: pl.DataFrame
    sheets: pl.DataFrame
    seq: int = 0
    head: str = GENESIS
    events_by_type: dict[str, int] = field(default_factory=dict)
    case_events: list[Event] = field(default_factory=list)
    """The case events, in order (rebuild the docket with ``ledger.cases.rebuild_cases``)."""


class _Builder:
    """Accumulates frames per event and concatenates once, so replay stays linear."""

    def __init__(self) -> None:
        self.state: CanvassState | None = None
        self.areas: list[pl.DataFrame] = []
        self.tables: list[pl.DataFrame] = []
        self.sheets: list[pl.DataFrame] = []

    def apply(self, event: Event) -> None:
        if event.type == EventType.ELECTION_DEFINED:
            if self.state is not None:
                raise StoreError(f"event {event.seq}: a second election.defined event")
            text = event.data["definition"]
            election = election_from_toml(f"event {event.seq}", text)
            self.state = CanvassState(
                election,
                text,
                pl.DataFrame(schema=AREA_SCHEMA),
                pl.DataFrame(schema=TABLE_SCHEMA),
                pl.DataFrame(schema=current_schema(election)),
            )
        elif self.state is None:
            raise StoreError(f"event {event.seq}: the log must start with election.defined")
        elif event.type == EventType.AREAS_REGISTERED:
            self.areas.append(pl.DataFrame(event.data["areas"], schema=AREA_SCHEMA))
        elif event.type == EventType.TABLES_REGISTERED:
            t = event.data["tables"]
            self.tables.append(pl.DataFrame({**t, "seq": [event.seq] * len(t["table"])}, schema=TABLE_SCHEMA))
        elif event.type == EventType.SHEETS_RECORDED:
            self.sheets.append(from_payload(event.data["sheets"], self.state.election, event.seq))
        elif event.type in EventType.CASE_EVENTS:
            self.state.case_events.append(event)
        assert self.state is not None
        self.state.seq = event.seq
        self.state.head = event.hash
        self.state.events_by_type[event.type] = self.state.events_by_type.get(event.type, 0) + 1

    def finish(self) -> CanvassState:
        if self.state is None:
            raise StoreError("the log is empty: no election.defined event")
        s = self.state
        s.areas = pl.concat([s.areas, *self.areas]) if self.areas else s.areas
        s.tables = pl.concat([s.tables, *self.tables]) if self.tables else s.tables
        if self.sheets:
            # The latest record of a table wins: events are in order, so keep the last row.
            s.sheets = pl.concat([s.sheets, *self.sheets]).unique(subset=["table"], keep="last", maintain_order=True)
        return s


def replay(events: Iterable[Event]) -> CanvassState:
    """Rebuild the canvass state from events (already verified for their chain)."""
    builder = _Builder()
    for event in events:
        builder.apply(event)
    return builder.finish()
