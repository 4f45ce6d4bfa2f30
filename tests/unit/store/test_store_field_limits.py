"""Field limits: one clear refusal, the same on SQLite and PostgreSQL, and nothing written.

Before the domain checked them, a 100-character table id was stored on SQLite and gave a
52-line StringDataRightTruncation on PostgreSQL."""

from __future__ import annotations

import csv
import re
import subprocess
import sys
from pathlib import Path

import polars as pl
import pytest

from escrutinio.domain.errors import InputError, StoreError
from escrutinio.domain.limits import TABLE_ID, check_all, length_problem
from escrutinio.formats.definition import load_definition
from escrutinio.ledger.events import EventType
from escrutinio.ledger.pending import PendingEvent
from escrutinio.store.engine import resolve_url
from escrutinio.store.store import Store

RUSSIA = "russia-2012-presidential"
ELECTORS = "Число избирателей, включенных в список избирателей"
CAST = (
    "Число избирательных бюллетеней в переносных ящиках для голосования",
    "Число бюллетеней в стационарных ящиках для голосования",
)
NULL = "Число недействительных избирательных бюллетеней"
CHOICES = (
    "Жириновский Владимир Вольфович",
    "Зюганов Геннадий Андреевич",
    "Миронов Сергей Михайлович",
    "Прохоров Михаил Дмитриевич",
    "Путин Владимир Владимирович",
)


def _russian_file(path: Path, uiks: list[str]) -> Path:
    """A file in the Russian 2012 layout (the preset builds a table id from region and uik)."""
    with path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.writer(out)
        writer.writerow(["region", "tik", "uik", ELECTORS, *CAST, NULL, *CHOICES])
        for uik in uiks:
            writer.writerow(["Республика Адыгея (Адыгея)", "1 Адыгейская", uik, 2000, 100, 1400, 0, 24, 382, 28, 71, 995])
    return path


def test_a_long_table_id_in_a_file_is_refused_alike_on_both_engines(db_url: str, tmp_path: Path) -> None:
    uik = "9" * 100
    sheets = _russian_file(tmp_path / "uik.csv", ["1", uik])
    done = subprocess.run(
        [sys.executable, "-m", "escrutinio.cli", "--db", db_url, "load", str(sheets), "--election", RUSSIA],
        capture_output=True,
        text=True,
        check=False,
    )
    table = f"Республика Адыгея (Адыгея)/{uik}"
    assert done.returncode == 1
    assert done.stderr == f"error: table id: {table[:24] + '…'!r} has {len(table)} characters; at most 64 are allowed\n"
    # The first load is one transaction: refused, it leaves no store at all (nothing recorded).
    with pytest.raises(StoreError, match="no escrutinio store here"):
        Store.open(resolve_url(db_url))


def _store(db_url: str) -> Store:
    return Store.create(resolve_url(db_url), load_definition("peru-2021-runoff")[1], "tester")


@pytest.mark.parametrize(
    ("event", "what"),
    [
        (PendingEvent(EventType.TABLES_REGISTERED, frame=pl.DataFrame({"table": ["1" * 65]}), make=lambda f: {}), "table id"),
        (PendingEvent(EventType.SHEETS_RECORDED, {"sheets": {"table": ["1", "2" * 70], "basis": ["x", "y"]}}), "table id"),
        (PendingEvent(EventType.SHEETS_RECORDED, {"sheets": {"table": ["1"], "basis": ["source:" + "z" * 130]}}), "basis"),
        (PendingEvent(EventType.AREAS_REGISTERED, {"areas": {"code": ["140101"], "name": ["n" * 257]}}), "area name"),
        (PendingEvent(EventType.CASE_OPENED, {"number": "C" * 65, "summary": {}}), "case number"),
        (PendingEvent(EventType.CASE_OPENED, {"summary": {"tables": "000001," + "7" * 65}}), "table id"),
        (PendingEvent(EventType.CASE_OPENED, {"filing": {"filer": "F" * 65, "tables": ["000001"]}}), "filer"),
        (PendingEvent(EventType.CASE_RULED, {"ruling": {"resolution": "R" * 65}}), "resolution"),
        (PendingEvent("audit.entry", {"entry": {"table": "0" * 65, "note": "fine"}}), "table id"),
        (PendingEvent("audit.entry", {"entry": {"note": "n" * 10_001}}), "note (text)"),
    ],
)
def test_an_event_with_a_field_over_its_limit_writes_nothing(db_url: str, event: PendingEvent, what: str) -> None:
    store = _store(db_url)
    head = store.head()
    with pytest.raises(InputError, match=rf"^{re.escape(what)}: '.*' has \d+ characters; at most \d+ are allowed$"):
        store.append([PendingEvent("test.noted", {"n": 1}), event], "tester")
    assert store.head() == head


def test_a_long_actor_is_refused(db_url: str) -> None:
    store = _store(db_url)
    with pytest.raises(InputError, match=r"^actor: 'aaaa"):
        store.append([PendingEvent("test.noted", {"n": 1})], "a" * 129)


def test_a_long_choice_id_in_a_definition_is_refused(db_url: str) -> None:
    _, text = load_definition("peru-2021-runoff")
    long_choice = "P" * 65
    text = text.replace('id = "PL"', f'id = "{long_choice}"').replace("{ PL =", f"{{ {long_choice} =")
    assert long_choice in text
    with pytest.raises(InputError, match=r"^choice id: 'PPPP"):
        Store.create(resolve_url(db_url), text, "tester")
    assert not Store.exists(resolve_url(db_url))


def test_the_limit_itself_is_allowed() -> None:
    assert length_problem("1" * TABLE_ID, TABLE_ID) is None
    assert length_problem(None, TABLE_ID) is None
    check_all(["1" * TABLE_ID, None, ""], TABLE_ID, "table id")
    assert (
        length_problem("1" * (TABLE_ID + 1), TABLE_ID) == f"'{'1' * 24}…' has {TABLE_ID + 1} characters; at most 64 are allowed"
    )
