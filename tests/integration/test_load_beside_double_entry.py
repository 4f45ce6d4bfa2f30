"""A file loaded while a table's double entry is under way, on SQLite and PostgreSQL.

The domain's rule: a table's sheet is processed once (version 1 recorded once); what comes
after goes to the dispute body. A file's sheet recorded while the first entry awaits the
second processes the table, so the second entry is refused (``has_sheet``) as a first entry
already was, and the record still verifies. The rule holds where the append is sealed: an
entry decided on the table before the load and written after it is decided again."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from tests.integration import test_intake_decided_in_commit as decided_in_commit
from tests.onpe_sample import Row, sample_rows, write

from escrutinio.app import Session
from escrutinio.app.count import CountService
from escrutinio.app.intake import IntakeService
from escrutinio.domain.ids import TableId
from escrutinio.domain.sheet import TallySheet
from escrutinio.intake.double_entry import EntryRefused

clerk = decided_in_commit.clerk
roll = decided_in_commit.roll  # the fixture: a store holding the sample's roll


def keyed(pl: int = 115) -> TallySheet:
    return TallySheet(TableId("000001"), (pl, 87), 0, 18, 0, 220)


def load_one(url: str, tmp_path: Path) -> None:
    with Session(url, "admin") as s:
        s.count.load(write(tmp_path / "one.csv", [Row("000001")]))


def recorded_and_verified(url: str, tmp_path: Path) -> list[dict[str, Any]]:
    """The table's sheet versions, once the exported record is found to verify."""
    with Session(url, "admin") as s:
        s.log.export(tmp_path / "rec.jsonl")
        report = s.log.verify(tmp_path / "rec.jsonl")
        assert report.ok, report
        return s.store.sheet_versions("000001")


@pytest.mark.parametrize("second", [115, 116], ids=["agreeing", "mismatched"])
def test_a_file_loaded_between_the_entries_makes_the_second_moot(roll: str, tmp_path: Path, second: int) -> None:
    with clerk(roll, "ana") as s:
        assert s.intake.submit_sheet(keyed(), "r1").state == "awaiting_second_entry"
    load_one(roll, tmp_path)
    with clerk(roll, "beto") as s, pytest.raises(EntryRefused, match=r"already has a sheet .* first entry") as refused:
        s.intake.submit_sheet(keyed(second), "r2")
    assert refused.value.rule == "has_sheet"
    versions = recorded_and_verified(roll, tmp_path)
    assert [v["version"] for v in versions] == [1]


def test_a_mismatch_decided_before_the_load_and_written_after_is_decided_again(
    roll: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The mismatch is decided apart (its observation case is numbered from the docket): the
    file lands between that decision and its write, which must not record version 1 again."""
    with clerk(roll, "ana") as s:
        s.intake.submit_sheet(keyed(), "r1")
    real = IntakeService._observation
    loads = []

    def load_meanwhile(self: IntakeService, *args: Any) -> Any:
        if not loads:
            loads.append(load_one(roll, tmp_path))
        return real(self, *args)

    monkeypatch.setattr(IntakeService, "_observation", load_meanwhile)
    with clerk(roll, "beto") as s, pytest.raises(EntryRefused, match="already has a sheet"):
        s.intake.submit_sheet(keyed(116), "r2")
    assert loads
    assert [v["version"] for v in recorded_and_verified(roll, tmp_path)] == [1]


def writes_during_plan(monkeypatch: pytest.MonkeyPatch, write_once: Any) -> list[int]:
    """Run ``write_once`` (another writer's append) after the load's first plan, before its
    write; the plans that got as far as opening cases (a plan with events to write)."""
    real = CountService._observation_cases
    plans: list[int] = []

    def meanwhile(events: Any, declared_at: Any, context: Any) -> Any:
        plans.append(len(plans) + 1)
        if len(plans) == 1:
            write_once()
        return real(events, declared_at, context)

    monkeypatch.setattr(CountService, "_observation_cases", staticmethod(meanwhile))
    return plans


def test_entries_of_other_tables_written_meanwhile_do_not_stop_a_load(
    roll: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Clerks keying other tables (an entry, a processed sheet) while the load is planned: it
    is written after them, planned once."""

    def key_another() -> None:
        other = TallySheet(TableId("000002"), (100, 90), 2, 8, 0, 200)
        with clerk(roll, "ana") as s:
            s.intake.submit_sheet(other, "o1")
        with clerk(roll, "beto") as s:
            assert s.intake.submit_sheet(other, "o2").state == "processed"

    plans = writes_during_plan(monkeypatch, key_another)
    load_one(roll, tmp_path)
    assert plans == [1]
    assert [v["version"] for v in recorded_and_verified(roll, tmp_path)] == [1]


def test_a_sheet_of_the_file_recorded_meanwhile_makes_the_load_plan_again(
    roll: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The second entry lands between the load's plan and its write: the load plans again, finds
    the same figures recorded, and records no second version 1."""
    with clerk(roll, "ana") as s:
        s.intake.submit_sheet(keyed(), "r1")

    def second_entry() -> None:
        with clerk(roll, "beto") as s:
            assert s.intake.submit_sheet(keyed(), "r2").state == "processed"

    plans = writes_during_plan(monkeypatch, second_entry)
    load_one(roll, tmp_path)  # planned again: nothing to record (no cases to open this time)
    assert plans == [1]
    versions = recorded_and_verified(roll, tmp_path)
    assert [(v["version"], v["basis"]) for v in versions] == [(1, "double_entry")]


def test_second_entries_racing_loads_of_their_tables_record_each_version_1_once(roll: str, tmp_path: Path) -> None:
    """No hook: each table's second entry and a load of its row start together, in threads,
    the entry later each time (so that it lands before the load's plan, during it, after its
    write); whichever lands first processes the table, and the other records no second
    version 1 (the entry is refused, or the load finds the same figures recorded)."""
    rows = [r for r in sample_rows() if r.table in ("000001", "000002", "000003", "000004", "000009")]
    figures = [TallySheet(TableId(r.table), (int(r.p1), int(r.p2)), int(r.blank or 0), int(r.null), 0, int(r.cast)) for r in rows]
    for sheet in figures:
        with clerk(roll, "ana") as s:
            s.intake.submit_sheet(sheet, f"a-{sheet.table}")
    for row, sheet, delay in zip(rows, figures, (0.0, 0.15, 0.3, 0.6, 1.0), strict=True):
        start = threading.Barrier(2)
        outcomes: list[object] = []

        def enter(
            sheet: TallySheet = sheet, start: threading.Barrier = start, outcomes: list[object] = outcomes, delay: float = delay
        ) -> None:
            with clerk(roll, "beto") as s:
                start.wait()
                time.sleep(delay)
                try:
                    outcomes.append(s.intake.submit_sheet(sheet, f"b-{sheet.table}").state)
                except EntryRefused as refused:
                    outcomes.append(refused.rule)

        def load(row: Row = row, start: threading.Barrier = start, outcomes: list[object] = outcomes) -> None:
            with Session(roll, "admin") as s:
                start.wait()
                outcomes.append(s.count.load(write(tmp_path / f"{row.table}.csv", [row])).recorded)

        threads = [threading.Thread(target=enter), threading.Thread(target=load)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(120)
        assert sorted(map(str, outcomes)) in (["1", "has_sheet"], ["0", "processed"]), outcomes
    with Session(roll, "admin") as s:
        s.log.export(tmp_path / "rec.jsonl")
        assert s.log.verify(tmp_path / "rec.jsonl").ok
        history = s.store.sheet_history([r.table for r in rows])
    assert {t: [v["version"] for v in vs] for t, vs in history.items()} == {r.table: [1] for r in rows}
