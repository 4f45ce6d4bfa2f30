"""The full record exported for researchers: JSON Lines (what verify reads) and Parquet tables
read here with pyarrow alone, their figures equal to the results, on both engines."""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest
from tests.records import read, small_record

from escrutinio.app import Session
from escrutinio.domain.errors import EscrutinioError


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> tuple[str, Path, str]:
    path, head = small_record(tmp_path, db_url, audit=True)
    return db_url, path, head


def test_record_jsonl_is_the_log_and_verifies(store: tuple[str, Path, str], tmp_path: Path) -> None:
    db, log, head = store
    with Session(db) as session:
        done = session.export.write("record-jsonl", tmp_path / "record.jsonl")
        report = session.log.verify(tmp_path / "record.jsonl", head=head)
        audit = session.audit.status()
    assert (tmp_path / "record.jsonl").read_bytes() == log.read_bytes()
    assert done.units == len(read(log)) and report.ok
    assert (report.checked["audit"]["risk"], report.checked["audit"]["decision"]) == (audit["risk"], audit["decision"])


def test_record_parquet_tables_hold_the_record(store: tuple[str, Path, str], tmp_path: Path) -> None:
    db, log, head = store
    out = tmp_path / "record"
    with Session(db) as session:
        session.export.write("record-parquet", out)
        national = session.count.results()[0]
        docket = {r["number"]: r["status"] for r in session.store.case_rows()}
    events = read(log)
    table = {
        name: pq.read_table(out / f"{name}.parquet")
        for name in ("events", "tables", "versions", "sheets", "cases", "rulings", "audit")
    }
    assert table["events"].column("hash").to_pylist() == [e.hash for e in events] and head == events[-1].hash
    sheets = table["sheets"].filter(
        pc.is_in(table["sheets"].column("state"), value_set=pc.cast(["counted", "resolved"], "string"))
    )
    assert {c: pc.sum(sheets.column(f"v_{c}")).as_py() for c in national["votes"]} == national["votes"]
    recorded = sum(len(e.data["sheets"]["table"]) for e in events if e.type == "sheets.recorded")
    assert table["versions"].num_rows == recorded and table["sheets"].num_rows == table["tables"].num_rows == 10
    assert (
        dict(zip(table["cases"].column("number").to_pylist(), table["cases"].column("status").to_pylist(), strict=True)) == docket
    )
    assert table["rulings"].num_rows == 2
    assert table["audit"].num_rows == sum(e.type.startswith("audit.") for e in events)


def test_record_formats_take_no_level(store: tuple[str, Path, str], tmp_path: Path) -> None:
    refused = pytest.raises(EscrutinioError, match=r"level: record-parquet \(the full record\) holds every level")
    with Session(store[0]) as session, refused:
        session.export.write("record-parquet", tmp_path / "r", level="district")
    assert not (tmp_path / "r").exists()
