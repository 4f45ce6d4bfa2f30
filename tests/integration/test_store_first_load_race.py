"""Several first loads of one new store at once, through the real CLI, on SQLite and PostgreSQL:
one makes the store; each other one either finds it made and loads the same file again (which
changes nothing) or is told in one line that the store was created meanwhile and to retry.
Never a traceback, never a half-made store, never a sheet twice."""

from __future__ import annotations

import subprocess
import sys
from collections import Counter
from pathlib import Path

from tests.onpe_sample import write

from escrutinio.store.engine import resolve_url
from escrutinio.store.store import Store


def test_first_loads_racing_make_one_whole_store(db_url: str, tmp_path: Path) -> None:
    sheets = write(tmp_path / "sheets.csv")
    command = [sys.executable, "-m", "escrutinio.cli", "--db", db_url, "load", str(sheets), "--election", "peru-2021-runoff"]
    racing = [subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outcomes = [(p.wait(timeout=300), p.communicate()[1]) for p in racing]
    for code, err in outcomes:
        assert code == 0 or (code == 1 and err.count("\n") == 1 and err.endswith("nothing was written; retry\n")), err
    assert any(code == 0 for code, _ in outcomes)
    store = Store.open(resolve_url(db_url))
    try:
        types = Counter(e.type for e in store.events_since(0, ["election.defined", "tables.registered", "sheets.recorded"]))
        assert types == {"election.defined": 1, "tables.registered": 1, "sheets.recorded": 1}
        assert store.head()[0] == sum(1 for _ in store.event_lines())
    finally:
        store.close()
