"""A record made by double entry verifies: replaying it accepts the sheets the entries
processed (their basis is ``double_entry``), agreed, mismatched or observed by the rules."""

from __future__ import annotations

from pathlib import Path

from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.domain.ids import TableId
from escrutinio.domain.roles import Principal, Role
from escrutinio.domain.sheet import TallySheet


def test_a_record_of_double_entries_verifies(db_url: str, tmp_path: Path) -> None:
    with Session(db_url, "admin") as s:
        s.intake.register_roll(write(tmp_path / "a.csv"), "peru-2021-runoff")
    agreed = TallySheet(TableId("000001"), (115, 87), 0, 18, 0, 220)
    broken = TallySheet(TableId("000002"), (115, 87), 0, 18, 0, 221)
    keyed = TallySheet(TableId("000003"), (115, 87), 0, 18, 0, 220)
    differing = TallySheet(TableId("000003"), (117, 87), 0, 16, 0, 220)
    with Session(db_url, Principal("ana", Role.CLERK)) as a, Session(db_url, Principal("beto", Role.CLERK)) as b:
        for first, second in ((agreed, agreed), (broken, broken), (keyed, differing)):
            assert a.intake.submit_sheet(first, first.table).state == "awaiting_second_entry"
            b.intake.submit_sheet(second, second.table)
    log = tmp_path / "log.jsonl"
    with Session(db_url) as s:
        s.log.export(log)
        report = s.log.verify(log)
    assert report.ok, report
