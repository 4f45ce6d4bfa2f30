"""Read-only queries for results and progress, without SQLAlchemy on an SQLite store.

Reading a published figure should cost a query, not an import: ``escrutinio results`` on an
SQLite file opens it read-only with the standard library and runs the same SQL that
PostgreSQL gets through SQLAlchemy. Writes never come through here.
"""

from __future__ import annotations

import os
import sqlite3
import stat
import weakref
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from escrutinio.domain.errors import StoreError
from escrutinio.store import tally_digest
from escrutinio.store.columns import SHEET_ROW
from escrutinio.store.failures import check_sqlite_file, guarded
from escrutinio.store.location import sqlite_path
from escrutinio.store.packed_tally import unpack

SHEET_KEYS = tuple(c for c in SHEET_ROW if c not in ("line", "current"))
"""What the results list of each sheet at the dispute body."""
SHEET_COLUMNS = ", ".join(f"s.{c}" for c in SHEET_KEYS)


def _open_read_only(path: Path) -> sqlite3.Connection:
    """A read-only connection; on read-only media (a directory SQLite cannot write its -shm
    file in, with no -wal left beside the store) the file cannot change, so it is opened as
    immutable: a published store can be read from a read-only mount or disc."""
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        found = connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchall()
    except sqlite3.OperationalError:
        connection.close()
        if (os.access(path.parent, os.W_OK) and _writable_dir(path.parent)) or path.with_name(path.name + "-wal").exists():
            raise
        connection = sqlite3.connect(f"file:{path}?mode=ro&immutable=1", uri=True)
        found = connection.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").fetchall()
    if not found:
        connection.close()
        raise StoreError(f"{path}: not an escrutinio store")
    return connection


def _writable_dir(directory: Path) -> bool:
    return bool(directory.stat().st_mode & (stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))


@guarded
class Reader:
    """Runs read-only SQL on a store (qmark placeholders; translated for PostgreSQL)."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._sqlite: sqlite3.Connection | None = None
        self._engine: Any = None
        self._pinned: Any = None  # the connection of a snapshot on a server
        self._in_snapshot = False
        self._snapshot_head: tuple[int, str] | None = None
        """The head of the snapshot being read (it cannot move inside one): read once, not per ask."""
        path = sqlite_path(url)
        if path is not None:
            if not path.exists():
                raise StoreError(f"{path}: no escrutinio store here (create one with: escrutinio load FILE --election NAME)")
            check_sqlite_file(path)
            self._sqlite = _open_read_only(path)
            _OPEN.add(self)

    def revision(self) -> str | None:
        """The schema revision the store is at (a reader never migrates; the Store does)."""
        found = self.rows("SELECT version_num FROM alembic_version")
        return found[0][0] if found else None

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        if self._sqlite is not None:
            return self._sqlite.execute(sql, tuple(params)).fetchall()
        if self._pinned is not None:
            result = self._pinned.exec_driver_sql(sql.replace("?", "%s"), tuple(params))
            return [tuple(r) for r in result.fetchall()]
        with self._server().connect() as conn:
            result = conn.exec_driver_sql(sql.replace("?", "%s"), tuple(params))
            return [tuple(r) for r in result.fetchall()]

    def _server(self) -> Any:
        if self._engine is None:
            from escrutinio.store.engine import make_engine

            self._engine = make_engine(self.url)
        return self._engine

    @contextmanager
    def snapshot(self) -> Iterator[tuple[int, str]]:
        """Every read inside the ``with`` sees one state of the store, the head it yields (see
        ``store.snapshot``). Nested, it is the same snapshot."""
        if self._in_snapshot:
            yield self.head()
            return
        self._in_snapshot = True
        self._snapshot_head = None
        try:
            if self._sqlite is not None:
                self._sqlite.execute("BEGIN")  # deferred: the first read below fixes the state
                try:
                    yield self.head()
                finally:
                    if self._sqlite is not None and self._sqlite.in_transaction:
                        self._sqlite.execute("ROLLBACK")
                return
            from escrutinio.store.snapshot import end, read_connection

            self._pinned = read_connection(self._server())
            try:
                yield self.head()
            finally:
                pinned, self._pinned = self._pinned, None
                end(pinned)
        finally:
            self._in_snapshot = False
            self._snapshot_head = None

    def close(self) -> None:
        if self._sqlite is not None:
            self._sqlite.close()
            self._sqlite = None
        if self._engine is not None:
            from escrutinio.store.engine import release

            release(self._engine)
            self._engine = None

    def definition_text(self) -> str:
        found = self.rows("SELECT value FROM meta WHERE key = ?", ("definition",))
        if not found:
            raise StoreError(f"{self.url}: the store has no election definition")
        return found[0][0]

    def area_count(self) -> int:
        return self.rows("SELECT COUNT(*) FROM areas")[0][0]

    def areas(self) -> list[tuple[str, int, str, str, str | None]]:
        return self.rows("SELECT code, level, kind, name, parent FROM areas ORDER BY level, code")

    def tally(self, codes: Sequence[str] | None = None, level: int | None = None) -> list[tuple[str, str, int]]:
        """Long (area, key, value) tallies of some areas, of a level, or of all; each row read is
        checked against the digest projected with the log head (``store.tally_digest``).

        The rows, the digests and the head are read in one snapshot: read one after another,
        a write committed between them made an honest read look tampered with."""
        with self.snapshot():
            return self._tally(codes, level)

    def _tally(self, codes: Sequence[str] | None, level: int | None) -> list[tuple[str, str, int]]:
        if codes is not None and not codes:  # no area asked for (a level's areas within one that holds none)
            return []
        if codes is not None and len(codes) <= 500:
            marks = ", ".join("?" * len(codes))
            rows = self.rows(f"SELECT area, counts FROM area_tally WHERE area IN ({marks})", codes)
        elif level is not None:
            rows = self.rows(
                "SELECT a.area, a.counts FROM area_tally a JOIN areas r ON r.code = a.area WHERE r.level = ?", (level,)
            )
        else:
            rows = self.rows("SELECT area, counts FROM area_tally")
        self._check_tally(rows, codes, level)
        return unpack(rows)

    def _check_tally(self, rows: list[tuple[Any, ...]], codes: Sequence[str] | None, level: int | None) -> None:
        wanted: Sequence[str] | None = codes
        if codes is None and level is not None:
            wanted = [code for (code,) in self.rows("SELECT code FROM areas WHERE level = ?", (level,))]
        recorded, stated = tally_digest.recorded(self.rows, wanted)
        tally_digest.check(rows, wanted, recorded, stated, self.head())

    def sheets_at_dispute_body(self) -> list[dict[str, Any]]:
        """The current observed sheets: always kept as rows (a bulk load writes its observed
        sheets as rows too), so the partial index answers without reading any chunk."""
        rows = self.rows(f"SELECT {SHEET_COLUMNS} FROM sheets s WHERE s.current = 1 AND s.state = 'observed' ORDER BY s.table_id")
        return [dict(zip(SHEET_KEYS, r, strict=True)) for r in rows]

    def open_cases(self) -> list[tuple[str, str, str]]:
        """(number, kind, tables) of every case not yet closed."""
        return self.rows(
            "SELECT number, kind, tables FROM cases WHERE status IN ('filed', 'admitted', 'ruled', 'appealed') ORDER BY number"
        )

    def head(self) -> tuple[int, str]:
        """(events, hash) of the log's last event; inside a snapshot, the snapshot's (read once:
        a results read asks for it four times, each a round trip to a server)."""
        if self._snapshot_head is not None:
            return self._snapshot_head
        found = self.rows("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1")
        head = (0, "0" * 64) if not found else (found[0][0], found[0][1])
        if self._in_snapshot:
            self._snapshot_head = head
        return head

    def accounts_stamp(self) -> int:
        """The number of the last event that created or revoked an account (0: none yet).
        Accounts are only ever added and revoked, so while this number stays the same every
        account and token is as it was: what a server's cache of authenticated tokens checks."""
        found = self.rows("SELECT MAX(created_seq), MAX(revoked_seq) FROM accounts")
        return max((int(v) for v in found[0] if v is not None), default=0) if found else 0

    def event_hash(self, seq: int) -> str | None:
        """The hash of event ``seq`` (None when the log is shorter): whether a log is the one
        some earlier reading saw, up to that event."""
        found = self.rows("SELECT hash FROM events WHERE seq = ?", (seq,))
        return found[0][0] if found else None

    def event_at(self, seq: int) -> str | None:
        """When event ``seq`` was recorded (ISO 8601; None when the log is shorter): how old the
        oldest event a replica has not replayed yet is."""
        found = self.rows("SELECT at FROM events WHERE seq = ?", (seq,))
        return str(found[0][0]) if found else None

    def event_index(self, after: int = 0) -> list[tuple[int, str, str, str]]:
        """(seq, type, at, actor) of every event after ``after``, oldest first: what happened
        when, without reading any event's data."""
        return self.rows("SELECT seq, type, at, actor FROM events WHERE seq > ? ORDER BY seq", (after,))

    def event_data(self, seqs: Sequence[int]) -> dict[int, dict[str, Any]]:
        """The data of a few events (by number)."""
        import orjson

        out: dict[int, dict[str, Any]] = {}
        for i in range(0, len(seqs), 500):
            part = list(seqs[i : i + 500])
            rows = self.rows(f"SELECT seq, data FROM events WHERE seq IN ({', '.join('?' * len(part))})", part)
            out.update((seq, orjson.loads(data)) for seq, data in rows)
        return out


_OPEN: weakref.WeakSet[Reader] = weakref.WeakSet()


def close_readers() -> None:
    """Close every reader still open (before the writers' engines, so that the last connection
    to close is one that may fold the write-ahead log back into the file)."""
    for reader in list(_OPEN):
        reader.close()
