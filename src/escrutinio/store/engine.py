"""Open a store by path or URL: SQLite by default, PostgreSQL for a multi-user results centre.

Writers are serialised so the hash chain stays linear: SQLite takes its write lock at the
start of every transaction (BEGIN IMMEDIATE); PostgreSQL takes a transaction-level advisory
lock before reading the head of the chain.

On PostgreSQL a read outside a snapshot autocommits: one statement, one round trip, with no
BEGIN and ROLLBACK around it (under READ COMMITTED a transaction gave a series of reads no
common state anyway: ``store/snapshot.py`` holds one when it matters). A write asks for its
transaction (:func:`writing`).

The store itself opens SQLite through the standard library (``open_engine``, see lite.py) and
PostgreSQL through SQLAlchemy; ``make_engine`` gives an SQLAlchemy engine for either, for
migrations and schema introspection. SQLAlchemy is imported only when one is made.
"""

from __future__ import annotations

import os
import select
import time
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escrutinio.store.lite import PRAGMAS, LiteConnection, LiteEngine
from escrutinio.store.location import resolve_url, sqlite_path

if TYPE_CHECKING:
    import sqlalchemy as sa

__all__ = ["resolve_url", "sqlite_path"]

WRITE_LOCK_KEY = 7_245_121  # any fixed 64-bit number; one lock per database


def open_engine(url: str) -> Any:
    """The store's engine: the standard library's sqlite3 for a file, SQLAlchemy for PostgreSQL."""
    path = sqlite_path(url)
    if path is not None:
        return LiteEngine(url, path)
    return make_engine(url)


def make_engine(url: str) -> sa.Engine:
    """An SQLAlchemy engine (SQLite connections set up as lite.py sets its own)."""
    import sqlalchemy as sa
    from sqlalchemy import event as sa_event

    if url.startswith("sqlite"):
        engine = sa.create_engine(url, connect_args={"isolation_level": None})

        @sa_event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record):  # type: ignore[no-untyped-def]
            cur = dbapi_conn.cursor()
            for pragma in PRAGMAS:
                cur.execute(pragma)
            cur.close()

        @sa_event.listens_for(engine, "begin")
        def _begin(conn):  # type: ignore[no-untyped-def]
            # Writers take the lock up front (no deadlock on upgrade); readers never block them.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("write") else "BEGIN")

        return engine
    from escrutinio.store.schema import for_postgresql

    engine = _SERVER_ENGINES.get(url)
    if engine is None:
        checked_url(url)
        for_postgresql()
        engine = sa.create_engine(
            url, isolation_level="AUTOCOMMIT", pool_size=_POOL["size"], max_overflow=_POOL["overflow"], pool_timeout=POOL_WAIT
        )
        sa_event.listen(engine, "connect", _custom_plans)
        sa_event.listen(engine, "checkout", _ping_if_idle)
        sa_event.listen(engine, "checkin", _mark_used)
        _SERVER_ENGINES[url] = engine
    return engine


POOL_WAIT = 30
"""Seconds a thread waits for a pooled server connection before its request fails."""
_POOL = {"size": 5, "overflow": 10}
"""The server connections an engine keeps (``size``) and may open beyond them (``overflow``):
SQLAlchemy's own defaults, enough for a command; ``escrutinio serve`` sizes them to its
worker threads (:func:`size_pools`), or threads queue for a connection while the server idles."""


def size_pools(threads: int) -> None:
    """Pool enough server connections for ``threads`` threads: each thread holds at most two at
    once (a snapshot's store and reader), each lane of the group commit one (two on a server:
    ``store.group_commit``). Engines made before are closed and made again on their next use,
    with the new size."""
    wanted = {"size": threads + 2, "overflow": threads + 2}
    if wanted != _POOL:
        _POOL.update(wanted)
        dispose_all()
        _SERVER_ENGINES.clear()


IDLE_PING = 5.0
"""Seconds a pooled connection may sit unused before its next checkout pings the server first."""


def _ping_if_idle(dbapi_conn: Any, record: Any, _proxy: Any) -> None:
    """Ping a pooled connection at checkout only when it may be dead: the server said something
    while it sat idle (a restarting server's farewell, then the socket's end: one ``select``
    call sees it, no round trip), or it sat unused longer than IDLE_PING (a network that died
    silently). A dead one is replaced before any query sees it.

    Why not SQLAlchemy's ``pool_pre_ping``: it pings on every checkout, a round trip more for
    each query's round trip, under load when every connection is busy and alive anyway."""
    from sqlalchemy.exc import DisconnectionError

    try:
        heard = bool(select.select([dbapi_conn.fileno()], [], [], 0)[0])
        if heard or time.monotonic() - record.info.get("used", 0.0) > IDLE_PING:
            dbapi_conn.execute("SELECT 1")  # in autocommit: no transaction is left open
    except Exception as exc:
        raise DisconnectionError(str(exc)) from exc  # the pool opens a new connection instead
    record.info["used"] = time.monotonic()


def _custom_plans(dbapi_conn: Any, _record: Any) -> None:
    """Have the server plan every statement for its own parameters, prepared or not
    (``plan_cache_mode = force_custom_plan``), on each new connection.

    Why: psycopg prepares a statement a connection has run five times, and after five more
    runs PostgreSQL may switch a prepared statement to a generic plan, made without the
    parameters' values. A committer lane that kept its connection (``Store._lane_connection``)
    ran into one for its statements: the server's CPU for 6,000 sheets keyed twice went from
    3.3 s to 7.2 and 8.7 s, and the intake took twice as long. Planned for its parameters each
    time, as an unprepared statement is, a prepared one only saves its parsing (3.0 s)."""
    autocommit = dbapi_conn.autocommit
    dbapi_conn.execute("SET plan_cache_mode = force_custom_plan")
    if not autocommit:
        dbapi_conn.commit()


def may_reuse(conn: Any) -> bool:
    """Whether a connection a caller keeps checked out between transactions (a committer
    lane's, ``Store._lane_connection``) may go on without the pool's checkout check
    (:func:`_ping_if_idle`): it is open, the server said nothing while it sat idle, and it was
    used within IDLE_PING seconds. Else the caller gives it back and checks out another."""
    if conn.closed or conn.invalidated:
        return False
    pooled = conn.connection  # its ``info`` is its pool record's, as :func:`_ping_if_idle` keeps it
    try:
        heard = bool(select.select([pooled.dbapi_connection.fileno()], [], [], 0)[0])
    except (OSError, ValueError):
        return False
    if heard or time.monotonic() - pooled.info.get("used", 0.0) > IDLE_PING:
        return False
    pooled.info["used"] = time.monotonic()
    return True


def _mark_used(_dbapi_conn: Any, record: Any) -> None:
    if record is not None:
        record.info["used"] = time.monotonic()


_SERVER_ENGINES: dict[str, Any] = {}
"""One engine per server URL in a process: making one, and its first connection's dialect
set-up (a few queries), cost more than a small command's own work, and a command opens the
store several times (to check it exists, to write, to read). Disposing an engine closes its
idle connections; it can still be used afterwards."""


def _forget_after_fork() -> None:
    """In a forked child, drop the engines inherited from the parent without closing their
    connections: those sockets are the parent's, and two processes talking on one connection
    interleave their transactions (psycopg then refuses with "connection in transaction
    status INTRANS", or the server drops it). The child opens its own on first use."""
    for engine in _SERVER_ENGINES.values():
        engine.dispose(close=False)
    _SERVER_ENGINES.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)


def release(engine: Any) -> None:
    """Done with ``engine``: close an SQLite engine (folding its log back into the file); a
    server engine is shared by the process, so its idle connections stay pooled."""
    if engine not in _SERVER_ENGINES.values():
        engine.dispose()


def dispose_all() -> None:
    """Close every PostgreSQL engine's pooled connections (a long-lived process that opens
    many sessions, such as a test running many commands, would otherwise hold one server
    connection per session)."""
    for engine in list(_SERVER_ENGINES.values()):
        engine.dispose()


def writing(engine: Any) -> Any:
    """A connection whose transaction is a write transaction (BEGIN IMMEDIATE on SQLite; on
    PostgreSQL a READ COMMITTED transaction, the server's default, where reads autocommit)."""
    if engine.dialect.name == "postgresql":
        return engine.connect().execution_options(write=True, isolation_level="READ COMMITTED")
    return engine.connect().execution_options(write=True)


def lock_for_write(conn: Any) -> None:
    """Serialise writers (PostgreSQL); SQLite's BEGIN IMMEDIATE already did."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")


def mark(conn: Any) -> str:
    """The parameter mark of the connection's driver (``?`` for sqlite3, ``%s`` for psycopg)."""
    return "?" if conn.dialect.paramstyle == "qmark" else "%s"


def placeholders(conn: Any, n: int) -> str:
    return ", ".join([mark(conn)] * n)


def parts(items: Sequence[Any], size: int = 500) -> Iterator[list[Any]]:
    """A long IN list in parts the drivers take."""
    for i in range(0, len(items), size):
        yield list(items[i : i + size])


def bulk_insert(conn: Any, table: str, columns: list[str], rows: Iterable[tuple], replace_on: Sequence[str] = ()) -> None:
    """Insert many rows through the driver's executemany: the Core per-row overhead is ~5x.

    With ``replace_on`` (the key columns), a row whose key exists replaces the other columns
    (the same ON CONFLICT clause on SQLite and PostgreSQL).
    """
    if isinstance(rows, list) and not rows:
        return
    run_many(conn, insert_sql(conn, table, columns, replace_on), rows)


def insert_sql(conn: Any, table: str, columns: list[str], replace_on: Sequence[str] = ()) -> str:
    """The statement :func:`bulk_insert` runs once per row."""
    sql = f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({placeholders(conn, len(columns))})"
    if replace_on:
        others = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in replace_on)
        sql += f" ON CONFLICT ({', '.join(replace_on)}) DO UPDATE SET {others}"
    return sql


def run_many(conn: Any, sql: str, rows: Iterable[Sequence[Any]]) -> None:
    """A statement that returns no rows, once per row of parameters, on the DBAPI cursor of the
    connection's transaction: it takes any iterable of rows (SQLAlchemy wants a list), and it
    can run inside :func:`pipelined` (SQLAlchemy's own execution cannot)."""
    cursor = conn.connection.cursor()
    try:
        cursor.executemany(sql, rows)
    finally:
        cursor.close()


@contextmanager
def pipelined(conn: Any) -> Iterator[None]:
    """Statements run inside (through :func:`run_many` only: they return no rows) are sent to
    a PostgreSQL server together and answered together, one round trip where there was one
    each; on SQLite, as they come.

    Why: the last writes of an append (the log, the entries, the tallies, the keys) each waited
    for the server, and under load each wait is also a wait for the GIL, in the group commit's
    one thread that every write waits for. A statement's error surfaces when the block ends,
    as SQLAlchemy's error for it (the whole transaction is rolled back either way)."""
    if conn.dialect.name != "postgresql":
        yield
        return
    with as_sqlalchemy_errors(conn), conn.connection.driver_connection.pipeline():
        yield


def commit_in_pipeline(conn: Any) -> bool:
    """Inside :func:`pipelined`, send COMMIT after the statements already sent, so that they
    and the commit take one round trip (PostgreSQL; True); the transaction's own commit then
    finds nothing left to do. On SQLite, nothing (False): the transaction commits as usual.

    A statement refused before it skips the COMMIT (the server skips what follows an error
    until the pipeline's end), so such a failure still means nothing was written; only a
    connection lost meanwhile leaves the outcome unknown, as a lost commit always does."""
    if conn.dialect.name != "postgresql":
        return False
    cursor = conn.connection.cursor()
    try:
        cursor.execute("COMMIT")
    finally:
        cursor.close()
    return True


@contextmanager
def as_sqlalchemy_errors(conn: Any) -> Iterator[None]:
    """psycopg's errors, raised by statements run on the driver's own connection, as
    SQLAlchemy would have raised them (what the store's translation and retries expect); a
    connection the server dropped is invalidated, so its pool never hands it out again."""
    import psycopg
    from sqlalchemy.exc import DBAPIError

    try:
        yield
    except psycopg.Error as exc:
        driver = conn.connection.driver_connection
        lost = bool(driver.closed or driver.broken)
        if lost:
            conn.invalidate()
        raise DBAPIError.instance(None, None, exc, psycopg.Error, connection_invalidated=lost) from exc


def locked_rows(conn: Any, sql: str, params: Sequence[Any]) -> list[Any]:
    """Take the write lock (:func:`lock_for_write`), then run the query ``sql`` and return its
    rows: on PostgreSQL both are sent at once (one round trip, not two), yet the query is a
    statement of its own, so its snapshot is taken once the lock is held."""
    return locked_reads(conn, [(sql, params)])[0]


def locked_reads(conn: Any, queries: Sequence[tuple[str, Sequence[Any]]]) -> list[list[Any]]:
    """:func:`locked_rows` of several queries: the lock and every query sent at once, each
    query's rows in order (each a statement of its own, all after the lock). Inside
    :func:`begun_with_lock`, the transaction's BEGIN goes in that round trip too."""
    if conn.dialect.name != "postgresql":
        lock_for_write(conn)
        return [list(conn.exec_driver_sql(sql, tuple(params)).fetchall()) for sql, params in queries]
    cursors = [conn.connection.cursor() for _ in queries]
    driver = conn.connection.driver_connection
    try:
        with as_sqlalchemy_errors(conn):
            with driver.pipeline():
                if driver.autocommit and driver.info.transaction_status == _idle():
                    cursors[0].execute(BEGIN)  # begun_with_lock's: psycopg does not begin in autocommit
                cursors[0].execute(f"SELECT pg_advisory_xact_lock({WRITE_LOCK_KEY})")
                for cursor, (sql, params) in zip(cursors, queries, strict=True):
                    cursor.execute(sql, tuple(params))
            return [list(cursor.fetchall()) for cursor in cursors]
    finally:
        for cursor in cursors:
            cursor.close()


BEGIN = "BEGIN ISOLATION LEVEL READ COMMITTED"
"""A write transaction's start on PostgreSQL, as psycopg sends it for :func:`writing`."""


@contextmanager
def begun_with_lock(conn: Any) -> Iterator[None]:
    """Inside, the transaction's BEGIN is sent with the write lock's request and its reads
    (:func:`locked_reads`), in their round trip; on SQLite, or a connection already in a
    transaction, nothing changes. To be entered before the SQLAlchemy transaction, so that
    it leaves after that transaction's commit or rollback.

    Why: psycopg begins a transaction in pipeline mode with a round trip of its own (it sends
    BEGIN and waits for its answer before the first statement). On a committer lane that wait
    came before the lock's request, so the next group's request reached the server later,
    and under load a round trip is also a wait for the server's process and for the GIL: the
    write lock sat free for it after each commit. With psycopg's autocommit on for the block,
    it sends no BEGIN of its own and ours goes in the lock's round trip; the COMMIT (or
    ROLLBACK) psycopg sends on the transaction's status, whatever the setting. The setting
    is restored on the way out (the connection goes on to serve others); if it cannot be
    (the connection is not idle: the server dropped it), the connection is invalidated."""
    if conn.dialect.name != "postgresql":
        yield
        return
    driver = conn.connection.driver_connection
    if driver.autocommit or driver.info.transaction_status != _idle():
        yield
        return
    driver.autocommit = True
    try:
        yield
    finally:
        try:
            driver.autocommit = False
        except Exception:
            conn.invalidate()


def _idle() -> Any:
    from psycopg.pq import TransactionStatus

    return TransactionStatus.IDLE


def has_schema(conn: Any) -> bool:
    """Whether the database holds a store (its ``meta`` table)."""
    if conn.dialect.name == "sqlite":
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'"
    else:
        sql = "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'meta'"
    return conn.exec_driver_sql(sql).first() is not None


def create_schema(conn: Any) -> None:
    """A new store: the current schema, stamped with its Alembic revision.

    Running every migration from the first would give the same tables (a test holds them
    equal) but costs Alembic's import and a quarter of a second on every new store. A file
    opened through the standard library gets the same DDL, compiled from the metadata
    beforehand (sqlite_ddl.py; a test holds it equal to SQLAlchemy's).
    """
    from escrutinio.store.sqlite_ddl import SCHEMA_REVISION, STATEMENTS

    if isinstance(conn, LiteConnection):
        for statement in STATEMENTS:
            conn.exec_driver_sql(statement)
    else:
        from escrutinio.store.schema import metadata

        metadata.create_all(conn)
    conn.exec_driver_sql("CREATE TABLE alembic_version (version_num VARCHAR(32) NOT NULL PRIMARY KEY)")
    conn.exec_driver_sql(f"INSERT INTO alembic_version (version_num) VALUES ('{SCHEMA_REVISION}')")


def bulk_insert_frame(
    conn: Any, table: str, columns: list[str], frame: Any, chunk: int = 50_000, replace_on: Sequence[str] = ()
) -> None:
    """Insert a polars frame's rows (in ``columns`` order) a chunk at a time, so only one chunk
    of Python tuples exists at once."""
    for start in range(0, frame.height, chunk):
        part = frame.slice(start, chunk)
        # Column lists zipped lazily: cheaper than materialising a list of row tuples first.
        bulk_insert(conn, table, columns, zip(*(part[c].to_list() for c in part.columns), strict=True), replace_on)


def migrate(conn: sa.Connection, target: str = "head") -> None:
    """Bring the schema to a revision (the head by default) with Alembic (imported only when needed)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).parent / "migrations"))
    cfg.attributes["connection"] = conn
    command.upgrade(cfg, target)


def checked_url(url: str) -> None:
    """Refuse a server URL that is not of a URL's form, naming ``--db``: SQLAlchemy's parser says
    ``invalid literal for int()`` of a port that is not a number, naming neither."""
    import sqlalchemy as sa

    from escrutinio.domain.errors import BadStoreUrl
    from escrutinio.store.failures import shown

    try:
        sa.engine.make_url(url)
    except (ValueError, sa.exc.ArgumentError) as exc:
        port = url.split("@")[-1].split("/")[0].rpartition(":")[2]
        why = f"port '{port}' is not a number" if "int()" in str(exc) else "not of the form postgresql://user@host:port/database"
        raise BadStoreUrl(f"db: {shown(url)}: {why}") from exc
