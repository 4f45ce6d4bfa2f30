"""The store: appends events to the hash chain and updates the projections in ONE transaction.

Every write goes through :meth:`Store.append`: it takes the write lock, seals each event on
top of the current head, inserts it, and applies the same event to the projection tables
(areas, roll, sheets, area tallies) before committing. A crash at any point leaves either
all of it or none of it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

import orjson
import polars as pl

from escrutinio.aggregation import tally
from escrutinio.domain.election import Election, election_from_toml
from escrutinio.domain.errors import StoreError
from escrutinio.ledger.canonical import canonical
from escrutinio.ledger.events import GENESIS, Event, EventType, seal_encoded
from escrutinio.ledger.pending import PendingEvent
from escrutinio.store.current import read_areas, read_current_sheets, read_tables, sheet_history
from escrutinio.store.engine import (
    bulk_insert,
    create_schema,
    lock_for_write,
    make_engine,
    mark,
    migrate,
    open_engine,
    parts,
    placeholders,
    sqlite_path,
    writing,
)
from escrutinio.store.packed_tally import unpack
from escrutinio.store.projection import Projection, add_tally, apply_batch, apply_event, write_cases
from escrutinio.store.sqlite_ddl import SCHEMA_REVISION

BATCHED = (EventType.TABLES_REGISTERED, EventType.SHEETS_RECORDED)


class Store:
    """A canvass store at a URL; create it with :meth:`create`, open it with :meth:`open`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = open_engine(url)
        self._election: tuple[Election, str] | None = None
        self._cache: dict[str, Any] = {}

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    def exists(cls, url: str) -> bool:
        path = sqlite_path(url)
        if path is not None and not path.exists():
            return False
        engine = open_engine(url)
        try:
            with engine.connect() as conn:
                if path is not None:
                    found = conn.exec_driver_sql("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'")
                else:
                    found = conn.exec_driver_sql(
                        "SELECT 1 FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = 'meta'"
                    )
                return found.first() is not None
        finally:
            engine.dispose()

    @classmethod
    def open(cls, url: str) -> Store:
        if not cls.exists(url):
            raise StoreError(f"{url}: no escrutinio store here (create one with: escrutinio load FILE --election NAME)")
        store = cls(url)
        with store.engine.connect() as conn:
            revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        if revision != SCHEMA_REVISION:
            engine = make_engine(url)  # Alembic runs on SQLAlchemy
            try:
                with writing(engine) as conn, conn.begin():
                    migrate(conn)
            finally:
                engine.dispose()
        return store

    @classmethod
    def create(cls, url: str, definition: str, actor: str) -> Store:
        """Create the schema and record the election as the first event."""
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        store = cls(url)
        election = election_from_toml("definition", definition)
        # The schema and the first event in one transaction: a store killed in between would
        # have tables but no election, and no later load could use it.
        store.append(
            [PendingEvent(EventType.ELECTION_DEFINED, {"election": election.id, "definition": definition})], actor, create=True
        )
        return store

    def close(self) -> None:
        self.engine.dispose()

    # -- reading ---------------------------------------------------------------------------

    def election(self) -> Election:
        return self._definition()[0]

    def definition_text(self) -> str:
        return self._definition()[1]

    def _definition(self) -> tuple[Election, str]:
        if self._election is None:
            with self.engine.connect() as conn:
                text = conn.exec_driver_sql("SELECT value FROM meta WHERE key = 'definition'").scalar()
            if text is None:
                raise StoreError(f"{self.url}: the store has no election definition")
            self._election = (election_from_toml("store definition", text), text)
        return self._election

    def head(self) -> tuple[int, str]:
        with self.engine.connect() as conn:
            return _head(conn)

    def frames(self) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
        """(areas, tables, current sheets) as frames."""
        election = self.election()
        with self.engine.connect() as conn:
            return read_areas(conn), read_tables(conn, self._cache), read_current_sheets(conn, election, self._cache)

    def tally(self) -> pl.DataFrame:
        """Every area's tally, long: (area, key, value)."""
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql("SELECT area, counts FROM area_tally").fetchall()
        return pl.DataFrame(unpack(rows), schema={"area": pl.String, "key": pl.String, "value": pl.Int64}, orient="row")

    def areas(self) -> pl.DataFrame:
        with self.engine.connect() as conn:
            return read_areas(conn)

    def sheet_versions(self, table: str) -> list[dict[str, Any]]:
        return self.sheet_history([table])[table]

    def event_lines(self, batch: int = 1000) -> Iterator[bytes]:
        """The log, oldest first, as canonical JSON lines."""
        last = 0
        with self.engine.connect() as conn:
            while True:
                sql = f"SELECT {EVENT_COLUMNS} FROM events WHERE seq > {int(last)} ORDER BY seq LIMIT {int(batch)}"
                rows = conn.exec_driver_sql(sql).fetchall()
                if not rows:
                    return
                for r in rows:
                    yield _event(r).line()
                last = rows[-1][0]

    def case_events(self, numbers: Sequence[str]) -> dict[str, list[Event]]:
        """The events of each case, oldest first."""
        out: dict[str, list[Event]] = {n: [] for n in numbers}
        with self.engine.connect() as conn:
            for part in parts(numbers):
                sql = (
                    f"SELECT c.number, {', '.join('e.' + c for c in EVENT_COLUMNS.split(', '))} FROM case_events c "
                    f"JOIN events e ON e.seq = c.seq WHERE c.number IN ({placeholders(conn, len(part))}) ORDER BY e.seq"
                )
                for r in conn.exec_driver_sql(sql, tuple(part)).fetchall():
                    out[r[0]].append(_event(r[1:]))
        return out

    def cases_on_tables(self, tables: Sequence[str]) -> list[str]:
        with self.engine.connect() as conn:
            found: set[str] = set()
            for part in parts(tables):
                sql = f"SELECT number FROM case_tables WHERE table_id IN ({placeholders(conn, len(part))})"
                found.update(r[0] for r in conn.exec_driver_sql(sql, tuple(part)).fetchall())
        return sorted(found)

    def case_rows(self, open_only: bool = False) -> list[dict[str, Any]]:
        where = " WHERE status IN ('filed', 'admitted', 'ruled', 'appealed')" if open_only else ""
        with self.engine.connect() as conn:
            return [dict(r) for r in conn.exec_driver_sql(f"SELECT * FROM cases{where} ORDER BY number").mappings().all()]

    def count_cases(self, kind: str) -> int:
        with self.engine.connect() as conn:
            return conn.exec_driver_sql(f"SELECT COUNT(*) FROM cases WHERE kind = {mark(conn)}", (kind,)).scalar() or 0

    def sheet_history(self, tables: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
        """Every version of each table's sheet, oldest first (``current`` marks the one counted)."""
        with self.engine.connect() as conn:
            return sheet_history(conn, self.election(), self._cache, list(tables))

    def electors(self, tables: Sequence[str]) -> dict[str, int | None]:
        with self.engine.connect() as conn:
            frame = read_tables(conn, self._cache, list(tables))
        return dict(zip(frame["table"].to_list(), frame["electors"].to_list(), strict=True))

    def events_since(self, seq: int, types: Sequence[str]) -> list[Event]:
        """Events after ``seq`` of the given types, oldest first."""
        with self.engine.connect() as conn:
            sql = (
                f"SELECT {EVENT_COLUMNS} FROM events WHERE seq > {int(seq)} "
                f"AND type IN ({placeholders(conn, len(types))}) ORDER BY seq"
            )
            rows = conn.exec_driver_sql(sql, tuple(types)).fetchall()
        return [_event(r) for r in rows]

    def events_of_type(self, type_: str) -> list[Event]:
        with self.engine.connect() as conn:
            sql = f"SELECT {EVENT_COLUMNS} FROM events WHERE type = {mark(conn)} ORDER BY seq"
            rows = conn.exec_driver_sql(sql, (type_,)).fetchall()
        return [_event(r) for r in rows]

    # -- writing ---------------------------------------------------------------------------

    def append(
        self, pending: Sequence[PendingEvent], actor: str, expect_seq: int | None = None, create: bool = False
    ) -> list[Event]:
        """Append events and apply them to the projections, all in one transaction.

        ``expect_seq`` is the head the caller decided on: if another writer appended since (two
        clerks ruling on the same case, two loads racing), nothing is written and the caller is
        told to look again, instead of recording a decision taken on a stale state. ``create``
        creates the schema first, in the same transaction.
        """
        sealed: list[Event] = []
        with writing(self.engine) as conn, conn.begin():
            if create:
                create_schema(conn)
            lock_for_write(conn)
            seq, prev = _head(conn)
            if expect_seq is not None and seq != expect_seq:
                raise StoreError(
                    f"the store changed while this action was prepared (event {expect_seq} was the last; now {seq}): "
                    "nothing was written; look again and retry"
                )
            election = None if self._election is None and seq == 0 else self.election()
            proj = Projection(conn, election, self._cache)
            batch: list[tuple[Event, pl.DataFrame | None]] = []
            for p in pending:
                seq += 1
                data = p.payload()
                encoded = canonical(data)
                at, digest_ = seal_encoded(seq, p.type, actor, encoded, prev)
                proj.event_rows.append((seq, p.type, at, actor, encoded.decode(), prev, digest_))
                # A bulk event's data is dropped once stored; its rows live on in the frame.
                event = Event(seq, p.type, at, actor, data if p.frame is None else {}, prev, digest_)
                del data, encoded
                # Consecutive events of one bulk type are projected together, in one pass.
                if batch and batch[0][0].type != event.type:
                    apply_batch(proj, batch)
                    batch = []
                if event.type in BATCHED:
                    batch.append((event, p.frame))
                else:
                    apply_event(proj, event)
                if event.type == EventType.ELECTION_DEFINED:
                    proj.election = election_from_toml(f"event {event.seq}", event.data["definition"])
                sealed.append(event)
                prev = event.hash
            apply_batch(proj, batch)
            # The log and the docket rows in one statement each, whatever the number of events.
            bulk_insert(conn, "events", ["seq", "type", "at", "actor", "data", "prev", "hash"], proj.event_rows)
            write_cases(conn, proj)
            # One upsert of all the tally changes: a national load touches each area once.
            add_tally(conn, tally.combine(*proj.tally_deltas))
        return sealed


def _head(conn: Any) -> tuple[int, str]:
    row = conn.exec_driver_sql("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").first()
    return (0, GENESIS) if row is None else (row[0], row[1])


EVENT_COLUMNS = "seq, type, at, actor, data, prev, hash"


def _event(row: Sequence[Any]) -> Event:
    """An ``events`` row (EVENT_COLUMNS, in order) as an Event."""
    seq, type_, at, actor, data, prev, digest = row
    return Event(seq, type_, at, actor, orjson.loads(data), prev, digest)
