"""The store: appends events to the hash chain and updates the projections in ONE transaction.

Every write goes through :meth:`Store.append`: it takes the write lock, seals each event on
top of the current head, inserts it, and applies the same event to the projection tables
(areas, roll, sheets, area tallies) before committing. A crash at any point leaves either
all of it or none of it.
"""

from __future__ import annotations

import contextlib
import hashlib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar

import orjson
import polars as pl

from escrutinio.domain.election import Election, election_from_toml
from escrutinio.domain.errors import AlreadyDone, StaleState, StoreError
from escrutinio.domain.limits import MAX_BLOB_BYTES, MAX_KEY, check_length, check_media_type
from escrutinio.ledger.canonical import canonical
from escrutinio.ledger.events import GENESIS, Event, EventType, seal_encoded, timestamp
from escrutinio.ledger.pending import PendingEvent
from escrutinio.store import chunks, lookup, phases, read_ahead, tally_digest, timeline
from escrutinio.store.current import read_areas, read_current_sheets, read_tables, sheet_history
from escrutinio.store.engine import (
    begun_with_lock,
    bulk_insert,
    commit_in_pipeline,
    create_schema,
    has_schema,
    lock_for_write,
    locked_reads,
    make_engine,
    mark,
    may_reuse,
    migrate,
    open_engine,
    parts,
    pipelined,
    placeholders,
    release,
    sqlite_path,
    writing,
)
from escrutinio.store.entries import Decider, EntryState, InWrite, entry_event
from escrutinio.store.failures import guarded, is_driver_error, shown, translate
from escrutinio.store.field_limits import check_election, check_event
from escrutinio.store.group_commit import NO_TURN, GroupRequest, Turn, committer
from escrutinio.store.lite import LiteEngine
from escrutinio.store.packed_tally import unpack
from escrutinio.store.projection import (
    Projection,
    apply_batch,
    apply_event,
    check_writes,
    tally_rows,
    write_cases,
    write_intake,
    write_tally,
)
from escrutinio.store.shared import Shared, forget_uncommitted
from escrutinio.store.sqlite_ddl import SCHEMA_REVISION

BATCHED = (EventType.TABLES_REGISTERED, EventType.SHEETS_RECORDED)
ACCOUNT_COLUMNS = "name, role, area, party, body, created_at, created_seq, revoked_at, revoked_seq"
"""An account's columns but its token hash (see :meth:`Store.account_by_token_hash`)."""
BESIDE_SHEETS = EventType.INTAKE_EVENTS
"""Events no projected sheet depends on: a run of sheet events goes on across them (a group
of double entries interleaves entries and the sheets they process)."""
if TYPE_CHECKING:
    import asyncio

T = TypeVar("T")


@guarded
class Store:
    """A canvass store at a URL; create it with :meth:`create`, open it with :meth:`open`."""

    def __init__(self, url: str, shared: Shared | None = None) -> None:
        self.url = url
        self.engine = open_engine(url)
        self._shared = shared
        self._election: tuple[Election, str] | None = shared.definition if shared is not None else None
        self._cache: dict[str, Any] = shared.cache if shared is not None else {}
        self._committing = False
        self._phases: phases.Phases | phases._Off = phases.OFF
        self._turn: Turn = NO_TURN
        """The committer lane's group being written (:meth:`write_group`), told when the lock is
        granted and when the write goes."""
        self._held: Any = None
        """A committer lane's own server connection (:meth:`_lane_connection`), kept between groups."""

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
    def open(cls, url: str, shared: Shared | None = None) -> Store:
        """The store at ``url``, migrated to this build's schema if older; with ``shared`` (a
        long-lived process's state of this store, ``store.shared``) checked only the first time."""
        path = sqlite_path(url)
        if shared is not None and shared.ready and (path is None or path.exists()):
            return cls(url, shared)
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
        if shared is not None:
            shared.ready = True
            store._shared, store._cache = shared, shared.cache
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
        if self._held is not None:
            held, self._held = self._held, None
            with contextlib.suppress(Exception):  # a connection the server dropped closes as well as it can
                held.close()
        release(self.engine)

    def _lane_connection(self) -> Any:
        """The connection a committer lane writes its groups on (:meth:`write_group`): on a
        server, its own, kept from one group to the next (made again once the server dropped it);
        on SQLite, a new one each time, as every write's.

        Why kept: taken from the process's pool for each group, it went back to the pool after
        each, where the reads' snapshots end theirs with a ROLLBACK, on which psycopg drops every
        statement it prepared on the connection (``DEALLOCATE ALL``). Each group then had the
        server parse and plan its statements again, with the write lock held; and each checkout
        and checkin cost the lane's thread its pool's bookkeeping (a ping check, the isolation
        level set and reset), on the path every clerk waits for."""
        if self.engine.dialect.name != "postgresql":
            return writing(self.engine)
        held = self._held
        if held is not None and not may_reuse(held):
            with contextlib.suppress(Exception):
                held.close()  # back to the pool, whose checkout pings or replaces it
            held = None
        if held is None:
            held = self._held = writing(self.engine)
        return contextlib.nullcontext(held)

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
            if self._shared is not None:
                self._shared.definition = self._election
        return self._election

    def head(self) -> tuple[int, str]:
        with self.engine.connect() as conn:
            return _head(conn)

    @contextmanager
    def snapshot(self) -> Iterator[tuple[int, str]]:
        """Every read of this store inside the ``with`` sees one state, the head it yields
        (``store.snapshot``); writes are refused meanwhile. Nested, it is the same snapshot."""
        from escrutinio.store.snapshot import PinnedEngine, end, read_connection

        if isinstance(self.engine, PinnedEngine):
            yield self.head()
            return
        engine = self.engine
        connection = read_connection(engine)
        self.engine = PinnedEngine(engine, connection)
        try:
            yield self.head()  # the first read begins the transaction: this is its state
        finally:
            self.engine = engine
            end(connection)

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

    def event_lines(self, batch: int = 1000, after: int = 0) -> Iterator[bytes]:
        """The log, oldest first, as canonical JSON lines (the events after event ``after``)."""
        last = after
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
        election = self.election()  # before the connection: two at once per thread can starve a full pool
        with self.engine.connect() as conn:
            return sheet_history(conn, election, self._cache, list(tables))

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

    def intake_events(self, table: str) -> list[Event]:
        """A table's double entries and attached scans (their events), oldest first."""
        with self.engine.connect() as conn:
            return _intake_events(conn, table)

    def entry_state(self, table: str) -> EntryState:
        """What deciding a clerk's entry of ``table`` reads: whether the table is on the roll,
        its electors, the state of its current sheet (None: it has none), its intake events,
        oldest first, and its area (what a clerk's area is checked against). One indexed query
        (:func:`escrutinio.store.lookup.entry_state`): it is asked once per entry, and
        whole-frame reads of the roll and the sheets were most of an entry's time."""
        with self.engine.connect() as conn:
            roll, state, rows = lookup.entry_state(conn, self._cache, table)
        area, electors = roll if roll is not None else (None, None)
        return EntryState(roll is not None, electors, state, [entry_event(_event, r) for r in rows], area)

    def kept_figures(self, seq: int) -> dict[str, Any] | None:
        """What the store keeps of the sealed audit entry of event ``seq`` (``audit_seals``: its
        figures and salt), None when it keeps nothing; read only to compare the other entry with
        it, never for a read that publishes."""
        with self.engine.connect() as conn:
            found = conn.exec_driver_sql(f"SELECT sealed FROM audit_seals WHERE seq = {mark(conn)}", (int(seq),)).scalar()
        return None if found is None else dict(orjson.loads(found))

    def event_at(self, seq: int) -> Event:
        """One event of the log, by number."""
        with self.engine.connect() as conn:
            row = conn.exec_driver_sql(f"SELECT {EVENT_COLUMNS} FROM events WHERE seq = {int(seq)}").first()
        if row is None:
            raise StoreError(f"no event {seq} in this store")
        return _event(row)

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
        moved: Moved | None = None,
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

        ``moved`` lets a long-prepared action (a file's load) land while others write: when the
        head moved since ``expect_seq``, the events written since are read under the write lock
        and handed to it; it names the first that touches what the action was decided on (then
        :class:`StaleState` says so), or None, and the action is written on the new head in
        the same transaction, before any other writer can move it again.

        ``create`` creates the schema first, in the same transaction; if another command created
        the store meanwhile, :class:`StaleState` again (nothing written; retry).

        Every event of one append gets one time, the store's clock once the write lock is held
        (see :meth:`clock`).
        """
        wanted = _checked_keys(keys, pending)
        try:
            return self._append(pending, actor, expect_seq, wanted, create, moved=moved)
        except Exception as exc:
            forget_uncommitted(self._cache)
            if not is_driver_error(exc):
                raise
            # A failure before the commit wrote nothing; one during it may have written all.
            raise translate(exc, self.url, writing=True, committing=self._committing) from exc
        finally:
            self._committing = False

    def _append(
        self,
        pending: Sequence[PendingEvent],
        actor: str,
        expect_seq: int | None,
        wanted: list[str],
        create: bool,
        *,
        moved: Moved | None = None,
    ) -> list[Event]:
        with writing(self.engine) as conn, conn.begin():
            lock_for_write(conn)
            if create:
                if has_schema(conn):
                    raise StaleState.created_meanwhile(shown(self.url), _head(conn)[0])
                create_schema(conn)
            if moved is not None and expect_seq is not None:
                expect_seq = _moved_on(conn, expect_seq, moved)
            sealed = self._write(conn, GroupRequest(pending, actor, expect_seq, wanted))
            # Past here only the commit is left: a failure now leaves the outcome unknown.
            self._committing = True
        return sealed

    def _write(self, conn: Any, request: GroupRequest) -> list[Event]:
        """Seal ``request``'s events on the head and apply them, inside the caller's write transaction."""
        written = self._write_parts(conn, [request])[0]
        if isinstance(written, BaseException):
            raise written  # its decider refused it: nothing of it was written
        return written

    def _write_parts(
        self,
        conn: Any,
        parts_: Sequence[GroupRequest],
        state: LockedState | None = None,
        *,
        entries_by_key: bool = False,
        commit: bool = False,
    ) -> list[list[Event] | BaseException]:
        """Seal the events of each part (one caller's append) on the head, one part after the
        other, and apply them all to the projections in one pass: one statement per table
        written, whatever the number of parts. Each part's keys mark its own first event.
        Only the first part's ``expect_seq`` is checked (a group carries none). A part with a
        decider has its events decided when its turn comes (:mod:`escrutinio.store.entries`);
        what the decider raises is that part's result, and nothing of it is written.

        ``state``: what the caller read under the write lock, the keys already checked
        (:func:`_under_lock`); else it is read here.
        ``entries_by_key``: see :class:`Projection` (a caller that writes apart on a refusal).
        ``commit``: the transaction's COMMIT goes with the last statements, one round trip for
        both (:func:`escrutinio.store.engine.commit_in_pipeline`): for a caller with nothing
        left to do in the transaction."""
        wanted = [k for part in parts_ for k in part.keys]
        if state is None:
            state = _under_lock(conn, wanted)
            if state.done:
                key = next(k for k in wanted if k in state.done)
                raise AlreadyDone(key, state.done[key])
        seq, prev, moment = state.seq, state.head, state.moment
        expect_seq = parts_[0].expect_seq if parts_ else None
        if expect_seq is not None and seq != expect_seq:
            raise StaleState(expect_seq, seq)
        at = timestamp(moment)
        election = None if self._election is None and seq == 0 else self.election()
        proj = Projection(
            conn, election, self._cache, entries_by_key=entries_by_key, chunks=state.chunks, areas=state.areas, ahead=state.ahead
        )
        timing = proj.phases = self._phases
        batch: list[tuple[Event, pl.DataFrame | None]] = []
        out: list[list[Event] | BaseException] = []
        entering = InWrite(conn, self._cache, state.chunks, state.ahead, _event)
        for part in parts_:
            sealed: list[Event] = []
            actor = part.actor
            pending = part.pending
            if part.decider is not None:
                table_state = entering.state(part.decider.table)
                try:
                    pending = list(part.decider.decide(table_state))
                except Exception as exc:
                    out.append(exc)
                    continue
                if not pending:
                    out.append(ValueError("an entry's decider returned no events to append"))
                    continue
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
                # Consecutive events of one bulk type are projected together, in one pass; an
                # event no sheet depends on (an entry, a scan) does not end the run.
                timing.mark("seal")
                if batch and batch[0][0].type != event.type and event.type not in BESIDE_SHEETS:
                    apply_batch(proj, batch)
                    batch = []
                if event.type in BATCHED:
                    batch.append((event, p.frame))
                else:
                    apply_event(proj, event, p.private)
                    timing.mark("events")
                if event.type == EventType.ELECTION_DEFINED:
                    proj.election = election_from_toml(f"event {event.seq}", event.data["definition"])
                    check_election(proj.election)
                entering.sealed(event, p.private)
                sealed.append(event)
                prev = event.hash
            out.append(sealed)
        apply_batch(proj, batch)
        # What the last writes depend on is read first, so the writes go to the server together.
        check_writes(conn, proj)
        timing.mark("check")
        delta = proj.changes()
        timing.mark("combine")
        changed = tally_rows(conn, delta, proj.ahead)
        timing.mark("tally_rows")
        if commit:
            self._turn.writing()  # the committer's next group may ask for the lock: this one commits now
        with pipelined(conn):
            proj.flush()  # the sheets' rows, held back to go with the rest
            # The log and the docket rows in one statement each, whatever the number of events.
            bulk_insert(conn, "events", ["seq", "type", "at", "actor", "data", "prev", "hash"], proj.event_rows)
            write_cases(conn, proj)
            write_intake(conn, proj)
            # One upsert of all the tally changes: a national load touches each area once.
            write_tally(conn, changed)
            timing.mark("write")
            tally_digest.write(conn, changed, seq, prev)
            timing.mark("digests")
            if wanted:
                # The primary key is the last guard: a duplicate here fails the whole transaction.
                rows = [
                    (k, sealed[0].seq, at)
                    for part, sealed in zip(parts_, out, strict=True)
                    if not isinstance(sealed, BaseException)
                    for k in part.keys
                ]
                bulk_insert(conn, "action_keys", ["key", "seq", "at"], rows)
            if commit:
                self._committing = True  # a failure from here on may leave the outcome unknown
                commit_in_pipeline(conn)
        timing.mark("write")
        return out

    def append_grouped(
        self,
        pending: Sequence[PendingEvent],
        actor: str,
        *,
        expect_seq: int | None = None,
        keys: Sequence[str] = (),
        decider: Decider | None = None,
    ) -> list[Event]:
        """:meth:`append`, through the store's group commit (see :mod:`escrutinio.store.group_commit`):
        appends arriving together from many threads share one transaction and one commit, in
        the order they arrived, each with its own result or refusal.

        With ``decider`` (and no ``pending``), the events are those its function returns on
        its table's state, read under the write lock (:mod:`escrutinio.store.entries`); what
        it raises is this append's refusal, and nothing of it is written."""
        if decider is not None and pending:
            raise ValueError("an append decided under the lock brings no events of its own")
        wanted = _checked_keys(keys, pending, decided=decider is not None)
        url, shared = self.url, self._shared
        return committer(url, lambda: Store(url, shared)).submit(pending, actor, expect_seq, wanted, decider)

    def append_grouped_soon(self, actor: str, keys: Sequence[str], decider: Decider) -> asyncio.Future[list[Event]]:
        """:meth:`append_grouped` of an append decided under the lock, from an event loop: a future
        of the running loop, settled once the commit is done (``Committer.submit_soon``)."""
        wanted = _checked_keys(keys, (), decided=True)
        url, shared = self.url, self._shared
        return committer(url, lambda: Store(url, shared)).submit_soon([], actor, wanted, decider)

    def write_group(self, requests: Sequence[GroupRequest], turn: Turn = NO_TURN) -> list[list[Event] | BaseException]:
        """Append each request in turn in ONE transaction and one commit, each with its own
        result or refusal (a StaleState, an AlreadyDone, a rule), as if appended alone.

        Fast path (:meth:`_group_together`): the requests whose keys are new are sealed in order
        and projected together, so a group costs about what one append costs. If that write
        fails (a request a projection guard refuses), its transaction is rolled back and the
        group written again in a new one, each request inside its own savepoint, so the refusal
        rolls back that request alone (:meth:`_group_apart`). A group whose requests expect a
        head, or share a key, takes that second path directly.

        ``turn``: told when the write lock is granted and when the write goes (the committer's
        other lane waits on those moments, ``store.group_commit``).
        """
        self.election()  # read before the write's connection: a second one at once can starve a full pool
        self._phases = timing = phases.start()
        self._turn = turn
        try:
            results = self._group_together(requests)
            if results is None:
                results = self._group_apart(requests)
            timing.mark("commit")
            timing.done(len(requests))
        except Exception as exc:
            forget_uncommitted(self._cache)
            failed = translate(exc, self.url, writing=True, committing=self._committing) if is_driver_error(exc) else exc
            return [failed] * len(requests)
        finally:
            self._committing = False
            self._phases = phases.OFF
            self._turn = NO_TURN
        return results

    def _group_together(self, requests: Sequence[GroupRequest]) -> list[list[Event] | BaseException] | None:
        """The group in one transaction without savepoints (each is a round trip to the server):
        the head, the clock and every key read in one query under the lock, then one write of
        the requests whose keys are new. None when the group must be written request by request
        (nothing of this attempt is committed then)."""
        keys = [k for r in requests for k in r.keys]
        if any(r.expect_seq is not None for r in requests) or len(set(keys)) != len(keys):
            return None
        results: list[list[Event] | BaseException | None] = [None] * len(requests)
        entered = [r.decider.table for r in requests if r.decider is not None]
        ahead = read_ahead.plan([r.pending for r in requests], self._cache, entered)
        try:
            with self._lane_connection() as conn, phases.watching(conn), begun_with_lock(conn), conn.begin():
                timeline.asking()
                state = _under_lock(conn, keys, lock=True, ahead=ahead)
                self._turn.granted()
                self._phases.mark("lock")
                done = state.done
                for i, r in enumerate(requests):
                    key = next((k for k in r.keys if k in done), None)
                    if key is not None:
                        results[i] = AlreadyDone(key, done[key])
                todo = [i for i in range(len(requests)) if results[i] is None]
                if not todo:
                    return [r for r in results if r is not None]  # every one done before: nothing to write
                try:
                    written = self._write_parts(conn, [requests[i] for i in todo], state, entries_by_key=True, commit=True)
                except Exception as exc:
                    if getattr(exc, "connection_invalidated", False):
                        raise  # the server went away: writing apart would not help
                    self._committing = False  # a statement refused skips the COMMIT sent after it
                    raise _WriteApart from exc
                for i, events in zip(todo, written, strict=True):
                    results[i] = events
                self._committing = True  # past here only the commit is left
        except _WriteApart:
            forget_uncommitted(self._cache)  # cached projection state may hold what was rolled back
            return None
        return [r for r in results if r is not None]

    def _group_apart(self, requests: Sequence[GroupRequest]) -> list[list[Event] | BaseException]:
        """The group in one transaction, each request in its own savepoint: a refusal (a key
        done, a stale head, a projection guard) rolls back that request alone.

        After a refused joint write, the committer's other lane may hold the lock by now (it
        asked while this group's COMMIT went): this group then commits after that one, which
        no client can tell (none of this group's callers is answered before it commits:
        ``group_commit.Committer``)."""
        results: list[list[Event] | BaseException] = []
        with writing(self.engine) as conn, phases.watching(conn), conn.begin():
            lock_for_write(conn)
            self._turn.granted()
            for r in requests:
                results.append(self._savepoint(conn, lambda r=r: self._write(conn, r)))
            self._turn.writing()
            self._committing = True
        return results

    def _savepoint(self, conn: Any, work: Callable[[], T]) -> T | BaseException:
        """``work()`` inside a savepoint: its error is returned, and what it wrote rolled back."""
        conn.exec_driver_sql("SAVEPOINT grouped")
        try:
            result: T | BaseException = work()
        except Exception as exc:
            if getattr(exc, "connection_invalidated", False):
                raise  # the server went away: the whole transaction is gone, not this part of it
            conn.exec_driver_sql("ROLLBACK TO SAVEPOINT grouped")
            forget_uncommitted(self._cache)  # cached projection state may hold what was rolled back
            result = translate(exc, self.url, writing=True) if is_driver_error(exc) else exc
        conn.exec_driver_sql("RELEASE SAVEPOINT grouped")
        return result

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


def _checked_keys(keys: Sequence[str], pending: Sequence[PendingEvent], *, decided: bool = False) -> list[str]:
    """The keys as a list, refused when malformed (a key marks the events of its action, so
    one without events, or twice in one action, is a caller's mistake); ``decided``: the
    events are decided under the lock (an entry's decider), not known yet."""
    if isinstance(keys, str):
        raise TypeError("keys is a sequence of keys, not one string")
    wanted = list(keys)
    if not wanted:
        return wanted
    if not pending and not decided:
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


PART = 500
"""Keys looked up per statement (an IN list the drivers take)."""


def _known_keys(conn: Any, keys: list[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for part in parts(keys, PART):
        sql = f"SELECT key, seq FROM action_keys WHERE key IN ({placeholders(conn, len(part))})"
        found.update((k, s) for k, s in conn.exec_driver_sql(sql, tuple(part)).fetchall())
    return found


def _intake_events(conn: Any, table: str) -> list[Event]:
    m = mark(conn)
    cols = ", ".join("e." + c for c in EVENT_COLUMNS.split(", "))
    sql = (
        f"SELECT {cols} FROM events e WHERE e.seq IN (SELECT seq FROM sheet_entries WHERE table_id = {m} "
        f"UNION ALL SELECT seq FROM sheet_images WHERE table_id = {m}) ORDER BY e.seq"
    )
    return [_event(r) for r in conn.exec_driver_sql(sql, (table, table)).fetchall()]


class _WriteApart(Exception):
    """A group's joint write was refused: roll it back and write the group request by request."""


@dataclass(frozen=True)
class LockedState:
    """What a writer reads once it holds the write lock (:func:`_under_lock`)."""

    done: dict[str, int]
    """The keys asked for that are recorded, each with its action's first event."""
    seq: int
    head: str
    moment: datetime
    """The store's clock: every event of the write is stamped with it."""
    chunks: dict[str, list[tuple[int, str]]]
    """Each kind's chunks (seq, hash), oldest first (see :mod:`escrutinio.store.lookup`)."""
    areas: int
    """How many areas are registered (the cached lineage of the areas holds while it is the same)."""
    ahead: read_ahead.ReadAhead | None = None
    """What the write's projection will read, read with the lock (:mod:`escrutinio.store.read_ahead`)."""


def _under_lock(conn: Any, keys: list[str], *, lock: bool = False, ahead: read_ahead.Ahead | None = None) -> LockedState:
    """What a writer reads once it holds the write lock, in one round trip: which of ``keys``
    are recorded (with their first event), the head (seq, hash), the store's clock, the list
    of chunks and the number of areas (so a small write's projection asks no more of them).
    With ``lock`` the write lock is taken first, in the same round trip (:func:`locked_reads`),
    and what ``ahead`` names is read in it too (:mod:`escrutinio.store.read_ahead`).

    A query of its own after the lock's (never one statement with it): a statement's snapshot
    is taken when it starts, so a head read in the statement that waited for the lock could be
    one a writer that held the lock meanwhile has since moved on."""
    first, rest = keys[:PART], keys[PART:]
    server = conn.dialect.name == "postgresql"
    sql = (
        f"SELECT 0, NULL, h.seq, h.hash, {'clock_timestamp()' if server else 'NULL'} FROM (SELECT 1 AS one) o "
        "LEFT JOIN (SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1) h ON 1 = 1"
        " UNION ALL SELECT 1, kind, seq, hash, NULL FROM chunks"
        " UNION ALL SELECT 2, NULL, COUNT(*), NULL, NULL FROM areas"
    )
    if first:
        sql += f" UNION ALL SELECT 3, key, seq, NULL, NULL FROM action_keys WHERE key IN ({placeholders(conn, len(first))})"
    early = None
    if lock:
        asked = [(sql, first), *(read_ahead.queries(conn, ahead) if ahead is not None else [])]
        rows, *more = locked_reads(conn, asked)
        early = read_ahead.answer(ahead, more) if ahead is not None else None
    else:
        rows = conn.exec_driver_sql(sql, tuple(first)).fetchall()
    done: dict[str, int] = {}
    listed: dict[str, list[tuple[int, str]]] = {chunks.ROLL: [], chunks.SHEETS: []}
    seq, digest, moment, areas = 0, GENESIS, None, 0
    for part, text, number, hash_, clock in rows:
        if part == 0:
            seq, digest, moment = (number, hash_, clock) if number is not None else (0, GENESIS, clock)
        elif part == 1:
            listed.setdefault(text, []).append((number, hash_))
        elif part == 2:
            areas = number
        else:
            done[text] = number
    if rest:
        done.update(_known_keys(conn, rest))
    for found in listed.values():
        found.sort()
    when = moment.astimezone(UTC) if moment is not None else _clock(None)
    return LockedState(done, seq, digest, when, listed, areas, early)


def _clock(conn: Any) -> datetime:
    """PostgreSQL's clock on a server's connection; the machine's otherwise (SQLite, or none)."""
    if conn is not None and conn.dialect.name == "postgresql":
        moment = conn.exec_driver_sql("SELECT clock_timestamp()").scalar()
        return moment.astimezone(UTC)
    return datetime.now(UTC)


Moved = Callable[[list[Event]], str | None]
"""What an append asks of the events written since the head it was decided on: the one that
conflicts with it, described (``event 812 (sheets.recorded) recorded table 033688``), or None."""


def _moved_on(conn: Any, expect_seq: int, moved: Moved) -> int:
    """The head to write on, under the write lock: ``expect_seq``'s, or the newer one when
    ``moved`` finds none of the events written since in conflict; else :class:`StaleState`
    naming the conflict."""
    now = _head(conn)[0]
    if now == expect_seq:
        return now
    sql = f"SELECT {EVENT_COLUMNS} FROM events WHERE seq > {mark(conn)} ORDER BY seq"
    conflict = moved([_event(r) for r in conn.exec_driver_sql(sql, (int(expect_seq),)).fetchall()])
    if conflict is not None:
        raise StaleState(expect_seq, now, f"the store changed while this action was prepared: {conflict}: nothing was written")
    return now


def _head(conn: Any) -> tuple[int, str]:
    row = conn.exec_driver_sql("SELECT seq, hash FROM events ORDER BY seq DESC LIMIT 1").first()
    return (0, GENESIS) if row is None else (row[0], row[1])


EVENT_COLUMNS = "seq, type, at, actor, data, prev, hash"


def _event(row: Sequence[Any]) -> Event:
    """An ``events`` row (EVENT_COLUMNS, in order) as an Event."""
    seq, type_, at, actor, data, prev, digest = row
    return Event(seq, type_, at, actor, orjson.loads(data), prev, digest)
