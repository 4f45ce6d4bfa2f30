"""A table's entry state read in one query (``store.lookup``) says what the whole-frame reads of
the roll and the current sheets say, for every table, as loads add chunks and rows, with the
process's dictionaries of the chunks kept in a cache shared across sessions."""

from __future__ import annotations

from pathlib import Path

from tests.onpe_sample import Row, sample_rows, write

from escrutinio.app import Session
from escrutinio.app.count import InvalidSheets
from escrutinio.domain.ids import TableId
from escrutinio.domain.roles import Principal, Role
from escrutinio.domain.sheet import TallySheet
from escrutinio.store.current import read_current_sheets, read_tables
from escrutinio.store.shared import Shared
from escrutinio.store.store import Store


def by_frames(store: Store, table: str) -> tuple[bool, int | None, str | None]:
    """What the frame reads say of ``table`` (no cache: every chunk decoded afresh)."""
    with store.engine.connect() as conn:
        roll = read_tables(conn, {}, [table])
        current = read_current_sheets(conn, store.election(), {}, [table])
    electors = roll["electors"].to_list()
    states = current["state"].to_list()
    return bool(electors), electors[0] if electors else None, states[0] if states else None


def check_every_table(db_url: str, shared: Shared, tables: list[str]) -> None:
    with Session(db_url, shared=shared) as s:
        for table in [*tables, "999999"]:
            on_roll, electors, state, events, area = s.store.entry_state(table)
            assert (on_roll, electors, state) == by_frames(s.store, table), table
            assert area == s.store.table_areas([table]).get(table), table
            assert [e.seq for e in events] == [e.seq for e in s.store.intake_events(table)]


def test_entry_state_agrees_with_the_frames_as_loads_add_chunks_and_rows(db_url: str, tmp_path: Path) -> None:
    first = sample_rows()
    with Session(db_url) as s:
        s.count.load(write(tmp_path / "first.csv", first), "peru-2021-runoff")
        url = s.url
    shared = Shared(url)
    check_every_table(db_url, shared, [r.table for r in first])
    assert shared.cache["index:roll"][1]["000009"] == ("940101", 120)
    # A second file: two new tables (a second roll chunk) and new figures for two sheets (a
    # second sheets chunk outranking the first, and a sheet at the dispute body as a row).
    more = [Row("000011", p1=50, p2=60, cast=128), Row("000012", p1=1, p2=2, cast=21)]
    changed = [Row("000001", p1=116, p2=86), Row("000002", status="EN PROCESO", cast=200, p1=100, p2=90, blank=2, null=8)]
    rows = [*changed, *first[2:], *more]
    with Session(db_url) as other:  # another writer, with none of the shared state
        other.count.load(write(tmp_path / "more.csv", rows), invalid=InvalidSheets.OBSERVE, new_tables=True)
    check_every_table(db_url, shared, [r.table for r in rows])
    assert shared.cache["index:roll"][1]["000011"] == ("140137", 300)


def test_entry_state_of_a_roll_without_sheets_sees_each_entry(db_url: str, tmp_path: Path) -> None:
    with Session(db_url, "admin") as s:
        s.intake.register_roll(write(tmp_path / "roll.csv"), "peru-2021-runoff")
        url = s.url
    sheet = TallySheet(TableId("000001"), (115, 87), 0, 18, 0, 220)
    with Session(db_url, Principal("ana", Role.CLERK)) as s:
        s.intake.submit_sheet(sheet, "k1")
    shared = Shared(url)
    with Session(db_url, shared=shared) as s:
        on_roll, electors, state, events, _ = s.store.entry_state("000001")
        assert (on_roll, electors, state) == (True, 300, None)
        assert [e.type for e in events] == ["sheet.entered"]
    with Session(db_url, Principal("bea", Role.CLERK), shared=shared) as s:
        s.intake.submit_sheet(sheet, "k1")
        on_roll, electors, state, events, _ = s.store.entry_state("000001")
        assert (on_roll, electors, state) == (True, 300, "counted")
        assert [e.type for e in events] == ["sheet.entered", "sheet.entered"]
    check_every_table(db_url, shared, [r.table for r in sample_rows()])
