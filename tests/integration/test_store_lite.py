"""SQLite through the standard library (store/lite.py): transactions, snapshots, the file left behind."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.store.lite import LiteEngine


def _engine(tmp_path: Path) -> LiteEngine:
    path = tmp_path / "lite.db"
    engine = LiteEngine(f"sqlite:///{path}", path)
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE t (n INTEGER PRIMARY KEY, blob BLOB)")
    return engine


def test_reads_on_one_connection_see_one_state(tmp_path: Path) -> None:
    """Like SQLAlchemy's connections, a connection's reads share one transaction: a write
    committed meanwhile by another connection shows only on the next connection."""
    engine = _engine(tmp_path)
    with engine.connect() as reading:
        before = reading.exec_driver_sql("SELECT COUNT(*) FROM t").scalar()
        with engine.begin() as writing:
            writing.exec_driver_sql("INSERT INTO t (n) VALUES (1)")
        assert reading.exec_driver_sql("SELECT COUNT(*) FROM t").scalar() == before == 0
    with engine.connect() as later:
        assert later.exec_driver_sql("SELECT COUNT(*) FROM t").scalar() == 1
    engine.dispose()


def test_a_failed_write_reports_its_own_error_and_leaves_nothing(tmp_path: Path) -> None:
    engine = _engine(tmp_path)
    with engine.begin() as conn:
        conn.exec_driver_sql("INSERT INTO t (n) VALUES (1)")
    with pytest.raises(sqlite3.OperationalError, match="full"), engine.begin() as conn:
        conn.exec_driver_sql("PRAGMA max_page_count = 8")
        conn.exec_driver_sql("INSERT INTO t (n, blob) VALUES (2, ?)", (b"x" * 200_000,))
    with engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT n FROM t").fetchall() == [(1,)]
    engine.dispose()


def test_a_command_leaves_the_whole_store_in_its_db_file(tmp_path: Path) -> None:
    """The CLI ends without Python's teardown, after closing its connections: the last one
    folds the write-ahead log back, so the .db file alone (a backup, a copy sent to an
    observer) holds everything."""
    db = tmp_path / "cli.db"
    sheets = write(tmp_path / "s.csv")
    command = [sys.executable, "-m", "escrutinio.cli", "--db", str(db), "load", str(sheets), "-e", "peru-2021-runoff"]
    subprocess.run(command, check=True, capture_output=True)
    wal = db.with_name("cli.db-wal")
    assert not wal.exists() or wal.stat().st_size == 0
    copy = tmp_path / "copy" / "cli.db"
    copy.parent.mkdir()
    shutil.copy(db, copy)
    assert Session(str(copy)).count.results()[0]["votes"] == {"PL": 455, "FP": 487}
