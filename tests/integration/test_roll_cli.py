"""``escrutinio roll register``, through the real command on SQLite and PostgreSQL: a store of
areas and tables without sheets, in which clerks then key each sheet (double entry)."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from pathlib import Path

from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.domain.ids import TableId
from escrutinio.domain.roles import Principal, Role
from escrutinio.domain.sheet import TallySheet


def _run(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k not in ("ESCRUTINIO_ACTOR", "ESCRUTINIO_DB")}
    return subprocess.run([sys.executable, "-m", "escrutinio.cli", "--db", db, *args], capture_output=True, text=True, env=env)


def test_the_roll_is_registered_without_sheets_and_clerks_key_them(db_url: str, tmp_path: Path) -> None:
    sample = str(write(tmp_path / "a.csv"))
    done = _run(db_url, "roll", "register", sample, "--election", "peru-2021-runoff", "--format", "json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {"file": sample, "election": "peru-2021-runoff", "areas": 10, "tables": 10}
    status = json.loads(_run(db_url, "status", "--format", "json").stdout)
    assert (status["tables"], status["received"]) == (10, 0)

    sheet = TallySheet(TableId("000001"), (115, 87), 0, 18, 0, 220)
    for clerk in ("ana", "bob"):
        with Session(db_url, Principal(clerk, Role.CLERK)) as session:
            keyed = session.intake.submit_sheet(sheet, key=f"{clerk}-000001")
    assert keyed.state == "processed" and keyed.sheet_state == "counted"

    with Session(db_url) as session:
        head = session.store.head()
    again = _run(db_url, "roll", "register", sample, "--election", "peru-2021-runoff")
    assert again.returncode == 1 and again.stderr.count("\n") == 1 and "a store is already here" in again.stderr
    if "://postgres@" in db_url:  # the test server trusts loopback, so a password is accepted and ignored
        told = _run(db_url.replace("://postgres@", "://postgres:s3cret@"), "roll", "register", sample, "-e", "peru-2021-runoff")
        assert told.returncode == 1 and "a store is already here" in told.stderr and "s3cret" not in told.stderr
    with Session(db_url) as session:
        assert session.store.head() == head  # refused: nothing recorded changed


def test_each_format_says_what_was_registered_and_errors_are_one_line(tmp_path: Path) -> None:
    sample = str(write(tmp_path / "a.csv"))
    as_csv = _run(str(tmp_path / "c.db"), "roll", "register", sample, "-e", "peru-2021-runoff", "--format", "csv")
    assert as_csv.returncode == 0 and list(csv.DictReader(io.StringIO(as_csv.stdout))) == [
        {"file": sample, "election": "peru-2021-runoff", "areas": "10", "tables": "10"}
    ]
    table = _run(str(tmp_path / "t.db"), "roll", "register", sample, "-e", "peru-2021-runoff")
    assert table.returncode == 0 and "registered 10 areas and 10 polling tables" in table.stdout
    for args, words, status in (
        (["roll", "register", sample, "-e", "atlantis-2030"], "atlantis-2030: no such preset", 1),
        (["roll", "register", str(tmp_path / "none.csv"), "-e", "peru-2021-runoff"], "cannot read the file", 1),
        (["roll", "register", sample, "-e", "peru-2021-runoff", "--format", "xml"], "--format: expected one of", 2),
    ):
        refused = _run(str(tmp_path / "r.db"), *args)
        assert refused.returncode == status and refused.stderr.count("\n") == 1 and words in refused.stderr, refused.stderr
    assert not (tmp_path / "r.db").exists()  # a refused registration makes no store


def test_a_store_of_only_its_roll_reads_without_python_words(tmp_path: Path) -> None:
    """Before any sheet, every share is of nothing: said in words, never Python's None (or True,
    or a list's brackets) printed to a person."""
    import re

    db = str(tmp_path / "r.db")
    assert _run(db, "roll", "register", str(write(tmp_path / "a.csv")), "-e", "peru-2021-runoff").returncode == 0
    for args in (["status"], ["results"], ["results", "--level", "department"], ["table", "000001"], ["stakes"], ["changes"]):
        done = _run(db, *args)
        printed = done.stdout + done.stderr
        assert done.returncode == 0 and not re.search(r"\b(None|True|False)\b|\['", printed), (args, printed)
