"""The PostgreSQL connection pool: reads hold no transaction open, and a pooled connection the
server dropped while it sat idle is replaced before any read sees it (no ping on every
checkout: ``store.engine._ping_if_idle``)."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from tests.conftest import _pg_admin_url, fresh_pg_database

from escrutinio.app import Session
from escrutinio.formats.definition import load_definition
from escrutinio.ledger.pending import PendingEvent
from escrutinio.store.engine import resolve_url
from escrutinio.store.store import Store

pytestmark = pytest.mark.postgres


def _admin() -> sa.Engine:
    return sa.create_engine(resolve_url(_pg_admin_url() or ""), isolation_level="AUTOCOMMIT")


def _backends(admin: sa.Engine, database: str) -> list[str]:
    with admin.connect() as conn:
        sql = "SELECT state FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
        return sorted(r[0] for r in conn.exec_driver_sql(sql, (database,)).fetchall())


def test_reads_leave_no_transaction_open_and_writes_still_commit_whole() -> None:
    url = resolve_url(fresh_pg_database())
    database = url.rsplit("/", 1)[1]
    store = Store.create(url, load_definition("peru-2021-runoff")[1], "clerk")
    admin = _admin()
    try:
        with store.engine.connect() as conn:
            conn.exec_driver_sql("SELECT seq FROM events").fetchall()
            assert "idle in transaction" not in _backends(admin, database)  # autocommit: no BEGIN was sent
        store.append([PendingEvent("test.noted", {"n": 1})], "clerk", keys=["k"])
        assert store.head()[0] == 2 and store.known_keys(["k"]) == {"k": 2}
        assert _backends(admin, database) and "idle in transaction" not in _backends(admin, database)
    finally:
        store.close()
        admin.dispose()


def test_a_connection_the_server_dropped_is_replaced_before_a_read_uses_it() -> None:
    db = fresh_pg_database()
    database = db.rsplit("/", 1)[1]
    store = Store.create(resolve_url(db), load_definition("peru-2021-runoff")[1], "clerk")
    head = store.head()  # leaves its connection pooled
    admin = _admin()
    try:
        with admin.connect() as conn:
            sql = "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()"
            assert conn.exec_driver_sql(sql, (database,)).fetchall()
        deadline = time.monotonic() + 30
        while _backends(admin, database) and time.monotonic() < deadline:  # the server ends them a moment later
            time.sleep(0.05)
        assert store.head() == head  # not "the server went away": the dead connection was replaced
        assert Session(db).count.status() is not None
    finally:
        store.close()
        admin.dispose()


def test_a_read_gives_its_connection_back_as_it_took_it() -> None:
    """Reads share the pool's connections, so what one read set on its connection must not reach
    the next read there: a snapshot's REPEATABLE READ and read-only mode, its transaction, and
    the transaction a failed statement aborted inside it are undone at checkin (SQLAlchemy's
    reset of the connection's characteristics, and its rollback on return), while the setting
    every connection is opened with (``plan_cache_mode``, ``store.engine._custom_plans``) stays.
    No ``DISCARD ALL``/``DEALLOCATE ALL`` on checkin: it would undo that setting, and the
    statements psycopg prepared are keyed by their text and planned for each call's parameters,
    so one read's cannot change another's answer (and re-preparing them would cost every read
    a round trip)."""
    from psycopg.pq import TransactionStatus

    url = resolve_url(fresh_pg_database())
    store = Store.create(url, load_definition("peru-2021-runoff")[1], "clerk")
    try:
        with store.snapshot(), store.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW transaction_read_only").scalar() == "on"
            with pytest.raises(sa.exc.DBAPIError):
                conn.exec_driver_sql("SELECT 1 / 0")
        held = [store.engine.connect() for _ in range(store.engine.pool.checkedin())]
        try:
            assert held
            for conn in held:
                assert conn.connection.dbapi_connection.info.transaction_status == TransactionStatus.IDLE
                sql = "SELECT current_setting('transaction_isolation'), current_setting('transaction_read_only'),"
                sql += " current_setting('plan_cache_mode')"
                assert tuple(conn.exec_driver_sql(sql).one()) == ("read committed", "off", "force_custom_plan")
        finally:
            for conn in held:
                conn.close()
    finally:
        store.close()
