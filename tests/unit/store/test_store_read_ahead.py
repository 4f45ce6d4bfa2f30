"""What a group commit reads with the write lock (``store.read_ahead``) is planned from the
events before they are checked: a malformed one is refused alone, never its whole group."""

from __future__ import annotations

from pathlib import Path

from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.ledger.events import EventType
from escrutinio.ledger.pending import PendingEvent
from escrutinio.store import read_ahead
from escrutinio.store.group_commit import GroupRequest


def _sheets(table: str) -> dict:
    counts = {"cast": [220], "blank": [0], "null": [18], "challenged": [0]}
    return {"table": [table], "version": [2], "state": ["counted"], "reasons": [""], "basis": ["ruling"], "line": [None]} | counts


def test_a_malformed_sheet_event_is_refused_alone(db_url: str, tmp_path: Path) -> None:
    with Session(db_url) as s:
        s.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
        good = {"sheets": _sheets("000001") | {"votes": {"PL": [115], "FP": [87]}}}
        bad = {"sheets": "not columns"}
        requests = [GroupRequest([PendingEvent(EventType.SHEETS_RECORDED, d)], "judge", None, []) for d in (bad, good)]
        assert read_ahead.plan([r.pending for r in requests], {}) == read_ahead.Ahead(["000001"], [])
        refused, written = s.store.write_group(requests)
        assert isinstance(refused, BaseException)
        assert isinstance(written, list) and written[0].type == EventType.SHEETS_RECORDED
        assert s.store.sheet_versions("000001")[-1]["version"] == 2
