"""Sessions that share one store's state (``store.shared``, as ``escrutinio serve`` does) check
the schema once, and still see every write another writer makes meanwhile: new tables on the
roll, new sheets, new results."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from tests.onpe_sample import Row, sample_rows, write

import escrutinio.store.store as store_module
from escrutinio.app import Session
from escrutinio.store.shared import Shared


def test_shared_sessions_see_what_another_writer_loads(db_url: str, tmp_path: Path) -> None:
    with Session(db_url) as s:
        s.count.load(write(tmp_path / "first.csv"), "peru-2021-runoff")
        url = s.url
    shared = Shared(url)
    with Session(db_url, shared=shared) as s:
        before = s.count.results()[0]
        assert s.store.electors(["000011"]) == {}
    more = [Row("000011", p1=50, p2=60, cast=128), Row("000012", p1=1, p2=2, cast=21)]
    with Session(db_url) as other:  # another writer, with none of the shared state
        other.count.load(write(tmp_path / "more.csv", [*sample_rows(), *more]), new_tables=True)
    with Session(db_url, shared=shared) as s:
        after = s.count.results()[0]
        assert s.store.electors(["000011", "000012"]) == {"000011": 300, "000012": 300}
        assert s.store.sheet_history(["000011"])["000011"][0]["votes"] == "[50,60]"
    assert after["votes"] == {"PL": before["votes"]["PL"] + 51, "FP": before["votes"]["FP"] + 62}
    assert shared.definition is not None and shared.definition[0].id == "peru-2021-runoff"


def test_shared_sessions_check_the_schema_once(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    with Session(db_url) as s:
        s.count.load(write(tmp_path / "first.csv"), "peru-2021-runoff")
        url = s.url
    asked: list[Any] = []
    real = store_module.has_schema

    def counting(conn: Any) -> bool:
        asked.append(conn)
        return real(conn)

    monkeypatch.setattr(store_module, "has_schema", counting)
    shared = Shared(url)
    for _ in range(3):
        with Session(db_url, shared=shared) as s:
            s.store.head()
    assert len(asked) == 1 and shared.ready
    with Session(db_url) as s:  # a session of its own (a command) checks for itself
        s.store.head()
    assert len(asked) == 2


def test_a_shared_session_on_a_removed_sqlite_file_is_refused(tmp_path: Path) -> None:
    db = tmp_path / "gone.db"
    with Session(str(db)) as s:
        s.count.load(write(tmp_path / "first.csv"), "peru-2021-runoff")
        url = s.url
    shared = Shared(url)
    with Session(str(db), shared=shared) as s:
        s.store.head()
    db.unlink()
    with Session(str(db), shared=shared) as s, pytest.raises(Exception, match="no escrutinio store here"):
        s.store.head()
    assert not db.exists()
