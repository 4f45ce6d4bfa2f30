"""What a load lets others write between its plan and its write (``intake/written_meanwhile.py``)."""

from __future__ import annotations

from typing import Any

from escrutinio.intake.written_meanwhile import conflict
from escrutinio.ledger.events import Event, EventType


def event(seq: int, type_: str, data: dict[str, Any] | None = None) -> Event:
    return Event(seq, type_, "2021-06-06T20:00:00Z", "clerk:ana", data or {}, "0" * 64, "1" * 64)


def sheets(*tables: str) -> dict[str, Any]:
    return {"source": {"double_entry": 1}, "sheets": {"table": list(tables)}}


def test_entries_scans_accounts_and_other_tables_sheets_leave_the_plan_as_it_was() -> None:
    written = [
        event(5, EventType.SHEET_ENTERED, {"table": "000001"}),
        event(6, EventType.SHEET_IMAGE_ATTACHED, {"table": "000001"}),
        event(7, EventType.SHEETS_RECORDED, sheets("000009")),
        event(8, EventType.ACCOUNT_CREATED),
        event(9, EventType.CASE_OPENED, {"number": "OBS-2"}),
    ]
    assert conflict(written, {"000001", "000002"}, opens_cases=False) is None


def test_a_sheet_of_the_file_a_file_or_a_case_before_the_loads_own_cases_conflict() -> None:
    mine = sheets("000009", "000002")
    assert conflict([event(7, EventType.SHEETS_RECORDED, mine)], {"000002"}, False) == (
        "event 7 (sheets.recorded) recorded a sheet of table 000002, a table of this file"
    )
    bulk = event(8, EventType.SHEETS_RECORDED, {"source": {"file": "x.csv"}})  # its rows are in a chunk
    assert conflict([bulk], {"000002"}, False) == "event 8 (sheets.recorded) may change what this load was planned on"
    assert conflict([event(9, EventType.CASE_OPENED)], {"000002"}, opens_cases=True) is not None
    assert conflict([event(3, EventType.TABLES_REGISTERED)], {"000002"}, False) is not None
