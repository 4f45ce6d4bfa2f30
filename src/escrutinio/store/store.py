"""The store: appends events to the hash chain and updates the projections in ONE transaction.

Every write goes through :meth:`Store.append`: it takes the write lock, seals each event on
top of the current head, inserts it, and applies the same event to the projection tables
(areas, roll, sheets, area tallies) before committing. A crash at any point leaves either
all of it or none of it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import orjson
import polars as pl

from escrutinio.aggregation import tally
from escrutinio.domain.election import Election, election_from_toml
from escrutinio.domain.errors import AlreadyDone, StaleState, StoreError
from escrutinio.domain.limits import MAX_BLOB_BYTES, MAX_KEY, check_length, check_media_type
from escrutinio.ledger.canonical import canonical
from escrutinio.ledger.events import GENESIS, Event, EventType, seal_encoded, timestamp
from escrutinio.ledger.pending import PendingEvent
from escrutinio.store import tally_digest
from escrutinio.store.current import read_areas, read_current_sheets, read_tables, sheet_history
from escrutinio.store.engine import (
    bulk_insert,
    create_schema,
    has_schema,
    lock_for_write,
    make_engine,
    mark,
    migrate,
    open_engine,
    parts,
    placeholders,
    release,
    sqlite_path,
    writing,
)
from escrutinio.store.failures import guarded, is_driver_error, shown, translate
from escrutinio.store.field_limits import check_election, check_event
from escrutinio.store.lite import LiteEngine
from escrutinio.store.packed_tally import unpack
from escrutinio.store.projection import Projection, add_tally, apply_batch, apply_event, write_cases
from escrutinio.store.sqlite_ddl import SCHEMA_REVISION

BATCHED = (EventType.TABLES_REGISTERED, EventType.SHEETS_RECORDED)
ACCOUNT_COLUMNS = "name, role, area, party, body, created_at, created_seq, revoked_at, revoked_seq"
"""An account's columns but its token hash (see :meth:`Store.account_by_token_hash`)."""


@guarded
class Store:
    """A canvass store at a URL; create it with :meth:`create`, open it with :meth:`open`."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.engine = open_engine(url)
        self._election: tuple[Election, str] | None = None
        self._cache: dict[str, Any] = {}
        self._committing = False

    # -- lifecycle -------------------------------------------------------------------------

    @classmethod
    def exists(cls, url: str) -> bool:
        path = sqlite_path(url)
        if path is not None and not path.exists():
            return False
        return bool(cls._ask(url, has_schema))

    @staticmethod
    def _ask(url: str, question: Any) -> Any:
        """``question(conn)`` on a connection of its own, without opening a Store."""
        engine = open_engine(url)
        try:
            with engine.connect() as conn:
                return question(conn)
        finally:
            release(engine)

    @classmethod
    def open(cls, url: str) -> Store:
        if not cls.exists(url):
            raise StoreError(f"{shown(url)}: no escrutinio store here (create one with: escrutinio load FILE --election NAME)")
        store = cls(url)
        with store.engine.connect() as conn:
            revision = conn.exec_driver_sql("SELECT version_num FROM alembic_version").scalar()
        if revision != SCHEMA_REVISION:
            engine = make_engine(url)  # Alembic runs on SQLAlchemy
            try:
                with writing(engine) as conn, conn.begin():
                    lock_for_write(conn)  # two commands opening an old store migrate it once
                    migrate(conn)
            finally:
                release(engine)
            if isinstance(store.engine, LiteEngine):
                store.engine.wrote = True  # fold the migration's log back when the store closes
        return store

    @classmethod
    def create(
        cls, url: str, definition: str, actor: str, events: Sequence[PendingEvent] = (), *, keys: Sequence[str] = ()
    ) -> Store:
        """Create the schema and record the election as the first event, then ``events`` (a
        first load's), all in one transaction: a store is made whole with its first load, or
        not at all (a refused first load leaves no store behind to confuse the rerun)."""
        path = sqlite_path(url)
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
        store = cls(url)
        election = election_from_toml("definition", definition)
        defined = PendingEvent(EventType.ELECTION_DEFINED, {"election": election.id, "definition": definition})
        store.append([defined, *events], actor, create=True, keys=keys)
        return store

    @classmethod
    def clock_of(cls, url: str) -> datetime:
        """The clock a store at ``url`` will stamp with, read before it exists (a first load
        opens its observation cases on it, in the transaction that creates the store): a
        server is asked; an SQLite file is not opened, since opening would create it."""
        if sqlite_path(url) is not None:
            return _clock(None)
        moment: datetime = cls._ask(url, _clock)
        return moment

    def close(self) -> None:
        release(self.engine)

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

    def table_areas(self, tables: Sequence[str]) -> dict[str, str]:
        """The area (on the roll) of each of these tables that is registered."""
        with self.engine.connect() as conn:
            frame = read_tables(conn, self._cache, list(tables))
        return dict(zip(frame["table"].to_list(), frame["area"].to_list(), strict=True))

    def accounts(self) -> list[dict[str, Any]]:
        """Every account, without its token hash, oldest first."""
        with self.engine.connect() as conn:
            sql = f"SELECT {ACCOUNT_COLUMNS} FROM accounts ORDER BY created_seq"
            return [dict(r) for r in conn.exec_driver_sql(sql).mappings().all()]

    def account_by_token_hash(self, token_hash: str) -> tuple[dict[str, Any], str] | None:
        """The account whose token hashes to ``token_hash`` and the hash stored for it, or None."""
        with self.engine.connect() as conn:
            sql = f"SELECT {ACCOUNT_COLUMNS}, token_hash FROM accounts WHERE token_hash = {mark(conn)}"
            rows = conn.exec_driver_sql(sql, (token_hash,)).mappings().all()
        if not rows:
            return None
        found = dict(rows[0])
        return found, found.pop("token_hash")

    def events_since(self, seq: int, types: Sequence[str]) -> list[Event]:
        """Events after ``seq`` of the given types, oldest first."""
        with self.engine.connect() as conn:
            sql = (
                f"SELECT {EVENT_COLUMNS} FROM events WHERE seq > {int(seq)} "
                f"AND type IN ({placeholders(conn, len(types))}) ORDER BY seq"
            )
            rows = conn.exec_driver_sql(sql, tuple(types)).fetchall()
        return [_event(r) for r in rows]

    def event_hash(self, seq: int) -> str | None:
        """The hash of event ``seq`` (None when the log has no such event): what a certificate or
        a signed head binds is checked against it."""
        with self.engine.connect() as conn:
            rows = conn.exec_driver_sql(f"SELECT hash FROM events WHERE seq = {mark(conn)}", (int(seq),)).fetchall()
        return str(rows[0][0]) if rows else None

    def events_of_type(self, type_: str) -> list[Event]:
        with self.engine.connect() as conn:
            sql = f"SELECT {EVENT_COLUMNS} FROM events WHERE type = {mark(conn)} ORDER BY seq"
            rows = conn.exec_driver_sql(sql, (type_,)).fetchall()
        return [_event(r) for r in rows]

    # -- writing ---------------------------------------------------------------------------

    def append(
        self,
        pending: Sequence[PendingEvent],
        actor: str,
        *,
        expect_seq: int | None = None,
        keys: Sequence[str] = (),
        create: bool = False,
    ) -> list[Event]:
        """Append events and apply them to the projections, all in one transaction.

        ``expect_seq`` is the head the caller decided on: if another writer appended since (two
        clerks ruling on the same case, two loads racing), nothing is written and
        :class:`StaleState` tells the caller to look again and retry, instead of recording a
        decision taken on a stale state.

        ``keys`` are the action's idempotency keys (one per action: ``--key``, or a file's hash
        and row for an import): each is recorded with the first event written, in the same
        transaction, so a rerun after a kill or a double submit is refused with
        :class:`AlreadyDone` and writes nothing. A key already recorded is checked before the
        head, since an action already done is not one to retry.

        ``create`` creates the schema first, in the same transaction; if another command created
        the store meanwhile, :class:`StaleState` again (nothing written; retry).

        Every event of one append gets one time, the store's clock once the write lock is held
        (see :meth:`clock`).
        """
        wanted = _checked_keys(keys, pending)
        try:
            return self._append(pending, actor, expect_seq, wanted, create)
        except Exception as exc:
            if not is_driver_error(exc):
                raise
            # A failure before the commit wrote nothing; one during it may have written all.
            raise translate(exc, self.url, writing=True, committing=self._committing) from exc
        finally:
            self._committing = False

    def _append(
        self, pending: Sequence[PendingEvent], actor: str, expect_seq: int | None, wanted: list[str], create: bool
    ) -> list[Event]:
        sealed: list[Event] = []
        with writing(self.engine) as conn, conn.begin():
            lock_for_write(conn)
            if create:
                if has_schema(conn):
                    raise StaleState.created_meanwhile(shown(self.url), _head(conn)[0])
                create_schema(conn)
            if wanted:
                done = _known_keys(conn, wanted)
                if done:
                    key = next(k for k in wanted if k in done)
                    raise AlreadyDone(key, done[key])
            seq, prev = _head(conn)
            if expect_seq is not None and seq != expect_seq:
                raise StaleState(expect_seq, seq)
            at = timestamp(_clock(conn))
            election = None if self._election is None and seq == 0 else self.election()
            proj = Projection(conn, election, self._cache)
            batch: list[tuple[Event, pl.DataFrame | None]] = []
            for p in pending:
                seq += 1
                data = p.payload()
                check_event(p.type, data, p.frame, actor)
                encoded = canonical(data)
                _, digest_ = seal_encoded(seq, p.type, actor, encoded, prev, at)
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
                    apply_event(proj, event, p.private)
                if event.type == EventType.ELECTION_DEFINED:
                    proj.election = election_from_toml(f"event {event.seq}", event.data["definition"])
                    check_election(proj.election)
                sealed.append(event)
                prev = event.hash
            apply_batch(proj, batch)
            # The log and the docket rows in one statement each, whatever the number of events.
            bulk_insert(conn, "events", ["seq", "type", "at", "actor", "data", "prev", "hash"], proj.event_rows)
            write_cases(conn, proj)
            # One upsert of all the tally changes: a national load touches each area once.
            changed = add_tally(conn, tally.combine(*proj.tally_deltas))
            tally_digest.write(conn, changed, seq, prev)
            if wanted:
                # The primary key is the last guard: a duplicate here fails the whole transaction.
                bulk_insert(conn, "action_keys", ["key", "seq", "at"], [(k, sealed[0].seq, at) for k in wanted])
            # Past here only the commit is left: a failure now leaves the outcome unknown.
            self._committing = True
        return sealed

    def known_keys(self, keys: Sequence[str]) -> dict[str, int]:
        """Which of ``keys`` are recorded, each with the first event its action wrote: a bulk
        action (an import rerun after a kill) skips the rows already done."""
        with self.engine.connect() as conn:
            return _known_keys(conn, list(keys))

    def clock(self) -> datetime:
        """The store's time now, in UTC: PostgreSQL's server clock, the machine's for SQLite.

        Admissibility (a filing's deadline) is judged on the time the receiving store stamps,
        never on a time the filer types: every client of a results centre then shares one
        clock, the one that also stamps the events (:meth:`append` uses the same clock).
        """
        with self.engine.connect() as conn:
            return _clock(conn)

    # -- blobs -----------------------------------------------------------------------------

    def put_blob(self, data: bytes, media_type: str) -> str:
        """Keep a file's bytes under their SHA-256 (hex) and return it; idempotent.

        The event that uses the file records this hash, so the log vouches for the bytes
        without holding them. Putting the same bytes again writes nothing new (the first media
        type stays); a blob no event names yet is harmless.
        """
        if not isinstance(data, bytes | bytearray | memoryview):
            raise TypeError(f"a blob is bytes, not {type(data).__name__}")
        data = bytes(data)
        if len(data) > MAX_BLOB_BYTES:
            raise StoreError(f"file of {len(data):,} bytes: at most {MAX_BLOB_BYTES:,} bytes can be kept")
        check_media_type(media_type)
        sha = hashlib.sha256(data).hexdigest()
        with writing(self.engine) as conn, conn.begin():
            m = placeholders(conn, 5)
            conn.exec_driver_sql(
                f"INSERT INTO blobs (sha256, media_type, size, at, data) VALUES ({m}) ON CONFLICT (sha256) DO NOTHING",
                (sha, media_type, len(data), timestamp(_clock(conn)), data),
            )
        return sha

    def blob(self, sha256: str) -> bytes:
        """The bytes kept under ``sha256`` (checked against it as they are read)."""
        with self.engine.connect() as conn:
            data = conn.exec_driver_sql(f"SELECT data FROM blobs WHERE sha256 = {mark(conn)}", (sha256.lower(),)).scalar()
        if data is None:
            raise StoreError(f"no file with SHA-256 {sha256} in this store")
        data = bytes(data)
        if hashlib.sha256(data).hexdigest() != sha256.lower():
            raise StoreError(f"the file kept under SHA-256 {sha256} does not match its hash: the store was altered")
        return data

    def blob_info(self, sha256: str) -> BlobInfo:
        """A kept file's media type, size and time of receipt (without reading its bytes)."""
        with self.engine.connect() as conn:
            row = conn.exec_driver_sql(
                f"SELECT sha256, media_type, size, at FROM blobs WHERE sha256 = {mark(conn)}", (sha256.lower(),)
            ).first()
        if row is None:
            raise StoreError(f"no file with SHA-256 {sha256} in this store")
        return BlobInfo(*row)


@dataclass(frozen=True)
class BlobInfo:
    sha256: str
    media_type: str
    size: int
    at: str


def _checked_keys(keys: Sequence[str], pending: Sequence[PendingEvent]) -> list[str]:
    """The keys as a list, refused when malformed (a key marks the events of its action, so
    one without events, or twice in one action, is a caller's mistake)."""
    if isinstance(keys, str):
        raise TypeError("keys is a sequence of keys, not one string")
    wanted = list(keys)
    if not wanted:
        return wanted
    if not pending:
        raise ValueError("an action key needs at least one event to mark")
    seen: set[str] = set()
    for key in wanted:
        if not isinstance(key, str) or not key:
            raise ValueError(f"an action key is a non-empty string, not {key!r}")
        check_length(key, MAX_KEY, "key")
        if key in seen:
            raise ValueError(f"action key {key!r} given twice in one action")
        seen.add(key)
    return wanted


def _known_keys(conn: Any, keys: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in parts(keys):
        sql = f"SELECT key, seq FROM action_keys WHERE key IN ({placeholders(conn, len(part))})"
        found.update((k, s) for k, s in conn.exec_driver_sql(sql, tuple(part)).fetchall())
    return found


def _clock(conn: Any) -> datetime:
    """PostgreSQL's clock on a server's connection; the machine's otherwise (SQLite, or none)."""
    if conn is not None and conn.dialect.name == "postgresql":
        moment = conn.exec_driver_sql("SELECT clock_timestamp()").scalar()
        return moment.astimezone(UTC)
    return datetime.now(UTC)


def _head(conn: Any) -> tuple[int, str]:
    row = conn.exec_driver_sql("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").first()
    return (0, GENESIS) if row is None else (row[0], row[1])


EVENT_COLUMNS = "seq, type, at, actor, data, prev, hash"


def _event(row: Sequence[Any]) -> Event:
    """An ``events`` row (EVENT_COLUMNS, in order) as an Event."""
    seq, type_, at, actor, data, prev, digest = row
    return Event(seq, type_, at, actor, orjson.loads(data), prev, digest)
