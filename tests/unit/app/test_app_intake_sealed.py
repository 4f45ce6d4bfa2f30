"""The record of a double entry seals the first entry's figures: its event carries a
commitment, the second entry's event reveals figures and salt, and ``verify`` checks that they
open it; a reveal altered (and the chain rebuilt around it) is found; an older record, whose
first entries carried their figures, still verifies. On SQLite and PostgreSQL."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
import pytest
from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.domain.ids import TableId
from escrutinio.domain.roles import Principal, Role
from escrutinio.domain.sheet import TallySheet
from escrutinio.ledger.canonical import canonical
from escrutinio.ledger.events import seal
from escrutinio.ledger.semantic import Discrepancy

FIGURES = {"votes": {"PL": 115, "FP": 87}, "blank": 0, "null": 18, "challenged": 0, "cast": 220}


def sheet(table: str, blank: int = 0, cast: int = 220) -> TallySheet:
    return TallySheet(TableId(table), (115, 87), blank, 18, 0, cast)


def _record(db_url: str, tmp_path: Path) -> list[dict[str, Any]]:
    """A store with table 000001 keyed twice alike and 000002 differently, and 000003 keyed
    once; its exported log as events."""
    with Session(db_url, "admin") as s:
        s.intake.register_roll(write(tmp_path / "a.csv"), "peru-2021-runoff")
    with Session(db_url, Principal("ana", Role.CLERK)) as a, Session(db_url, Principal("beto", Role.CLERK)) as b:
        for table, second in (("000001", {}), ("000002", {"blank": 1, "cast": 221}), ("000003", None)):
            a.intake.submit_sheet(sheet(table), f"a{table}")
            assert a.intake.submit_sheet(sheet(table), f"a{table}").already_done  # a resend, checked by the kept figures
            if second is not None:
                b.intake.submit_sheet(sheet(table, **second), f"b{table}")
        s_log = tmp_path / "log.jsonl"
        a.log.export(s_log)
    return [orjson.loads(line) for line in s_log.read_bytes().splitlines()]


def _verify(events: list[dict[str, Any]], path: Path) -> None:
    """Write ``events`` as a record, the chain rebuilt (each hash and link made anew), and verify it."""
    prev, lines = "0" * 64, []
    for e in events:
        made = seal(e["seq"], e["type"], e["actor"], e["data"], prev, e["at"])
        lines.append(made.line())
        prev = made.hash
    path.write_bytes(b"\n".join(lines) + b"\n")
    with Session(str(path.parent / "none.db")) as s:
        report = s.log.verify(path)
    assert report.ok, report


def test_the_first_entry_is_sealed_and_opened_by_the_second(db_url: str, tmp_path: Path) -> None:
    events = _record(db_url, tmp_path)
    entered = [e for e in events if e["type"] == "sheet.entered"]
    firsts = [e for e in entered if e["data"]["entry"] == 1]
    assert len(firsts) == 3 and all("sheet" not in e["data"] and len(e["data"]["commitment"]) == 64 for e in firsts)
    # The figures nowhere but behind the commitment (a hex digest may hold "115" by chance: 3 % of runs).
    assert b"115" not in canonical([{k: v for k, v in e["data"].items() if k != "commitment"} for e in firsts])
    seconds = {e["data"]["first"]: e["data"] for e in entered if e["data"]["entry"] == 2}
    assert [seconds[e["seq"]]["first_sheet"]["votes"] for e in firsts[:2]] == [{"PL": 115, "FP": 87}] * 2
    with Session(db_url) as s:
        assert s.log.verify(tmp_path / "log.jsonl").ok
        history = s.intake.entries("000002")
    assert [(r["entry"], r["sheet"]["blank"]) for r in history] == [(1, 0), (2, 1)]
    assert not {"first_sheet", "first_salt", "sealed"} & (set(history[0]) | set(history[1]))

    altered = [dict(e, data=dict(e["data"])) for e in events]
    for e in altered:
        if e["type"] == "sheet.entered" and e["data"]["entry"] == 2 and e["data"]["outcome"] == "mismatch":
            e["data"]["first_sheet"] = {**e["data"]["first_sheet"], "blank": 1, "cast": 221}  # "they agreed"
    with pytest.raises(Discrepancy, match="does not open the commitment"):
        _verify(altered, tmp_path / "altered.jsonl")


def test_an_older_record_with_the_figures_in_the_first_entry_verifies(db_url: str, tmp_path: Path) -> None:
    events = _record(db_url, tmp_path)
    revealed = {e["data"]["first"]: e["data"] for e in events if e["type"] == "sheet.entered" and e["data"]["entry"] == 2}
    older = []
    for e in events:
        data = dict(e["data"])
        if e["type"] == "sheet.entered":
            for revealing in ("first_salt", "first_sheet"):
                data.pop(revealing, None)
            if data.pop("commitment", None) is not None:
                data["sheet"] = revealed[e["seq"]]["first_sheet"] if e["seq"] in revealed else FIGURES
        older.append({**e, "data": data})
    _verify(older, tmp_path / "older.jsonl")


def test_a_mismatch_recorded_with_other_figures_than_the_revealed_first_sheet_is_found(db_url: str, tmp_path: Path) -> None:
    """The reveal opens the commitment, every hash holds, yet the sheet the mismatch sent to the
    dispute body is not the first entry's (here the second's, as if the clerks had agreed on
    it): ``verify`` names the sheets.recorded event."""
    events = _record(db_url, tmp_path)
    mismatch = next(e for e in events if e["type"] == "sheet.entered" and e["data"].get("outcome") == "mismatch")
    recorded = next(e for e in events if e["type"] == "sheets.recorded" and e["seq"] > mismatch["seq"])
    assert recorded["data"]["source"] == {"double_entry": mismatch["data"]["first"]}
    assert recorded["data"]["sheets"]["blank"] == [0]  # the first entry's figures, as decided
    forged = [dict(e, data=dict(e["data"])) for e in events]
    at = next(i for i, e in enumerate(forged) if e["seq"] == recorded["seq"])
    sheets = {**recorded["data"]["sheets"], "blank": [1], "cast": [221]}  # the second entry's
    forged[at]["data"] = {**recorded["data"], "sheets": sheets}
    with pytest.raises(Discrepancy, match="is not the first entry's revealed first_sheet") as found:
        _verify(forged, tmp_path / "forged.jsonl")
    assert found.value.seq == recorded["seq"] and f"event {recorded['seq']}" in str(found.value)
