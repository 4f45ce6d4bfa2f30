"""Replay: a canvass's state from its events alone, and pending events' payloads."""

from __future__ import annotations

import polars as pl
import pytest

from escrutinio.domain.errors import StoreError
from escrutinio.formats.definition import load_definition
from escrutinio.ledger.events import GENESIS, Event, EventType, seal
from escrutinio.ledger.pending import PendingEvent
from escrutinio.ledger.sheets_payload import current_schema, from_payload, to_payload
from escrutinio.ledger.state import replay

AT = "2021-06-07T03:00:00.000000Z"


def sheets(tables: list[str], pl_votes: list[int], state: str = "counted") -> dict:
    n = len(tables)
    return {
        "table": tables, "version": [1] * n, "state": [state] * n, "reasons": [""] * n, "basis": ["validation"] * n,
        "line": list(range(2, n + 2)), "cast": [220] * n, "blank": [2] * n, "null": [16] * n, "challenged": [0] * n,
        "votes": {"PL": pl_votes, "FP": [220 - 18 - v for v in pl_votes]},
    }  # fmt: skip


def log(*bodies: tuple[str, dict]) -> list[Event]:
    events, prev = [], GENESIS
    for seq, (type_, data) in enumerate(bodies, start=1):
        events.append(seal(seq, type_, "test", data, prev, at=AT))
        prev = events[-1].hash
    return events


def canvass() -> list[Event]:
    _election, text = load_definition("peru-2021-runoff")
    return log(
        (EventType.ELECTION_DEFINED, {"election": "peru-2021-runoff", "definition": text}),
        (
            EventType.AREAS_REGISTERED,
            {"areas": {"code": ["14"], "level": [1], "kind": ["department"], "name": ["LIMA"], "parent": ["PE"]}},
        ),
        (
            EventType.TABLES_REGISTERED,
            {
                "tables": {
                    "table": ["000001", "000002"],
                    "area": ["14", "14"],
                    "polling_place": [None, None],
                    "electors": [300, 300],
                }
            },
        ),
        (EventType.SHEETS_RECORDED, {"sheets": sheets(["000001", "000002"], [115, 100])}),
        (EventType.SHEETS_RECORDED, {"sheets": sheets(["000002"], [101], state="resolved")}),
    )


def test_replay_rebuilds_the_roll_and_each_table_s_latest_sheet() -> None:
    events = canvass()
    state = replay(events)
    assert state.election.id == "peru-2021-runoff" and (state.seq, state.head) == (5, events[-1].hash)
    assert state.tables.select("table", "area", "seq").rows() == [("000001", "14", 3), ("000002", "14", 3)]
    latest = {r["table"]: (r["state"], r["v_PL"], r["seq"]) for r in state.sheets.iter_rows(named=True)}
    assert latest == {"000001": ("counted", 115, 4), "000002": ("resolved", 101, 5)}
    assert state.events_by_type[EventType.SHEETS_RECORDED] == 2


def test_a_log_must_start_with_its_one_election() -> None:
    events = canvass()
    with pytest.raises(StoreError, match=r"^event 2: the log must start with election\.defined"):
        replay(events[1:])
    with pytest.raises(StoreError, match=r"^event 5: a second election\.defined"):
        replay([*events[:4], Event(5, EventType.ELECTION_DEFINED, AT, "x", events[0].data, events[3].hash, "h")])
    with pytest.raises(StoreError, match="the log is empty"):
        replay([])


def test_a_sheet_payload_round_trips_through_its_frame() -> None:
    election, _text = load_definition("peru-2021-runoff")
    frame = from_payload(sheets(["000001", "000002"], [115, 100]), election, 4)
    assert dict(frame.schema) == current_schema(election) and frame["seq"].to_list() == [4, 4]
    assert to_payload(frame, election) == sheets(["000001", "000002"], [115, 100])


def test_a_pending_bulk_event_builds_its_data_from_its_frame_only_when_asked() -> None:
    built = []
    frame = pl.DataFrame({"table": ["000001"]})

    def make(f: pl.DataFrame) -> dict:
        built.append(f.height)
        return {"tables": f.to_dict(as_series=False)}

    pending = PendingEvent(EventType.TABLES_REGISTERED, frame=frame, make=make)
    assert built == []
    assert pending.payload() == {"tables": {"table": ["000001"]}} and built == [1]
    assert PendingEvent(EventType.CASE_OPENED, {"number": "NUL-000001"}).payload() == {"number": "NUL-000001"}
