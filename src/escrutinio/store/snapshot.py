"""One state of the store for many reads: a read transaction held open while they run.

Why: a page of results, a status and a docket, or a whole published tree, is made of many
queries. Run one by one, a write landing between two of them gives figures of two different
heads side by side. Inside a snapshot every read of the store (and of its reader) runs in one
read transaction, on one connection, so they all see one head: SQLite's deferred ``BEGIN``
(in WAL mode a reader keeps its snapshot while writers go on) and PostgreSQL's
``REPEATABLE READ`` (allowed on a hot-standby replica too). Writers are never blocked.
"""

from __future__ import annotations

from typing import Any

from escrutinio.domain.errors import StoreError

WRITE_REFUSED = "a write inside a read snapshot: write before or after it"


class PinnedEngine:
    """Stands in for a store's engine during a snapshot: every ``connect()`` is the one held
    connection (left open on leaving); a write is refused."""

    def __init__(self, engine: Any, connection: Any) -> None:
        self.engine = engine
        self.connection = connection
        self.dialect = engine.dialect

    def connect(self) -> _Held:
        return _Held(self.connection)

    def begin(self) -> Any:
        raise StoreError(WRITE_REFUSED)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.engine, name)


class _Held:
    """The held connection, as ``with engine.connect() as conn`` uses it: left open on leaving."""

    def __init__(self, connection: Any) -> None:
        self.connection = connection

    def __enter__(self) -> Any:
        return self.connection

    def __exit__(self, *exc: object) -> None:
        return None

    def execution_options(self, **options: Any) -> Any:
        """How a write asks for its connection (``engine.writing``): refused."""
        raise StoreError(WRITE_REFUSED)


def read_connection(engine: Any) -> Any:
    """A connection of ``engine`` that will hold one read transaction (begun by its first read)."""
    connection = engine.connect()
    if engine.dialect.name == "postgresql":
        connection = connection.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
    return connection


def end(connection: Any) -> None:
    """End the read transaction and give the connection back."""
    try:
        if hasattr(connection, "rollback"):
            connection.rollback()
    finally:
        connection.close()
