"""Bulk hand-count entry killed mid-way or just after its commit, then run again: the runoff's
2,530 MACRO double entries are each in the log exactly once.

A kill before the commit leaves nothing (one transaction); a kill after it, before any output
(and before a SQLite store folds its write-ahead log), leaves everything, and an operator who
sees no output reruns: the rerun finds every row already recorded and adds nothing.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from fractions import Fraction
from pathlib import Path

import pytest
from tests.conftest import RUNOFF, need_shared
from tests.integration.audit.test_audit_workflow_peru import SEED, double_entries

from escrutinio.app import Session
from escrutinio.audit.kinds import AuditMethod
from escrutinio.ledger.events import EventType

pytestmark = [pytest.mark.shared, pytest.mark.slow]

ENTRIES = 2_530


@pytest.fixture(scope="module")
def drawn(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A runoff store with a MACRO audit at 5 % drawn, and the CSV of its double entries (built
    once for the module: loading the runoff takes a while)."""
    runoff_file = need_shared(RUNOFF)
    where = tmp_path_factory.mktemp("kill")
    db = where / "drawn.db"
    loader = Session(str(db))
    loader.count.load(runoff_file, "peru-2021-runoff")
    loader.close()
    with Session(str(db), actor="auditor") as session:
        session.audit.plan(Fraction(1, 20), method=AuditMethod.MACRO)
        session.audit.seed(SEED)
        session.audit.draw()
        counts = double_entries(session, where / "hand-counts.csv")
    return db, counts


def _copy(drawn: tuple[Path, Path], tmp_path: Path) -> Path:
    db = tmp_path / "k.db"
    shutil.copy(drawn[0], db)
    return db


def _record(db: Path, counts: Path) -> list[str]:
    return [sys.executable, "-m", "escrutinio.cli", "--db", str(db), "audit", "record", "--file", str(counts)]


def _each_entry_once(db: Path) -> None:
    with Session(str(db)) as session:
        entries = Counter((e.data["table"], e.data["entry"]) for e in session.store.events_of_type(EventType.AUDIT_HAND_COUNT))
        assert len(entries) == ENTRIES and set(entries.values()) == {1}
        status = session.audit.status()
        assert (status["phase"], status["ignored_events"]) == ("measurable", [])


def _rerun_finishes(db: Path, counts: Path) -> None:
    """Run again until nothing is left; the last run finds every row already recorded."""
    for _ in range(2):
        rerun = subprocess.run(_record(db, counts), capture_output=True, text=True)
        assert rerun.returncode == 0, rerun.stderr
    assert f"0 recorded, {ENTRIES:,} already recorded" in rerun.stdout
    _each_entry_once(db)


@pytest.mark.parametrize("at", [0.3, 0.6, 0.9])
def test_a_bulk_entry_killed_mid_way_is_finished_by_a_rerun(drawn: tuple[Path, Path], tmp_path: Path, at: float) -> None:
    """Killed at a share of the whole command's own time on this machine (starting, reading the
    record and the file, or writing), then run again."""
    counts = drawn[1]
    timing = tmp_path / "timing.db"
    shutil.copy(drawn[0], timing)
    start = time.perf_counter()
    subprocess.run(_record(timing, counts), check=True, capture_output=True)
    whole = time.perf_counter() - start
    db = _copy(drawn, tmp_path)
    proc = subprocess.Popen(_record(db, counts), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(whole * at)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    _rerun_finishes(db, counts)


KILL_AFTER_COMMIT = """
import os, signal, sys
from pathlib import Path
from escrutinio.app import Session

session = Session(sys.argv[1], actor="auditor")
done = session.audit.record_file(Path(sys.argv[2]))
assert done["events"] == int(sys.argv[3]), done
os.kill(os.getpid(), signal.SIGKILL)  # committed; no output, the store not closed
"""


def test_a_bulk_entry_killed_just_after_its_commit_is_not_recorded_twice(drawn: tuple[Path, Path], tmp_path: Path) -> None:
    db = _copy(drawn, tmp_path)
    killed = subprocess.run(
        [sys.executable, "-c", KILL_AFTER_COMMIT, str(db), str(drawn[1]), str(ENTRIES)],
        capture_output=True,
        text=True,
        env={**os.environ},
    )
    assert killed.returncode == -signal.SIGKILL, killed.stderr
    _rerun_finishes(db, drawn[1])
