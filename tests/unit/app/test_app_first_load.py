"""The first load of a new store is one transaction: the election, the roll, the sheets and the
observation cases they open are written together, so a kill at any moment of it leaves a whole
store or none, and the rerun counts every sheet once."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections import Counter
from pathlib import Path

import pytest
from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.store.engine import resolve_url
from escrutinio.store.store import Store


def test_a_first_load_appends_once_with_everything(sqlite_db: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    appended: list[list[str]] = []
    real = Store._append

    def spy(self: Store, pending, actor, *rest, **named):  # type: ignore[no-untyped-def]
        appended.append([p.type for p in pending])
        return real(self, pending, actor, *rest, **named)

    monkeypatch.setattr(Store, "_append", spy)
    summary = Session(sqlite_db).count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
    assert len(appended) == 1, appended
    kinds = Counter(appended[0])
    assert kinds["election.defined"] == 1 and kinds["tables.registered"] == 1 and kinds["sheets.recorded"] == 1
    assert kinds["case.opened"] == 1  # the sample's one observed sheet goes to the dispute body with it
    assert summary.events == len(appended[0]) - 1  # the load's own events, after the election's


KILLED_LOAD = """
import os, signal, sys
import escrutinio.store.projection as projection
real = projection.apply_batch
def apply_batch(proj, batch):
    if batch and batch[0][0].type == "sheets.recorded":
        os.kill(os.getpid(), signal.SIGKILL)  # killed inside the write: the roll is applied, not the sheets
    return real(proj, batch)
projection.apply_batch = apply_batch
from escrutinio.cli import main
sys.argv = ["escrutinio", "--db", sys.argv[1], "load", sys.argv[2], "--election", "peru-2021-runoff"]
main()
"""


def test_a_first_load_killed_while_writing_leaves_no_store_and_reruns_whole(db_url: str, tmp_path: Path) -> None:
    sheets = write(tmp_path / "a.csv")
    killed = subprocess.run([sys.executable, "-c", textwrap.dedent(KILLED_LOAD), db_url, str(sheets)], capture_output=True)
    assert killed.returncode == -9, killed.stderr
    assert not Session(db_url).exists()  # no election without its roll and sheets
    command = [sys.executable, "-m", "escrutinio.cli", "--db", db_url, "load", str(sheets), "--election", "peru-2021-runoff"]
    subprocess.run(command, check=True, capture_output=True)
    reference = Session(str(tmp_path / "uninterrupted.db"))
    reference.count.load(sheets, "peru-2021-runoff")
    nat, expected = Session(db_url).count.results()[0], reference.count.results()[0]
    assert nat["tables"] == expected["tables"] and nat["tables"]["total"] == 10
    assert nat["votes"] == expected["votes"] == {"PL": 455, "FP": 487}
    store = Store.open(resolve_url(db_url))
    try:
        types = Counter(e.type for e in store.events_since(0, ["election.defined", "sheets.recorded", "case.opened"]))
    finally:
        store.close()
    assert types == {"election.defined": 1, "sheets.recorded": 1, "case.opened": 1}
