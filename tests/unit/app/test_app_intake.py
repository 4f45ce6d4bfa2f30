"""``session.intake``: double entry of tally sheets (two clerks, processed when they agree, an
observation naming the fields when they differ), idempotency keys, and scanned images, on
real stores (SQLite and PostgreSQL)."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests import scans
from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.domain.errors import Conflict, NotFound, RuleError
from escrutinio.domain.ids import TableId
from escrutinio.domain.roles import AccessDenied, Principal, Role
from escrutinio.domain.sheet import TallySheet

PNG = scans.png()
JPEG = scans.jpeg()
PDF = scans.pdf()


def sheet(
    table: str = "000001", pl: int = 115, fp: int = 87, blank: int = 0, null: int = 18, challenged: int = 0, cast: int = 220
) -> TallySheet:
    return TallySheet(TableId(table), (pl, fp), blank, null, challenged, cast)


@pytest.fixture
def roll(db_url: str, tmp_path: Path) -> str:
    with Session(db_url, "admin") as s:
        assert s.intake.register_roll(write(tmp_path / "a.csv"), "peru-2021-runoff") == {"areas": 10, "tables": 10}
    return db_url


def clerk(url: str, name: str, area: str | None = None) -> Session:
    return Session(url, Principal(name, Role.CLERK, area=area))


def national(url: str) -> dict:
    with Session(url) as s:
        return s.count.results()[0]


def test_a_roll_has_no_sheets(roll: str) -> None:
    nat = national(roll)
    assert nat["votes"] == {"PL": 0, "FP": 0} and nat["tables"]["pending"] == 10


def test_two_agreeing_entries_process_the_sheet(roll: str) -> None:
    with clerk(roll, "ana") as a, clerk(roll, "beto") as b:
        first = a.intake.submit_sheet(sheet(), "k1")
        assert (first.entry, first.state, first.sheet_state) == (1, "awaiting_second_entry", None)
        assert national(roll)["votes"] == {"PL": 0, "FP": 0}  # one entry counts nothing
        second = b.intake.submit_sheet(sheet(), "k1")  # another clerk's key: its own action
        assert (second.entry, second.state, second.sheet_state, second.differs) == (2, "processed", "counted", [])
        assert second.event > first.event and second.case is None
    assert national(roll)["votes"] == {"PL": 115, "FP": 87}
    with Session(roll) as s:
        table = s.count.table("000001")
        assert table["state"] == "counted" and table["current"]["basis"] == "double_entry"
        entries = s.intake.entries("000001")
        assert [(e["entry"], e["clerk"], e["outcome"]) for e in entries] == [
            (1, "clerk:ana", "awaiting_second_entry"),
            (2, "clerk:beto", "processed"),
        ]
        assert all(e["at"] for e in entries) and entries[0]["sheet"]["votes"] == {"PL": 115, "FP": 87}


def test_differing_entries_become_an_observation_naming_the_fields(roll: str) -> None:
    with clerk(roll, "ana") as a, clerk(roll, "beto") as b:
        a.intake.submit_sheet(sheet(), "k")
        second = b.intake.submit_sheet(sheet(pl=117, null=16), "k")
    assert (second.state, second.sheet_state, second.differs) == ("mismatch", "observed", ["votes.PL", "null"])
    assert second.reasons == ["entries_differ"] and second.case is not None
    assert national(roll)["votes"] == {"PL": 0, "FP": 0}  # nothing unverified is counted
    with Session(roll) as s:
        table = s.count.table("000001")
        assert table["state"] == "observed" and [c["number"] for c in table["cases"]] == [second.case]
        assert table["cases"][0]["grounds"] == "entries_differ: votes.PL, null"  # the case names the fields


def test_an_agreed_sheet_that_breaks_a_rule_is_observed(roll: str) -> None:
    bad = sheet(cast=221)  # the lines add up to 220
    with clerk(roll, "ana") as a, clerk(roll, "beto") as b:
        a.intake.submit_sheet(bad, "k")
        second = b.intake.submit_sheet(bad, "k")
    assert (second.state, second.sheet_state, second.reasons) == ("processed", "observed", ["arithmetic_error"])
    assert second.case is not None and national(roll)["votes"] == {"PL": 0, "FP": 0}


def test_the_same_clerk_twice_is_not_a_second_entry(roll: str) -> None:
    with clerk(roll, "ana") as a:
        first = a.intake.submit_sheet(sheet(), "k1")
        with pytest.raises(RuleError, match="the second entry must be another clerk's") as refused:
            a.intake.submit_sheet(sheet(), "k2")
        assert getattr(refused.value, "rule", None) == "same_clerk"
        assert a.store.head()[0] == first.event


def test_a_resubmission_returns_the_first_result_and_writes_nothing(roll: str) -> None:
    with clerk(roll, "ana") as a, clerk(roll, "beto") as b:
        first = a.intake.submit_sheet(sheet(), "k1")
        again = a.intake.submit_sheet(sheet(), "k1")  # same key, same request: the first action
        assert again.already_done and (again.event, again.state) == (first.event, first.state)
        with pytest.raises(Conflict, match="Idempotency-Key: 'k1' was used for a different request"):
            a.intake.submit_sheet(sheet(pl=1), "k1")  # same key, other figures: refused, not the first receipt
        second = b.intake.submit_sheet(sheet(), "x")
        head = b.store.head()[0]
        repeat = b.intake.submit_sheet(sheet(), "x")
        assert repeat.already_done and (repeat.event, repeat.state, repeat.sheet_state) == (second.event, "processed", "counted")
        assert b.store.head()[0] == head


def test_entries_after_processing_and_off_the_roll_are_refused(roll: str) -> None:
    with clerk(roll, "ana") as a, clerk(roll, "beto") as b, clerk(roll, "carla") as c:
        a.intake.submit_sheet(sheet(), "k")
        b.intake.submit_sheet(sheet(), "k")
        head = c.store.head()[0]
        with pytest.raises(RuleError, match="both entries are in"):
            c.intake.submit_sheet(sheet(), "k")
        with pytest.raises(NotFound, match="table: 999999 is not on the roll"):
            c.intake.submit_sheet(sheet("999999"), "k2")
        with pytest.raises(RuleError, match="votes: 3 figures for the 2 choices"):
            c.intake.submit_sheet(TallySheet(TableId("000002"), (1, 2, 3), 0, 0, 0, 6), "k3")
        assert c.store.head()[0] == head


def test_a_table_with_a_sheet_from_a_file_takes_no_entries(db_url: str, tmp_path: Path) -> None:
    with Session(db_url) as s:
        s.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    with clerk(db_url, "ana") as a, pytest.raises(RuleError, match="already has a sheet"):
        a.intake.submit_sheet(sheet(), "k")


@pytest.mark.parametrize(("data", "media_type"), [(PNG, "image/png"), (JPEG, "image/jpeg"), (PDF, "application/pdf")])
def test_an_image_is_kept_by_its_hash_and_typed_by_its_bytes(roll: str, data: bytes, media_type: str) -> None:
    import hashlib

    with clerk(roll, "ana") as a:
        receipt = a.intake.attach_image("000001", data, "img")
        assert (receipt.sha256, receipt.media_type, receipt.size) == (hashlib.sha256(data).hexdigest(), media_type, len(data))
        assert a.intake.image(receipt.sha256) == (data, media_type)
        again = a.intake.attach_image("000001", data, "img")
        assert again.already_done and again.event == receipt.event
        assert [e["sha256"] for e in a.intake.entries("000001")] == [receipt.sha256]


def test_images_that_are_not_scans_are_refused(roll: str) -> None:
    with clerk(roll, "ana") as a:
        head = a.store.head()[0]
        with pytest.raises(RuleError, match="not a JPEG, PNG or PDF"):
            a.intake.attach_image("000001", b"GIF89a" + b"\x00" * 10, "k")
        with pytest.raises(RuleError, match="at most 10,485,760 bytes"):
            a.intake.attach_image("000001", PNG + b"\x00" * (10 * 1024 * 1024), "k")
        with pytest.raises(RuleError, match="empty"):
            a.intake.attach_image("000001", b"", "k")
        with pytest.raises(NotFound, match="not on the roll"):
            a.intake.attach_image("999999", PNG, "k")
        with pytest.raises(NotFound, match="no file with SHA-256"):
            a.intake.image("0" * 64)
        with pytest.raises(RuleError, match="sha256: 'zz' is not a SHA-256"):
            a.intake.image("zz")
        assert a.store.head()[0] == head


def test_an_entry_keyed_by_choice_names_the_field_it_refuses(roll: str) -> None:
    figures = {"blank": 0, "null": 18, "challenged": 0, "cast": 220}
    with clerk(roll, "ana") as a:
        head = a.store.head()[0]
        for votes, where in [
            ({"PL": 115, "FP": 87, "XX": 1}, "votes.XX: not a choice"),
            ({"PL": 115}, "votes.FP: missing"),
            ({"PL": -1, "FP": 87}, "votes.PL: -1 is not a count"),
            ({"PL": True, "FP": 87}, "votes.PL: True is not a count"),
        ]:
            with pytest.raises(RuleError, match=where):
                a.intake.submit_entry("000001", votes, **figures, key="k")
        with pytest.raises(RuleError, match="cast: -2 is not a count"):
            a.intake.submit_entry("000001", {"PL": 1, "FP": 1}, blank=0, null=0, challenged=0, cast=-2, key="k")
        assert a.store.head()[0] == head
        receipt = a.intake.submit_entry("000001", {"FP": 87, "PL": 115}, **figures, key="k")
        assert receipt.state == "awaiting_second_entry"
        assert "sheet" not in a.intake.entries("000001")[0]  # sealed until the second entry
    with clerk(roll, "beto") as b:
        b.intake.submit_entry("000001", {"PL": 115, "FP": 87}, **figures, key="k")
        assert b.intake.entries("000001")[0]["sheet"]["votes"] == {"PL": 115, "FP": 87}


def test_the_table_history_keeps_both_entries_with_times_and_clerks(roll: str, tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    with clerk(roll, "ana") as a, clerk(roll, "beto") as b:
        a.intake.submit_sheet(sheet(), "k")
        b.intake.submit_sheet(sheet(fp=86, cast=219), "k")
        a.intake.attach_image("000001", PNG, "img")
    with Session(roll) as s:
        intake = s.count.table("000001")["intake"]
    assert [(e["type"], e["clerk"]) for e in intake] == [
        ("sheet.entered", "clerk:ana"),
        ("sheet.entered", "clerk:beto"),
        ("sheet.image_attached", "clerk:ana"),
    ]
    assert intake[1]["differs"] == ["votes.FP", "cast"] and all(e["at"].endswith("Z") for e in intake)
    shown = subprocess.run(
        [sys.executable, "-m", "escrutinio.cli", "table", "000001", "--db", roll],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "COLUMNS": "250"},
    ).stdout
    assert "Double entry and scans" in shown and "clerk:beto" in shown and "differs: votes.FP, cast" in shown


def test_a_clerk_keys_only_within_their_area(roll: str) -> None:
    with clerk(roll, "lima", area="14") as lima, clerk(roll, "callao", area="24") as callao:
        assert lima.intake.submit_sheet(sheet(), "k").state == "awaiting_second_entry"  # 000001 is in 140137
        head = callao.store.head()[0]
        with pytest.raises(AccessDenied):
            callao.intake.submit_sheet(sheet(), "k")
        with pytest.raises(AccessDenied):
            callao.intake.attach_image("000001", PNG, "k")
        assert callao.store.head()[0] == head
    with Session(roll, Principal("reader", Role.AUDITOR)) as auditor, pytest.raises(AccessDenied):
        auditor.intake.submit_sheet(sheet(), "k")
