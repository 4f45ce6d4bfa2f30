"""A committer lane writes its groups on a server connection of its own, kept from one group to
the next (``Store._lane_connection``), replaced once the server dropped it; every server
connection has its statements planned for their parameters (``engine._custom_plans``); a group
has its BEGIN sent with the lock's request (``engine.begun_with_lock``) and leaves its
connection as it was."""

from __future__ import annotations

import time

import pytest
import sqlalchemy as sa
from psycopg.pq import TransactionStatus
from tests.conftest import _pg_admin_url, fresh_pg_database

from escrutinio.domain.errors import AlreadyDone, StaleState
from escrutinio.formats.definition import load_definition
from escrutinio.ledger.pending import PendingEvent
from escrutinio.store.engine import resolve_url
from escrutinio.store.group_commit import GroupRequest
from escrutinio.store.store import Store

pytestmark = pytest.mark.postgres


def _group(store: Store, key: str) -> None:
    results = store.write_group([GroupRequest([PendingEvent("test.noted", {"key": key})], "clerk", None, [key])])
    assert not isinstance(results[0], BaseException), results


def _lane_pid(store: Store) -> int:
    with store._lane_connection() as conn:
        return int(conn.connection.dbapi_connection.info.backend_pid)


def test_a_lane_keeps_its_connection_and_statements_are_planned_for_their_parameters() -> None:
    store = Store.create(resolve_url(fresh_pg_database()), load_definition("peru-2021-runoff")[1], "clerk")
    try:
        _group(store, "a")
        first = _lane_pid(store)
        _group(store, "b")
        assert _lane_pid(store) == first  # the same server process wrote both groups
        assert store.known_keys(["a", "b"]) == {"a": 2, "b": 3}
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW plan_cache_mode").scalar() == "force_custom_plan"
    finally:
        store.close()


def test_a_lane_s_connection_the_server_dropped_is_replaced_before_its_next_group() -> None:
    db = fresh_pg_database()
    database = db.rsplit("/", 1)[1]
    store = Store.create(resolve_url(db), load_definition("peru-2021-runoff")[1], "clerk")
    admin = sa.create_engine(resolve_url(_pg_admin_url() or ""), isolation_level="AUTOCOMMIT")
    try:
        _group(store, "a")
        dropped = _lane_pid(store)
        with admin.connect() as conn:
            assert conn.exec_driver_sql("SELECT pg_terminate_backend(%s)", (dropped,)).scalar()
            deadline = time.monotonic() + 30
            sql = "SELECT count(*) FROM pg_stat_activity WHERE pid = %s AND datname = %s"
            while conn.exec_driver_sql(sql, (dropped, database)).scalar() and time.monotonic() < deadline:
                time.sleep(0.05)
        _group(store, "b")  # not refused: the dead connection was given back, another taken
        assert _lane_pid(store) != dropped
        assert store.known_keys(["a", "b"]) == {"a": 2, "b": 3}
    finally:
        store.close()
        admin.dispose()


def test_a_lane_s_connection_is_back_to_psycopg_s_transactions_after_each_group() -> None:
    """A group's BEGIN is sent with the lock's request (``engine.begun_with_lock``, psycopg's
    autocommit on for the group): the connection is as it was afterwards, whether the group was
    written, found done already (nothing to write: its transaction ended all the same) or
    written apart, and the lane goes on writing on it."""
    store = Store.create(resolve_url(fresh_pg_database()), load_definition("peru-2021-runoff")[1], "clerk")
    try:
        _group(store, "a")
        with store._lane_connection() as conn:
            driver = conn.connection.driver_connection
        assert driver.autocommit is False
        again = store.write_group([GroupRequest([PendingEvent("test.noted", {"key": "a"})], "clerk", None, ["a"])])
        assert isinstance(again[0], AlreadyDone)
        assert driver.autocommit is False and driver.info.transaction_status == TransactionStatus.IDLE
        apart = store.write_group([GroupRequest([PendingEvent("test.noted", {})], "clerk", 1, ["c"])])
        assert isinstance(apart[0], StaleState)  # a group expecting a head is written apart
        _group(store, "d")
        assert driver.autocommit is False and driver.info.transaction_status == TransactionStatus.IDLE
        assert store.known_keys(["a", "c", "d"]) == {"a": 2, "d": 3}
        with store._lane_connection() as conn:
            assert conn.connection.driver_connection is driver  # the same connection all along
    finally:
        store.close()
