"""When a write command returns, the ``.db`` file alone holds everything: a copy of it (a
backup, a file sent to an observer) without its ``-wal`` loses nothing, even while another
process has the store open (then SQLite would not fold the log back by itself)."""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

from tests.onpe_sample import changed, sample_rows, write


def _escrutinio(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "escrutinio.cli", "--db", str(db), *args], capture_output=True, text=True, check=False
    )


def _copy_db_alone(db: Path, into: Path) -> Path:
    into.mkdir()
    shutil.copy(db, into / db.name)
    return into / db.name


def _events(db: Path) -> list[str]:
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True) as conn:
        return [r[0] for r in conn.execute("SELECT type FROM events ORDER BY seq")]


def test_every_write_command_leaves_its_write_in_the_db_file(tmp_path: Path) -> None:
    db = tmp_path / "store.db"
    rows = sample_rows()
    done = _escrutinio(db, "load", str(write(tmp_path / "a.csv", rows)), "--election", "peru-2021-runoff")
    assert done.returncode == 0, done.stderr
    # Another process holds the store open from here on, idle, as a results page would.
    other = sqlite3.connect(str(db))
    other.execute("SELECT COUNT(*) FROM events").fetchall()
    try:
        before = _events(_copy_db_alone(db, tmp_path / "first"))
        assert before[0] == "election.defined" and "sheets.recorded" in before
        later = changed(rows, "000007", status="CONTABILIZADA")
        done = _escrutinio(db, "load", str(write(tmp_path / "b.csv", later)))
        assert done.returncode == 0, done.stderr
        wal = db.with_name("store.db-wal")
        assert not wal.exists() or wal.stat().st_size == 0
        after = _events(_copy_db_alone(db, tmp_path / "second"))
        assert len(after) > len(before) and after[: len(before)] == before
    finally:
        other.close()


def test_closing_a_store_folds_its_log_into_the_file(tmp_path: Path) -> None:
    """The Python API's path: Store.close() (Session.close()) leaves the .db file whole."""
    from escrutinio.formats.definition import load_definition
    from escrutinio.ledger.pending import PendingEvent
    from escrutinio.store.engine import resolve_url
    from escrutinio.store.store import Store

    db = tmp_path / "store.db"
    store = Store.create(resolve_url(str(db)), load_definition("peru-2021-runoff")[1], "tester")
    other = sqlite3.connect(str(db))
    other.execute("SELECT 1 FROM events").fetchall()
    try:
        store.append([PendingEvent("test.noted", {"n": 1})], "tester")
        store.close()
        assert _events(_copy_db_alone(db, tmp_path / "copy")) == ["election.defined", "test.noted"]
    finally:
        other.close()
