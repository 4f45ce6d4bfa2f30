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

from escrutinio.count import tally
from escrutinio.domain import table_frame as tf
from escrutinio.domain.election import Election, election_from_toml
from escrutinio.domain.errors import StoreError
from escrutinio.domain.sheet import SheetState
from escrutinio.ledger.canonical import canonical
from escrutinio.ledger.events import GENESIS, Event, EventType, seal_encoded
from escrutinio.ledger.pending import PendingEvent
from escrutinio.ledger.sheets_payload import from_payload, record_frame
from escrutinio.ledger.state import AREA_SCHEMA, TABLE_SCHEMA
from escrutinio.store import chunks
from escrutinio.store.current import read_areas, read_current_sheets, read_tables, sheet_history
from escrutinio.store.engine import (
    bulk_insert,
    bulk_insert_frame,
    create_schema,
    lock_for_write,
    make_engine,
    mark,
    migrate,
    open_engine,
    placeholders,
    sqlite_path,
    writing,
)
from escrutinio.store.packed_tally import add, unpack
from escrutinio.store.sqlite_ddl import SCHEMA_REVISION

BATCHED = (EventType.TABLES_REGISTERED, EventType.SHEETS_RECORDED)
SHEET_ROW_COLUMNS = [
    "table_id",
    "version",
    "state",
    "reasons",
    "basis",
    "line",
    "ballots_cast",
    "blank",
    "null_votes",
    "challenged",
    "votes",
    "seq",
    "current",
    "area",
    "electors",
]
SMALL_BATCH = 2_000
"""Up to this many tables a write reads only their rows; above it, the whole projection."""


class _Projection:
    """Projection state read once per transaction and kept in step as events are applied.

    A bulk load reads the roll and the current sheets once (or starts from nothing on a new
    store) and updates them in memory; a small write (a ruling) reads only its own tables.
    """

    def __init__(self, conn: Any, election: Election | None, cache: dict[str, Any] | None = None) -> None:
        self.conn = conn
        self.election = election
        # Survives transactions (held by the Store): the area lineage changes only with new areas,
        # and recomputing it for every ruling would cost more than the ruling itself.
        self.cache: dict[str, Any] = cache if cache is not None else {}
        self._areas: pl.DataFrame | None = None
        self._lineage: pl.DataFrame | None = None
        self._tables: pl.DataFrame | None = None
        self._sheets: pl.DataFrame | None = None
        self._row_tables: set[str] | None = None
        self.tally_deltas: list[pl.DataFrame] = []
        self.event_rows: list[tuple[Any, ...]] = []
        self.case_rows: dict[str, dict[str, Any]] = {}
        self.case_event_rows: list[tuple[str, int]] = []
        self.case_table_rows: list[tuple[str, str]] = []

    def areas(self) -> pl.DataFrame:
        if self._areas is None:
            self._areas = read_areas(self.conn)
        return self._areas

    def lineage(self) -> pl.DataFrame:
        assert self.election is not None
        if self._lineage is None:
            cached = self.cache.get("lineage")
            count = None
            if self._areas is None:
                count = self.conn.exec_driver_sql("SELECT COUNT(*) FROM areas").scalar()
                if cached is not None and cached[0] == count:
                    self._lineage = cached[1]
                    return self._lineage
            self._lineage = tally.lineage(self.areas(), self.election.country)
            self.cache["lineage"] = (count if count is not None else self.areas().height, self._lineage)
        return self._lineage

    def add_areas(self, frame: pl.DataFrame) -> None:
        self._areas = pl.concat([self.areas(), frame])
        self._lineage = None

    def add_tables(self, frame: pl.DataFrame) -> None:
        """Called before the insert, so a lazy first read cannot see these rows twice."""
        if self._tables is None and frame.height > SMALL_BATCH:
            self._tables = read_tables(self.conn, self.cache)
        if self._tables is not None:
            self._tables = pl.concat([self._tables, frame])

    def roll(self, ids: list[str]) -> pl.DataFrame:
        if self._tables is None and len(ids) > SMALL_BATCH:
            self._tables = read_tables(self.conn, self.cache)
        if self._tables is not None:
            return self._tables.join(pl.DataFrame({"table": ids}), on="table", how="semi")
        return read_tables(self.conn, self.cache, ids)

    def current(self, ids: list[str]) -> pl.DataFrame:
        assert self.election is not None
        if self._sheets is None and len(ids) > SMALL_BATCH:
            self._sheets = read_current_sheets(self.conn, self.election, self.cache)
        if self._sheets is not None:
            return self._sheets.join(pl.DataFrame({"table": ids}), on="table", how="semi")
        return read_current_sheets(self.conn, self.election, self.cache, ids)

    def row_tables(self, ids: list[str]) -> set[str]:
        """Which of these tables have a current sheet kept as a row (to retire it when a newer
        sheet arrives); a bulk write reads the whole (small) set once."""
        if self._row_tables is None and len(ids) > SMALL_BATCH:
            found = self.conn.exec_driver_sql("SELECT table_id FROM sheets WHERE current = 1").fetchall()
            self._row_tables = {r[0] for r in found}
        if self._row_tables is not None:
            return self._row_tables.intersection(ids)
        out: set[str] = set()
        for part in _parts(ids):
            sql = f"SELECT table_id FROM sheets WHERE current = 1 AND table_id IN ({placeholders(self.conn, len(part))})"
            out.update(r[0] for r in self.conn.exec_driver_sql(sql, tuple(part)).fetchall())
        return out

    def rows_changed(self, retired: set[str], kept: list[str]) -> None:
        if self._row_tables is not None:
            self._row_tables = (self._row_tables - retired) | set(kept)

    def replace_current(self, new: pl.DataFrame) -> None:
        if self._sheets is not None:
            self._sheets = pl.concat([self._sheets.join(new.select("table"), on="table", how="anti"), new])


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
            for part in _parts(numbers):
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
            for part in _parts(tables):
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
            proj = _Projection(conn, election, self._cache)
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
                    self._apply_batch(proj, batch)
                    batch = []
                if event.type in BATCHED:
                    batch.append((event, p.frame))
                else:
                    self._apply(proj, event)
                if event.type == EventType.ELECTION_DEFINED:
                    proj.election = election_from_toml(f"event {event.seq}", event.data["definition"])
                sealed.append(event)
                prev = event.hash
            self._apply_batch(proj, batch)
            # The log and the docket rows in one statement each, whatever the number of events.
            bulk_insert(conn, "events", ["seq", "type", "at", "actor", "data", "prev", "hash"], proj.event_rows)
            self._write_cases(conn, proj)
            # One upsert of all the tally changes: a national load touches each area once.
            self._add_tally(conn, tally.combine(*proj.tally_deltas))
        return sealed

    @staticmethod
    def _write_cases(conn: Any, proj: _Projection) -> None:
        """The docket rows as the case events of this write leave them (the last summary wins)."""
        if not proj.case_rows:
            return
        m = mark(conn)
        numbers = [(n,) for n in proj.case_rows]
        conn.exec_driver_sql(f"DELETE FROM cases WHERE number = {m}", numbers)
        columns = list(next(iter(proj.case_rows.values())))
        bulk_insert(conn, "cases", columns, [tuple(r[c] for c in columns) for r in proj.case_rows.values()])
        bulk_insert(conn, "case_events", ["number", "seq"], proj.case_event_rows)
        bulk_insert(conn, "case_tables", ["table_id", "number"], proj.case_table_rows)

    def _apply_batch(self, proj: _Projection, batch: list[tuple[Event, pl.DataFrame | None]]) -> None:
        if not batch:
            return
        if batch[0][0].type == EventType.SHEETS_RECORDED:
            self._apply_sheets(proj, batch)
        else:
            self._apply_tables(proj, batch)

    def _apply_tables(self, proj: _Projection, batch: list[tuple[Event, pl.DataFrame | None]]) -> None:
        frames = [
            (f if f is not None else pl.DataFrame(e.data["tables"]))
            .with_columns(pl.lit(e.seq, dtype=pl.Int64).alias("seq"))
            .select([pl.col(c).cast(t) for c, t in TABLE_SCHEMA.items()])
            for e, f in batch
        ]
        frame = pl.concat(frames) if len(frames) > 1 else frames[0]
        proj.add_tables(frame)
        chunks.write(proj.conn, batch[-1][0].seq, batch[-1][0].hash, chunks.ROLL, frame)
        proj.tally_deltas.append(tally.roll_up(tally.registration_contribution(frame), proj.lineage()))

    def _apply(self, proj: _Projection, event: Event) -> None:
        conn = proj.conn
        if event.type == EventType.ELECTION_DEFINED:
            bulk_insert(
                conn, "meta", ["key", "value"], [("definition", event.data["definition"]), ("election", event.data["election"])]
            )
        elif event.type in EventType.CASE_EVENTS:
            row = {**event.data["summary"], "updated_seq": event.seq}
            proj.case_rows[row["number"]] = row
            proj.case_event_rows.append((row["number"], event.seq))
            if event.type == EventType.CASE_OPENED:
                proj.case_table_rows += [(t, row["number"]) for t in sorted(set(event.data["filing"]["tables"]))]
        elif event.type == EventType.AREAS_REGISTERED:
            frame = pl.DataFrame(event.data["areas"], schema=AREA_SCHEMA)
            proj.add_areas(frame)  # before the insert: the lazy read must not see these rows twice
            bulk_insert(conn, "areas", ["code", "level", "kind", "name", "parent"], frame.rows())

    def _apply_sheets(self, proj: _Projection, batch: list[tuple[Event, pl.DataFrame | None]]) -> None:
        """Apply consecutive sheet events, a run of bulk ones (a file) or of small ones (rulings)
        at a time; within a write each table appears in at most one of them."""
        start = 0
        for i in range(1, len(batch) + 1):
            if i == len(batch) or (batch[i][1] is None) != (batch[start][1] is None):
                self._apply_sheet_run(proj, batch[start:i], bulk=batch[start][1] is not None)
                start = i

    def _apply_sheet_run(self, proj: _Projection, run: list[tuple[Event, pl.DataFrame | None]], bulk: bool) -> None:
        """A bulk run is stored as one chunk, plus rows for its sheets at the dispute body; a
        small run as rows. Either way a table's older current row is retired first."""
        conn = proj.conn
        election = proj.election
        assert election is not None
        frames = [
            record_frame(f, election, e.seq) if f is not None else from_payload(e.data["sheets"], election, e.seq)
            for e, f in run
        ]
        new = pl.concat(frames) if len(frames) > 1 else frames[0]
        if new["table"].is_duplicated().any():
            new = new.unique(subset=["table"], keep="last", maintain_order=True)
        ids = new["table"].to_list()
        old = proj.current(ids)
        roll = proj.roll(ids).select("table", "area", tf.ELECTORS)
        retired = proj.row_tables(ids)
        if retired:
            m = mark(conn)
            conn.exec_driver_sql(
                f"UPDATE sheets SET current = 0 WHERE table_id = {m} AND current = 1", [(t,) for t in sorted(retired)]
            )
        if bulk:
            chunks.write(conn, run[-1][0].seq, run[-1][0].hash, chunks.SHEETS, new)
        rows = new.filter(pl.col("state") == SheetState.OBSERVED.value) if bulk else new
        self._write_sheet_rows(conn, rows.sort("table"), roll, election)
        proj.rows_changed(retired, rows["table"].to_list())
        lin = proj.lineage()
        plus = tally.roll_up(tally.sheet_contribution(new.join(roll, on="table", how="inner"), election), lin)
        minus = tally.roll_up(tally.sheet_contribution(old.join(roll, on="table", how="inner"), election), lin)
        proj.tally_deltas += [plus, minus.with_columns(-pl.col("value"))]
        proj.replace_current(new)

    @staticmethod
    def _write_sheet_rows(conn: Any, rows: pl.DataFrame, roll: pl.DataFrame, election: Election) -> None:
        """Sheets as current rows; a row for the same version (a new state) is replaced."""
        if not rows.height:
            return
        votes_cols = [tf.choice_column(c) for c in election.contest.choice_ids]
        # The votes column is the JSON list of the choices' votes, built column-wise ("[115,87]").
        votes_json = pl.concat_str(
            [pl.lit("["), pl.concat_str([pl.col(c).cast(pl.String) for c in votes_cols], separator=","), pl.lit("]")]
        )
        frame = rows.join(roll, on="table", how="left").select(
            "table",
            "version",
            "state",
            "reasons",
            "basis",
            "line",
            tf.CAST,
            tf.BLANK,
            tf.NULL,
            tf.CHALLENGED,
            votes_json.alias("votes"),
            "seq",
            pl.lit(1).alias("current"),
            "area",
            tf.ELECTORS,
        )
        bulk_insert_frame(conn, "sheets", SHEET_ROW_COLUMNS, frame, replace_on=("table_id", "version"))

    @staticmethod
    def _add_tally(conn: Any, delta: pl.DataFrame) -> None:
        """Add long (area, key, value) changes to the stored per-area counts."""
        if not delta.height:
            return
        grouped = delta.group_by("area").agg("key", "value").sort("area")
        areas = grouped["area"].to_list()
        stored: dict[str, str] = {}
        for part in _parts(areas):
            sql = f"SELECT area, counts FROM area_tally WHERE area IN ({placeholders(conn, len(part))})"
            stored.update(conn.exec_driver_sql(sql, tuple(part)).fetchall())
        rows = [
            (area, add(stored.get(area), keys, values))
            for area, keys, values in zip(areas, grouped["key"].to_list(), grouped["value"].to_list(), strict=True)
        ]
        conn.exec_driver_sql(
            f"INSERT INTO area_tally (area, counts) VALUES ({placeholders(conn, 2)}) "
            "ON CONFLICT (area) DO UPDATE SET counts = excluded.counts",
            rows,
        )


def _head(conn: Any) -> tuple[int, str]:
    row = conn.exec_driver_sql("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").first()
    return (0, GENESIS) if row is None else (row[0], row[1])


EVENT_COLUMNS = "seq, type, at, actor, data, prev, hash"


def _event(row: Sequence[Any]) -> Event:
    """An ``events`` row (EVENT_COLUMNS, in order) as an Event."""
    seq, type_, at, actor, data, prev, digest = row
    return Event(seq, type_, at, actor, orjson.loads(data), prev, digest)


def _parts(items: Sequence[str], size: int = 500) -> Iterator[list[str]]:
    """A long IN list in parts the drivers take."""
    for i in range(0, len(items), size):
        yield list(items[i : i + size])
