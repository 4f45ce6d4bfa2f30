"""An SQLite store through the standard library, with the part of SQLAlchemy's API the store uses.

Importing SQLAlchemy costs about 0.15 s, which every command paid before touching a row: a
whole national load takes under a second. The store's statements are plain SQL text that
SQLite and PostgreSQL both accept (``exec_driver_sql``), so on SQLite they run through
``sqlite3`` here, and SQLAlchemy is imported only for PostgreSQL, for migrations and for
schema introspection in the tests. The connection settings are the ones ``make_engine``
gives an SQLAlchemy SQLite engine (WAL, synchronous=NORMAL, a busy timeout, and writers taking
the lock at BEGIN IMMEDIATE), so both kinds of connection can share one file.
"""

from __future__ import annotations

import atexit
import sqlite3
import weakref
from collections.abc import Sequence
from pathlib import Path
from typing import Any

BUSY_TIMEOUT = "PRAGMA busy_timeout=30000"
PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", BUSY_TIMEOUT)
POOL = 4
"""Idle connections an engine keeps for reuse."""


class _Dialect:
    name = "sqlite"
    paramstyle = "qmark"


class LiteResult:
    """The rows of one statement (fetched at once: the store's statements return few or
    expect all), with SQLAlchemy Result's accessors."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._keys = [d[0] for d in cursor.description] if cursor.description else []
        self._rows: list[tuple[Any, ...]] = cursor.fetchall() if cursor.description else []
        self.rowcount = cursor.rowcount

    def fetchall(self) -> list[tuple[Any, ...]]:
        return self._rows

    all = fetchall

    def first(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def one(self) -> tuple[Any, ...]:
        if len(self._rows) != 1:
            raise LookupError(f"expected one row, got {len(self._rows)}")
        return self._rows[0]

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def keys(self) -> list[str]:
        return self._keys

    def mappings(self) -> _Mappings:
        return _Mappings([dict(zip(self._keys, r, strict=True)) for r in self._rows])


class _Mappings:
    def __init__(self, rows: list[dict[str, Any]]) -> None:
        self._rows = rows

    def all(self) -> list[dict[str, Any]]:
        return self._rows


class LiteConnection:
    """One sqlite3 connection, used as SQLAlchemy's: ``begin()`` opens a transaction (BEGIN
    IMMEDIATE for writers); without it, the first statement opens a read transaction that
    lasts until the connection is left, so several reads see one state of the store."""

    dialect = _Dialect()

    def __init__(self, connection: sqlite3.Connection, engine: LiteEngine | None = None, write: bool = False) -> None:
        self.connection = connection
        self._engine = engine
        self._write = write

    def execution_options(self, write: bool = False) -> LiteConnection:
        self._write = write
        return self

    def exec_driver_sql(self, sql: str, params: Sequence[Any] | list[Sequence[Any]] | None = None) -> LiteResult:
        """Run SQL with ``?`` marks; a list of parameter tuples runs it once per tuple."""
        if not self.connection.in_transaction:
            self.connection.execute("BEGIN")
        if isinstance(params, list):
            return LiteResult(self.connection.executemany(sql, params))
        return LiteResult(self.connection.execute(sql, tuple(params) if params is not None else ()))

    def begin(self) -> _Transaction:
        if self._write and self._engine is not None:
            self._engine.wrote = True
        return _Transaction(self.connection, "BEGIN IMMEDIATE" if self._write else "BEGIN")

    def close(self) -> None:
        """End a read transaction left open, and go back to the engine's pool if it has room."""
        if self.connection.in_transaction:
            self.connection.execute("ROLLBACK")
        if self._engine is not None and len(self._engine.pool) < POOL:
            self._engine.pool.append(self.connection)
        else:
            self.connection.close()

    def __enter__(self) -> LiteConnection:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class _Transaction:
    def __init__(self, connection: sqlite3.Connection, begin: str) -> None:
        self.connection = connection
        self.connection.execute(begin)

    def __enter__(self) -> _Transaction:
        return self

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        if kind is None:
            self.connection.execute("COMMIT")
        elif self.connection.in_transaction:  # SQLite may have rolled back already (disk full)
            self.connection.execute("ROLLBACK")


class LiteEngine:
    """Opens connections to an SQLite file (the part of ``sa.Engine`` the store uses)."""

    dialect = _Dialect()

    def __init__(self, url: str, path: Path) -> None:
        from escrutinio.store.failures import check_sqlite_file

        self.url = url
        self.path = path
        self.pool: list[sqlite3.Connection] = []
        self.wrote = False
        """Whether a write transaction began here since the last checkpoint (see dispose)."""
        check_sqlite_file(path)
        _ENGINES.add(self)

    def _raw(self) -> sqlite3.Connection:
        """An idle connection, or a new one (opening one and setting its pragmas costs 0.25 ms,
        which a ruling followed by its results would pay a dozen times)."""
        try:
            return self.pool.pop()
        except IndexError:
            pass
        connection = sqlite3.connect(str(self.path), isolation_level=None, check_same_thread=False)
        for pragma in PRAGMAS:
            connection.execute(pragma)
        return connection

    def connect(self) -> LiteConnection:
        return LiteConnection(self._raw(), self)

    def begin(self) -> _Begun:
        """A connection in a write transaction, committed on leaving (as ``sa.Engine.begin``)."""
        return _Begun(LiteConnection(self._raw(), self, write=True))

    def dispose(self) -> None:
        """Fold the write-ahead log into the file if this engine wrote, and close the idle connections.

        The ``.db`` file alone must hold everything once a command returns (a backup, a copy
        sent to an observer). SQLite folds the log back when the last connection to the file
        closes, but not when another process still has it open (idle, as a results page may);
        an explicit checkpoint does it (see :func:`checkpoint`).
        """
        if self.wrote:
            self.wrote = False
            checkpoint(self.pool[-1] if self.pool else None, self.path)
        while self.pool:
            self.pool.pop().close()

    def __del__(self) -> None:
        # Closed explicitly: a connection merely dropped may linger until the process ends,
        # and then the write-ahead log is never folded back into the file.
        self.dispose()


class _Begun:
    def __init__(self, conn: LiteConnection) -> None:
        self.conn = conn
        self.transaction = conn.begin()

    def __enter__(self) -> LiteConnection:
        return self.conn

    def __exit__(self, kind: type[BaseException] | None, *exc: object) -> None:
        try:
            self.transaction.__exit__(kind)
        finally:
            self.conn.close()


_ENGINES: weakref.WeakSet[LiteEngine] = weakref.WeakSet()


def checkpoint(connection: sqlite3.Connection | None, path: Path) -> None:
    """Fold the write-ahead log into the file without waiting for anyone.

    A PASSIVE checkpoint copies every frame no reader still needs; when that was all of
    them the ``.db`` file holds everything, and a TRUNCATE (which then has nothing to wait
    for unless a reader arrived meanwhile) empties ``-wal``. When other processes are busy
    with the store this step is skipped rather than waited for: the last of them to close
    folds the log back (waiting here made every command of a busy results centre slower).
    """
    own = connection is None
    try:
        if connection is None:
            connection = sqlite3.connect(str(path), isolation_level=None, check_same_thread=False)
        connection.execute("PRAGMA busy_timeout=0")
        busy, frames, copied = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if not busy and frames == copied:
            connection.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
        connection.execute(BUSY_TIMEOUT)
    except sqlite3.Error:
        pass  # busy or gone: the log stays beside the file, as complete as before
    finally:
        if own and connection is not None:
            connection.close()


def close_all() -> None:
    """Close every engine's idle connections: the last connection to a file to close folds its
    write-ahead log back into the file, so the ``.db`` file alone holds the whole store (a
    process that ends without closing leaves recent writes in ``-wal`` beside it)."""
    for engine in list(_ENGINES):
        engine.dispose()


# A command that ends by sys.exit (a refusal after a write, a usage error) folds the log too;
# the CLI's successful end, which skips the interpreter's teardown, calls close_all itself.
atexit.register(close_all)
