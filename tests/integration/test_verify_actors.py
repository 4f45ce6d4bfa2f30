"""``verify`` checks who keyed, scanned and filed, as review10c forged it: one event's ``actor``
rewritten in an exported desk record and every hash recomputed. The replay applies the
application's rules (``domain/roles.py``, through ``ledger/actors.py``): the role, the area of
the table or case, the party or body, the account (created, not revoked), and the second entry
by another clerk; a record written before accounts still verifies."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests import scans
from tests.onpe_sample import write
from tests.records import read, reseal, small_record
from tests.records import write as write_record

from escrutinio.app import Session
from escrutinio.domain.ids import TableId
from escrutinio.domain.roles import Principal, Role
from escrutinio.domain.sheet import TallySheet
from escrutinio.ledger.events import Event
from escrutinio.ledger.semantic import Discrepancy

ACCOUNTS = {
    "ana": Principal("ana", Role.CLERK, "14"),
    "beto": Principal("beto", Role.CLERK, "14"),
    "zoe": Principal("zoe", Role.CLERK, "24"),
    "maria": Principal("maria", Role.REPRESENTATIVE, party="FP"),
    "pedro": Principal("pedro", Role.REPRESENTATIVE, party="PL"),
    "pablo": Principal("pablo", Role.OBSERVER),
    "gone": Principal("gone", Role.CLERK, "14"),
}


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> list[Event]:
    """A desk's record: accounts, table 000001 keyed by ana then beto, its scan by ana, FP's
    nullity request on 000002 by maria, and clerk ``gone`` revoked."""
    folder = tmp_path_factory.mktemp("desk")
    db = f"sqlite:///{folder / 'desk.db'}"
    with Session(db, "admin") as admin:
        admin.intake.register_roll(write(folder / "a.csv"), "peru-2021-runoff")
        for p in ACCOUNTS.values():
            admin.users.add(p.name, p.role, area=p.area, party=p.party, body=p.body)
        admin.users.revoke("gone")
    sheet = TallySheet(TableId("000001"), (115, 87), 0, 18, 0, 220)
    with Session(db, ACCOUNTS["ana"]) as ana, Session(db, ACCOUNTS["beto"]) as beto:
        ana.intake.submit_sheet(sheet, "a1")
        beto.intake.submit_sheet(sheet, "b1")
        ana.intake.attach_image("000001", scans.png(5), "s1")
    with Session(db, ACCOUNTS["maria"]) as maria:
        maria.cases.file(tables=["000002"], filer="FP", grounds="b", fee_receipt="R-1")
    with Session(db) as s:
        s.log.export(folder / "desk.jsonl")
    return read(folder / "desk.jsonl")


def verify(events: list[Event], path: Path):  # type: ignore[no-untyped-def]
    write_record(path, reseal(events))
    with Session(str(path.parent / "none.db")) as s:
        return s.log.verify(path)


def forged(events: list[Event], type_: str, actor: str, nth: int = 0) -> tuple[list[Event], int]:
    """``events`` with the actor of the ``nth`` event of ``type_`` rewritten (as forge2.py did)."""
    i = [k for k, e in enumerate(events) if e.type == type_][nth]
    e = events[i]
    out = list(events)
    out[i] = Event(e.seq, e.type, e.at, actor, e.data, e.prev, e.hash)
    return out, e.seq


def test_the_desk_record_verifies(desk: list[Event], tmp_path: Path) -> None:
    report = verify(desk, tmp_path / "r.jsonl")
    assert report.ok and report.checked["acts_by_actors_without_role"] == 0


@pytest.mark.parametrize(
    ("type_", "nth", "actor", "refused"),
    [
        ("sheet.entered", 1, "clerk:ana@14", r"they made the first entry too \(event \d+\)"),
        ("sheet.entered", 1, "observer:pablo", "role: an observer may not submit sheet"),
        ("sheet.entered", 1, "clerk:zoe@24", "area: area 140137 is outside clerk:zoe@24's area 24"),
        ("sheet.entered", 1, "clerk:ghost@14", "the record created no account 'ghost' before it"),
        ("sheet.entered", 1, "clerk:gone@14", r"account 'gone' was revoked at event \d+"),
        ("sheet.entered", 1, "clerk:beto", r"account 'beto' was created \(event \d+\) as clerk:beto@14"),
        ("sheet.image_attached", 0, "observer:pablo", "role: an observer may not attach image"),
        ("sheet.image_attached", 0, "clerk:zoe@24", "area: area 140137 is outside"),
        ("case.opened", 0, "clerk:ana@14", "role: a clerk may not file claim"),
        ("case.opened", 0, "representative:pedro/PL", "party: representative:pedro/PL acts for PL, not for FP"),
        # The sheet a double entry decided is the second clerk's act; a filing's refusal on
        # receipt is the filer's, and anyone else's is a ruling.
        ("sheets.recorded", 0, "observer:pablo", "role: an observer may not submit sheet"),
        ("sheets.recorded", 0, "clerk:zoe@24", "area: area 140137 is outside clerk:zoe@24's area 24"),
        ("case.refused", 0, "representative:pedro/PL", "role: a party representative may not rule"),
        ("case.refused", 0, "clerk:ana@14", "role: a clerk may not rule"),
    ],
)
def test_a_forged_actor_fails_at_its_event(
    desk: list[Event], tmp_path: Path, type_: str, nth: int, actor: str, refused: str
) -> None:
    events, seq = forged(desk, type_, actor, nth)
    with pytest.raises(Discrepancy, match=refused) as err:
        verify(events, tmp_path / "f.jsonl")
    assert err.value.seq == seq


@pytest.mark.parametrize(
    ("actor", "refused"),
    [
        ("auditor:aud14@15", "area: area 140137 is outside auditor:aud14@15's area 15"),
        ("clerk:ana@14", "role: a clerk may not record audit entry"),
        ("auditor:aud14@14", None),
    ],
)
def test_a_hand_count_is_by_an_auditor_of_its_table_s_area(tmp_path: Path, actor: str, refused: str | None) -> None:
    """An older record (no accounts): the role and area rules still hold for every act."""
    path, _ = small_record(tmp_path, audit=True)
    events = read(path)
    tables = {e.data["table"] for e in events if e.type == "audit.hand_count"}
    events, seq = forged(events, "audit.hand_count", actor)
    if refused is None:
        assert verify(events, tmp_path / "a.jsonl").ok
        return
    assert tables  # the sample's tables are all in area 14 (140137 and the like)
    with pytest.raises(Discrepancy, match=refused) as err:
        verify(events, tmp_path / "a.jsonl")
    assert err.value.seq == seq


@pytest.mark.parametrize(
    ("kind", "actor", "refused"),
    [
        ("file", "representative:maria/FP", "role: a party representative may not load sheets"),
        ("file", "clerk:ana@15", "area: area 14[0-9]+ is outside clerk:ana@15's area 15"),
        ("cases", "judge:luis/JEE", "a ruling's sheets are recorded with the ruling, by its author"),
    ],
)
def test_recorded_sheets_are_by_who_may_record_them(tmp_path: Path, kind: str, actor: str, refused: str) -> None:
    """A file's sheets are a load (a clerk of their tables' area, the administrator); a ruling's
    are written with the ruling, by its author. An older record (no accounts): the rules hold."""
    events = read(small_record(tmp_path)[0])
    recorded = [e for e in events if e.type == "sheets.recorded"]
    nth = next(
        i for i, e in enumerate(recorded) if kind in e.data["source"] or (kind == "file" and "file" in str(e.data["source"]))
    )
    events, seq = forged(events, "sheets.recorded", actor, nth)
    with pytest.raises(Discrepancy, match=refused) as err:
        verify(events, tmp_path / "s.jsonl")
    assert err.value.seq == seq
