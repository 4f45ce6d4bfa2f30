"""The last writes of an append go to the server together (``engine.pipelined``): what they
write is written, and a refused one still fails the whole write with the driver's error as
SQLAlchemy names it (so the store's one-line translation and the group commit's retry of the
group request by request work as before), leaving nothing written."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import IntegrityError
from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.store.engine import bulk_insert, commit_in_pipeline, locked_rows, mark, pipelined, run_many, writing
from escrutinio.store.failures import is_driver_error, translate


def keys(s: Session) -> list[str]:
    with s.store.engine.connect() as conn:
        return [r[0] for r in conn.exec_driver_sql("SELECT key FROM action_keys ORDER BY key").fetchall()]


def test_pipelined_writes_land_and_a_refused_one_fails_the_whole_write(db_url: str, tmp_path: Path) -> None:
    with Session(db_url) as s:
        s.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
        before = keys(s)
        with writing(s.store.engine) as conn, conn.begin(), pipelined(conn):
            bulk_insert(conn, "action_keys", ["key", "seq", "at"], [("k1", 1, "t"), ("k2", 1, "t")])
            run_many(conn, f"DELETE FROM action_keys WHERE key = {mark(conn)}", [("k2",)])
        assert keys(s) == sorted([*before, "k1"])
        with pytest.raises(Exception) as refused, writing(s.store.engine) as conn, conn.begin(), pipelined(conn):
            bulk_insert(conn, "action_keys", ["key", "seq", "at"], [("k3", 1, "t")])
            bulk_insert(conn, "action_keys", ["key", "seq", "at"], [("k1", 1, "t")])  # taken: refused
        assert is_driver_error(refused.value) and "UNIQUE" in str(refused.value).upper()
        if s.store.engine.dialect.name == "postgresql":
            assert isinstance(refused.value, IntegrityError)  # as SQLAlchemy names it, not psycopg's own
            assert "the database refused the request" in str(translate(refused.value, s.url, writing=True))
        assert keys(s) == sorted([*before, "k1"])  # k3 rolled back with it


def test_locked_rows_takes_the_write_lock_and_answers_the_query(db_url: str, tmp_path: Path) -> None:
    with Session(db_url) as s:
        s.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
        with writing(s.store.engine) as conn, conn.begin():
            rows = locked_rows(conn, f"SELECT COUNT(*) FROM events WHERE seq > {mark(conn)}", [0])
            assert rows[0][0] == s.store.head()[0]
            if conn.dialect.name == "postgresql":  # held by this transaction until it ends
                sql = "SELECT COUNT(*) FROM pg_locks WHERE locktype = 'advisory' AND pid = pg_backend_pid() AND granted"
                assert conn.exec_driver_sql(sql).scalar() == 1


def test_commit_in_pipeline_commits_with_the_statements_unless_one_is_refused(db_url: str, tmp_path: Path) -> None:
    with Session(db_url) as s:
        s.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
        before = keys(s)
        with writing(s.store.engine) as conn, conn.begin():
            with pipelined(conn):
                bulk_insert(conn, "action_keys", ["key", "seq", "at"], [("c1", 1, "t")])
                sent = commit_in_pipeline(conn)
            if sent:  # PostgreSQL: committed already, seen from another connection before the block ends
                assert keys(s) == sorted([*before, "c1"])
        assert keys(s) == sorted([*before, "c1"])
        with pytest.raises(Exception) as refused, writing(s.store.engine) as conn, conn.begin(), pipelined(conn):
            bulk_insert(conn, "action_keys", ["key", "seq", "at"], [("c2", 1, "t")])
            bulk_insert(conn, "action_keys", ["key", "seq", "at"], [("c1", 1, "t")])  # taken: refused
            commit_in_pipeline(conn)
        assert is_driver_error(refused.value) and not getattr(refused.value, "connection_invalidated", False)
        assert keys(s) == sorted([*before, "c1"])  # the COMMIT after the refusal was skipped: c2 is not there
