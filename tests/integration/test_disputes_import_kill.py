"""``cases import`` killed at any point, then rerun, files every request exactly once; two imports
of one file at once do too (both engines, real processes, SIGKILL).

The kill points are exact, not timed: the command runs in a process that kills itself with
SIGKILL at the named point (while reading the file; inside the write transaction, after the
events and docket rows are written but before the commit; just after the commit, before any
output), which is what an operator sees as "it died, did it file or not?".
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from tests.integration.disputes_store import loaded, requests_csv

from escrutinio.app import Session
from escrutinio.domain.claims import CaseKind

ROWS = 500

KILLERS = {
    # While the file is read: nothing was written.
    "reading": "import escrutinio.disputes.requests_csv as m; m.read_requests = die",
    # Inside the transaction: events and docket rows written, not committed.
    "before_commit": "import escrutinio.store.store as m; m.write_tally = die",
    # Committed, nothing printed yet: the operator cannot tell it worked.
    "after_commit": (
        "import escrutinio.store.store as m\n"
        "append = m.Store.append\n"
        "def append_then_die(self, *a, **k):\n"
        "    append(self, *a, **k)\n"
        "    die()\n"
        "m.Store.append = append_then_die"
    ),
}
RUNNER = """
import os, signal, sys
def die(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)
{killer}
from escrutinio.cli import app
sys.argv = ["escrutinio", *sys.argv[1:]]
app()
"""


def _import(db: str, csv: Path, killer: str | None = None) -> subprocess.CompletedProcess[str]:
    args = ["--db", db, "cases", "import", str(csv), "--format", "json"]
    env = {**os.environ, "ESCRUTINIO_ACTOR": "party:FP"}
    if killer is None:
        return subprocess.run([sys.executable, "-m", "escrutinio.cli", *args], capture_output=True, text=True, env=env)
    code = RUNNER.format(killer=KILLERS[killer])
    return subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, env=env)


def _docket(db: str) -> list[str]:
    session = Session(db)
    tables = [t for r in session.cases.listing(kind=CaseKind.NULLITY_REQUEST) for t in r["tables"]]
    session.close()
    return tables


@pytest.fixture
def store(db_url: str, tmp_path: Path) -> tuple[str, Path, list[str]]:
    tables = [f"{i:06d}" for i in range(1, ROWS + 1)]
    return loaded(db_url, tmp_path, tables=ROWS), requests_csv(tmp_path / "fp.csv", tables), tables


@pytest.mark.parametrize("point", sorted(KILLERS))
def test_a_killed_import_rerun_files_every_request_once(store: tuple[str, Path, list[str]], point: str) -> None:
    db, csv, tables = store
    killed = _import(db, csv, point)
    assert killed.returncode == -signal.SIGKILL and killed.stdout == ""
    assert len(_docket(db)) == (ROWS if point == "after_commit" else 0)
    rerun = _import(db, csv)
    assert rerun.returncode == 0, rerun.stderr
    out = json.loads(rerun.stdout)
    assert len(out["cases"]) + out["skipped"] == ROWS
    assert out["skipped"] == (ROWS if point == "after_commit" else 0)
    again = json.loads(_import(db, csv).stdout)
    assert again["cases"] == [] and again["skipped"] == ROWS
    assert sorted(_docket(db)) == tables  # every request once: 500 stays 500
    session = Session(db)
    assert {r["status"] for r in session.cases.listing(kind=CaseKind.NULLITY_REQUEST)} == {"admitted"}
    session.close()


def test_two_imports_of_one_file_at_once_file_each_request_once(store: tuple[str, Path, list[str]]) -> None:
    db, csv, tables = store
    args = ["--db", db, "cases", "import", str(csv), "--format", "json"]
    env = {**os.environ, "ESCRUTINIO_ACTOR": "party:FP"}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "escrutinio.cli", *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env
        )
        for _ in range(2)
    ]
    outputs = [p.communicate() for p in procs]  # read as they run: a full pipe would block them
    # The one that lost the race looks again by itself: it finds the requests filed and files nothing.
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outputs]
    filed = sorted(len(json.loads(out)["cases"]) for out, _ in outputs)
    assert filed == [0, ROWS]
    assert sorted(_docket(db)) == tables
