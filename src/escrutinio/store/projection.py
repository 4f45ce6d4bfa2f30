"""Applying events to the projection tables, inside the store's write transaction.

:class:`Projection` holds what one transaction has read and changed (the roll, the current
sheets, tally changes, docket rows), so a bulk load reads the store once and a ruling reads
only its own tables; the functions below apply each kind of event to it and write the rows.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

import polars as pl

from escrutinio.aggregation import tally
from escrutinio.domain import table_frame as tf
from escrutinio.domain.election import Election
from escrutinio.domain.errors import StaleState
from escrutinio.domain.sheet import SheetState
from escrutinio.ledger.canonical import canonical
from escrutinio.ledger.events import Event, EventType
from escrutinio.ledger.sheets_payload import SHEET_COLUMNS, from_payload, record_frame
from escrutinio.ledger.state import AREA_SCHEMA, TABLE_SCHEMA
from escrutinio.store import chunks, lookup, phases, read_ahead
from escrutinio.store.chunks import only_tables
from escrutinio.store.columns import SHEET_ROW
from escrutinio.store.current import (
    current_row_values,
    current_rows,
    newest,
    payload_sheets,
    read_areas,
    read_current_sheets,
    read_current_sheets_and_rows,
    read_tables,
    sheet_dicts,
)
from escrutinio.store.engine import bulk_insert, bulk_insert_frame, insert_sql, mark, parts, placeholders, run_many
from escrutinio.store.packed_tally import add
from escrutinio.store.read_ahead import ReadAhead

SHEET_ROW_COLUMNS = list(SHEET_ROW)
SMALL_BATCH = 2_000
"""Up to this many tables a write reads only their rows; above it, the whole projection."""
SMALL_RUN = 512
"""Up to this many sheets a run of small sheet events (entries, rulings) is projected in plain
Python (:func:`_apply_small_run`); above it, and for a file's sheets, with polars, whose fixed
cost per call a large run pays once but a group commit of a few dozen entries paid many times
over what their arithmetic costs, in the one thread every clerk's request waits for."""


class Projection:
    """Projection state read once per transaction and kept in step as events are applied.

    A bulk load reads the roll and the current sheets once (or starts from nothing on a new
    store) and updates them in memory; a small write (a ruling) reads only its own tables.
    """

    def __init__(
        self,
        conn: Any,
        election: Election | None,
        cache: dict[str, Any] | None = None,
        *,
        entries_by_key: bool = False,
        chunks: dict[str, list[tuple[int, str]]] | None = None,
        areas: int | None = None,
        ahead: ReadAhead | None = None,
    ) -> None:
        """``entries_by_key``: a double entry taken meanwhile is refused by ``sheet_entries``'s
        primary key, failing the whole write, instead of being looked for first (a round trip):
        for a group commit, which then writes its requests one by one, each with the look.

        ``chunks`` (each kind's (seq, hash), oldest first) and ``areas`` (how many): read by the
        writer under the write lock with its head, so a small write looks its tables up in the
        process's dictionaries of the chunks (:mod:`escrutinio.store.lookup`) and finds its
        cached lineage without a query of its own.

        ``ahead``: the current rows of the tables the write sheets and the tallies it changes,
        read with the write lock (:mod:`escrutinio.store.read_ahead`)."""
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
        self._rows_of: tuple[set[str], set[str]] | None = None
        """(tables asked, those of them with a current row), from the last small :meth:`current`."""
        self.entries_by_key = entries_by_key
        self._listed = chunks
        self._area_count = areas
        self.ahead = ahead
        self._rows_written: set[str] = set()
        """Tables whose ``sheets`` rows this write changed (what was read ahead of them is old)."""
        self._deferred: list[tuple[str, list[tuple[Any, ...]]]] = []
        """``sheets`` statements not sent yet (:meth:`defer`), in order."""
        self.tally_deltas: list[pl.DataFrame] = []
        """Tally changes as long (area, key, value) frames (the polars path)..."""
        self.tally_changes: tally.Changes = {}
        """...and as dictionaries (the plain path): :meth:`changes` adds them up."""
        self.event_rows: list[tuple[Any, ...]] = []
        self.case_rows: dict[str, dict[str, Any]] = {}
        self.case_event_rows: list[tuple[str, int]] = []
        self.case_table_rows: list[tuple[str, str]] = []
        self.opened: list[str] = []
        self.entry_rows: list[tuple[str, int, int, str, str, str, str | None]] = []
        self.image_rows: list[tuple[str, int, str]] = []
        self.phases: phases.Phases | phases._Off = phases.OFF
        """Where the write's time goes (:mod:`escrutinio.store.phases`; off unless measuring)."""

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
                count = self._area_count
                if count is None:
                    count = self.conn.exec_driver_sql("SELECT COUNT(*) FROM areas").scalar()
                if cached is not None and cached[0] == count:
                    self._lineage = cached[1]
                    return self._lineage
            self._lineage = tally.lineage(self.areas(), self.election.country)
            self.cache["lineage"] = (count if count is not None else self.areas().height, self._lineage)
        return self._lineage

    def ancestors(self) -> dict[str, tuple[str, ...]]:
        """:meth:`lineage` as a dictionary (each area with those its tables count in), made
        once for each lineage the process holds."""
        lin = self.lineage()
        cached = self.cache.get("ancestors")
        if cached is None or cached[0] is not lin:
            cached = self.cache["ancestors"] = (lin, tally.ancestors(lin))
        found: dict[str, tuple[str, ...]] = cached[1]
        return found

    def changes(self) -> tally.Changes:
        """Every tally change of this write by area, zeros left out."""
        changes = self.tally_changes
        if self.tally_deltas:
            changes = tally.as_changes(tally.combine(*self.tally_deltas), changes)
        return tally.nonzero(changes)

    def holds_frames(self) -> bool:
        """Whether this write holds the whole roll or all the current sheets as frames (a
        bulk write's), which a write of a few sheets must then keep in step (polars path)."""
        return self._tables is not None or self._sheets is not None

    def add_areas(self, frame: pl.DataFrame) -> None:
        self._areas = pl.concat([self.areas(), frame])
        self._lineage = None

    def add_tables(self, frame: pl.DataFrame) -> None:
        """Called before the insert, so a lazy first read cannot see these rows twice."""
        if self._tables is None and frame.height > SMALL_BATCH:
            self._tables = read_tables(self.conn, self.cache)
        if self._tables is not None:
            self._tables = pl.concat([self._tables, frame])

    def places(self, ids: list[str]) -> pl.DataFrame:
        """The (table, area, electors) of these tables that are on the roll."""
        columns = ["table", "area", tf.ELECTORS]
        if self._tables is None and len(ids) > SMALL_BATCH:
            self._tables = read_tables(self.conn, self.cache)
        if self._tables is not None:
            return only_tables(self._tables, ids).select(columns)
        if self._listed is not None:
            found = [(t, *place) for t, place in self.place_of(ids).items()]
            return pl.DataFrame(found, schema={c: TABLE_SCHEMA[c] for c in columns}, orient="row")
        return read_tables(self.conn, self.cache, ids).select(columns)

    def place_of(self, ids: list[str]) -> dict[str, lookup.RollEntry]:
        """The (area, electors) of each of these tables that is on the roll, in ``ids`` order."""
        if self._tables is None and self._listed is not None:
            index = lookup.roll_index(self.conn, self.cache, self._listed.get(chunks.ROLL, []))
            return {t: index[t] for t in ids if t in index}
        return {t: (area, electors) for t, area, electors in self.places(ids).iter_rows()}

    def chunk_written(self) -> None:
        """A chunk was written in this transaction: the list read under the lock is not whole."""
        self._listed = None

    def current(self, ids: list[str]) -> pl.DataFrame:
        assert self.election is not None
        self.flush()
        if self._sheets is None and len(ids) > SMALL_BATCH:
            self._sheets = read_current_sheets(self.conn, self.election, self.cache)
        if self._sheets is not None:
            return only_tables(self._sheets, ids)
        if self._listed is not None:
            loaded = lookup.sheet_index(self.conn, self.cache, self._listed.get(chunks.SHEETS, []))
            if not any(t in loaded for t in ids):  # no chunk holds a sheet of theirs: their rows say it all
                rows = current_rows(self.conn, self.election, ids)
                self._rows_of = (set(ids), set(rows["table"].to_list()))
                return newest(rows) if rows["table"].is_duplicated().any() else rows
        found, rows = read_current_sheets_and_rows(self.conn, self.election, self.cache, ids)
        self._rows_of = (set(ids), rows)
        return found

    def current_of(self, ids: list[str]) -> dict[str, dict[str, Any]]:
        """:meth:`current` as a dictionary of current-sheet rows by table, read without a frame
        when only ``sheets`` rows hold these tables' sheets (no chunk does: every entered sheet)."""
        assert self.election is not None
        if self._sheets is None and self._listed is not None and len(ids) <= SMALL_BATCH:
            loaded = lookup.sheet_index(self.conn, self.cache, self._listed.get(chunks.SHEETS, []))
            if not any(t in loaded for t in ids):
                found = self._read_ahead(ids)
                if found is None:
                    self.flush()
                    found = current_row_values(self.conn, ids)
                self._rows_of = (set(ids), {r[0] for r in found})
                return sheet_dicts(found, self.election)
        return {r["table"]: r for r in self.current(ids).iter_rows(named=True)}

    def row_tables(self, ids: list[str]) -> set[str]:
        """Which of these tables have a current sheet kept as a row (to retire it when a newer
        sheet arrives); a bulk write reads the whole (small) set once, a small one learnt it
        when it read these tables' current sheets (:meth:`current`), a round trip fewer."""
        if self._row_tables is None and len(ids) > SMALL_BATCH:
            self.flush()
            found = self.conn.exec_driver_sql("SELECT table_id FROM sheets WHERE current = 1").fetchall()
            self._row_tables = {r[0] for r in found}
        if self._row_tables is not None:
            return self._row_tables.intersection(ids)
        if self._rows_of is not None and self._rows_of[0].issuperset(ids):
            return self._rows_of[1].intersection(ids)
        self.flush()
        out: set[str] = set()
        for part in parts(ids):
            sql = f"SELECT table_id FROM sheets WHERE current = 1 AND table_id IN ({placeholders(self.conn, len(part))})"
            out.update(r[0] for r in self.conn.exec_driver_sql(sql, tuple(part)).fetchall())
        return out

    def _read_ahead(self, ids: list[str]) -> list[Any] | None:
        """These tables' current rows as read with the lock, unless this write changed them since."""
        if self.ahead is None or not self._rows_written.isdisjoint(ids):
            return None
        return self.ahead.rows_of(ids)

    def defer(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        """Send a ``sheets`` statement with the write's last ones (:meth:`flush`), one round trip
        for them all, or before the write next reads ``sheets``, whichever comes first."""
        if rows:
            self._deferred.append((sql, rows))

    def flush(self) -> None:
        """Send the statements :meth:`defer` held, in order."""
        for sql, rows in self._deferred:
            run_many(self.conn, sql, rows)
        self._deferred = []

    def rows_changed(self, retired: set[str], kept: list[str]) -> None:
        self._rows_written.update(retired, kept)
        if self._row_tables is not None:
            self._row_tables = (self._row_tables - retired) | set(kept)
        self._rows_of = None  # read again if asked: the rows just written are current now

    def replace_current(self, new: pl.DataFrame) -> None:
        if self._sheets is not None:
            self._sheets = pl.concat([self._sheets.join(new.select("table"), on="table", how="anti"), new])


def check_writes(conn: Any, proj: Projection) -> None:
    """The reads the last writes of this transaction depend on, done before them (so those
    can go to the server together: :func:`escrutinio.store.engine.pipelined`): a case number
    or a table's entry another writer took meanwhile refuses the write (StaleState)."""
    _check_new_cases(conn, proj.opened)
    _check_entries(conn, proj)


def write_cases(conn: Any, proj: Projection) -> None:
    """The docket rows as the case events of this write leave them (the last summary wins)."""
    if not proj.case_rows:
        return
    m = mark(conn)
    numbers = [(n,) for n in proj.case_rows]
    run_many(conn, f"DELETE FROM cases WHERE number = {m}", numbers)
    columns = list(next(iter(proj.case_rows.values())))
    bulk_insert(conn, "cases", columns, [tuple(r[c] for c in columns) for r in proj.case_rows.values()])
    bulk_insert(conn, "case_events", ["number", "seq"], proj.case_event_rows)
    bulk_insert(conn, "case_tables", ["table_id", "number"], proj.case_table_rows)


def apply_batch(proj: Projection, batch: list[tuple[Event, pl.DataFrame | None]]) -> None:
    if not batch:
        return
    if batch[0][0].type == EventType.SHEETS_RECORDED:
        _apply_sheets(proj, batch)
    else:
        _apply_tables(proj, batch)


def _apply_tables(proj: Projection, batch: list[tuple[Event, pl.DataFrame | None]]) -> None:
    frames = [
        (f if f is not None else pl.DataFrame(e.data["tables"]))
        .with_columns(pl.lit(e.seq, dtype=pl.Int64).alias("seq"))
        .select([pl.col(c).cast(t) for c, t in TABLE_SCHEMA.items()])
        for e, f in batch
    ]
    frame = pl.concat(frames) if len(frames) > 1 else frames[0]
    proj.add_tables(frame)
    chunks.write(proj.conn, batch[-1][0].seq, batch[-1][0].hash, chunks.ROLL, frame)
    proj.chunk_written()
    proj.tally_deltas.append(tally.roll_up(tally.registration_contribution(frame), proj.lineage()))


def apply_event(proj: Projection, event: Event, private: dict[str, Any] | None = None) -> None:
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
            proj.opened.append(row["number"])
            proj.case_table_rows += [(t, row["number"]) for t in sorted(set(event.data["filing"]["tables"]))]
    elif event.type == EventType.AREAS_REGISTERED:
        frame = pl.DataFrame(event.data["areas"], schema=AREA_SCHEMA)
        proj.add_areas(frame)  # before the insert: the lazy read must not see these rows twice
        bulk_insert(conn, "areas", ["code", "level", "kind", "name", "parent"], frame.rows())
    elif event.type == EventType.ACCOUNT_CREATED:
        d = event.data
        assert private is not None, "an account is created with its token hash"
        row = (d["name"], d["role"], d["area"], d["party"], d["body"], private["token_hash"], event.at, event.seq)
        columns = ["name", "role", "area", "party", "body", "token_hash", "created_at", "created_seq"]
        bulk_insert(conn, "accounts", columns, [row])
    elif event.type == EventType.ACCOUNT_REVOKED:
        sql = f"UPDATE accounts SET revoked_at = {mark(conn)}, revoked_seq = {mark(conn)} WHERE name = {mark(conn)}"
        conn.exec_driver_sql(sql, (event.at, event.seq, event.data["name"]))
    elif event.type == EventType.SHEET_ENTERED:
        data = event.data
        sealed = canonical(private).decode() if private is not None else None  # ledger.entry_seal
        proj.entry_rows.append((data["table"], data["entry"], event.seq, event.actor, event.at, data["outcome"], sealed))
    elif event.type == EventType.SHEET_IMAGE_ATTACHED:
        proj.image_rows.append((event.data["table"], event.seq, event.data["sha256"]))
    elif event.type in (EventType.AUDIT_HAND_COUNT, EventType.AUDIT_BALLOT) and private is not None:
        bulk_insert(conn, "audit_seals", ["seq", "sealed"], [(event.seq, canonical(private).decode())])  # ledger.entry_seal


def _check_entries(conn: Any, proj: Projection) -> None:
    """An entry is decided on the table's entries so far; if another writer recorded the same
    entry number first (two clerks keying one table at once), the decision is stale: nothing
    is written, and the caller decides again. (With ``entries_by_key`` the primary key of
    ``sheet_entries`` refuses it instead, failing the whole write: see :class:`Projection`.)"""
    rows = proj.entry_rows
    if not rows:
        return
    keys = [(t, e) for t, e, *_ in rows]
    taken = len(set(keys)) < len(keys)
    for part in [] if proj.entries_by_key else parts(sorted({t for t, _ in keys})):
        sql = f"SELECT table_id, entry, seq FROM sheet_entries WHERE table_id IN ({placeholders(conn, len(part))})"
        found = {(t, e): s for t, e, s in conn.exec_driver_sql(sql, tuple(part)).fetchall()}
        taken = taken or any(k in found for k in keys)
    if taken:
        raise StaleState(None, 0, "a table's entry was recorded meanwhile by another clerk: nothing was written; retry")


def write_intake(conn: Any, proj: Projection) -> None:
    """The double entries and scans of this write (checked first by :func:`check_writes`)."""
    rows = proj.entry_rows
    if rows:
        bulk_insert(conn, "sheet_entries", ["table_id", "entry", "seq", "clerk", "at", "outcome", "sealed"], rows)
    if proj.image_rows:
        bulk_insert(conn, "sheet_images", ["table_id", "seq", "sha256"], proj.image_rows)


def _check_new_cases(conn: Any, numbers: list[str]) -> None:
    """A case number is chosen from the docket as the writer read it; two writers that read the
    same docket (outside the write lock) would choose the same number, and the second must
    not silently replace the first's case. Nor may two actions of one write (a group commit's
    two entries that each open an observation case, numbered on the same docket)."""
    repeated = sorted(n for n, times in Counter(numbers).items() if times > 1)
    if repeated:
        raise StaleState(None, 0, f"case {repeated[0]} was opened twice in one write: nothing was written; retry")
    for part in parts(numbers):
        sql = f"SELECT number FROM cases WHERE number IN ({placeholders(conn, len(part))})"
        taken = conn.exec_driver_sql(sql, tuple(part)).scalar()
        if taken is not None:
            raise StaleState(None, 0, f"case {taken} was opened meanwhile by another writer: nothing was written; retry")


def _apply_sheets(proj: Projection, batch: list[tuple[Event, pl.DataFrame | None]]) -> None:
    """Apply consecutive sheet events, a run of bulk ones (a file) or of small ones (rulings)
    at a time; within a write each table appears in at most one of them."""
    start = 0
    for i in range(1, len(batch) + 1):
        if i == len(batch) or (batch[i][1] is None) != (batch[start][1] is None):
            _apply_sheet_run(proj, batch[start:i], bulk=batch[start][1] is not None)
            start = i


def _apply_sheet_run(proj: Projection, run: list[tuple[Event, pl.DataFrame | None]], bulk: bool) -> None:
    """A bulk run is stored as one chunk, plus rows for its sheets at the dispute body; a
    small run as rows. Either way a table's older current row is retired first."""
    if not bulk and not proj.holds_frames() and sum(len(e.data["sheets"]["table"]) for e, _ in run) <= SMALL_RUN:
        _apply_small_run(proj, [e for e, _ in run])
        return
    conn = proj.conn
    election = proj.election
    assert election is not None
    timing = proj.phases
    if bulk:
        frames = [record_frame(f, election, e.seq) for e, f in run if f is not None]
        new = pl.concat(frames) if len(frames) > 1 else frames[0]
    else:
        new = _payloads_frame([e for e, _ in run], election)
    if new["table"].is_duplicated().any():
        new = new.unique(subset=["table"], keep="last", maintain_order=True)
    timing.mark("sheet_frame")
    ids = new["table"].to_list()
    old = proj.current(ids)
    roll = proj.places(ids)
    retired = proj.row_tables(ids)
    _retire(proj, retired)
    proj.flush()
    timing.mark("sheet_reads")
    if bulk:
        chunks.write(conn, run[-1][0].seq, run[-1][0].hash, chunks.SHEETS, new)
        proj.chunk_written()
    rows = new.filter(pl.col("state") == SheetState.OBSERVED.value) if bulk else new
    _write_sheet_rows(conn, rows.sort("table"), roll, election)
    proj.rows_changed(retired, rows["table"].to_list())
    timing.mark("sheet_rows")
    lin = proj.lineage()
    proj.tally_deltas.append(tally.roll_up(tally.sheet_contribution(new.join(roll, on="table", how="inner"), election), lin))
    if old.height:  # a first sheet (every double entry's) replaces nothing
        minus = tally.roll_up(tally.sheet_contribution(old.join(roll, on="table", how="inner"), election), lin)
        proj.tally_deltas.append(minus.with_columns(-pl.col("value")))
    proj.replace_current(new)
    timing.mark("roll_up")


def _apply_small_run(proj: Projection, events: list[Event]) -> None:
    """:func:`_apply_sheet_run` of a few sheets in plain Python: the same rows written and the
    same tally changes (``tally.sheet_figures``), without a frame (see :data:`SMALL_RUN`)."""
    conn, election, timing = proj.conn, proj.election, proj.phases
    assert election is not None
    new: dict[str, dict[str, Any]] = {}
    for event in events:  # a table sheeted twice in one run: its last sheet holds
        for sheet in payload_sheets(event.data["sheets"], election, event.seq):
            new[sheet["table"]] = sheet
    timing.mark("sheet_frame")
    ids = list(new)
    old = proj.current_of(ids)
    places = proj.place_of(ids)
    retired = proj.row_tables(ids)
    _retire(proj, retired)
    timing.mark("sheet_reads")
    votes = [tf.choice_column(c) for c in election.contest.choice_ids]
    rows = []
    for table in sorted(new):
        sheet = new[table]
        area, electors = places.get(table, (None, None))
        figures = (sheet[tf.CAST], sheet[tf.BLANK], sheet[tf.NULL], sheet[tf.CHALLENGED])
        line = "[" + ",".join(str(sheet[v]) for v in votes) + "]"
        head = (table, sheet["version"], sheet["state"], sheet["reasons"], sheet["basis"], sheet["line"])
        rows.append((*head, *figures, line, sheet["seq"], 1, area, electors))
    proj.defer(insert_sql(conn, "sheets", SHEET_ROW_COLUMNS, replace_on=("table_id", "version")), rows)
    proj.rows_changed(retired, ids)
    timing.mark("sheet_rows")
    above = proj.ancestors()
    for table, sheet in new.items():
        if table not in places:
            continue  # off the roll: it counts nowhere (the frames' inner join with the roll)
        area, electors = places[table]
        counted_in = above.get(area, ())
        tally.add_figures(proj.tally_changes, tally.sheet_figures(sheet, electors, election), counted_in)
        if table in old:
            tally.add_figures(proj.tally_changes, tally.sheet_figures(old[table], electors, election), counted_in, -1)
    timing.mark("roll_up")


def _retire(proj: Projection, tables: set[str]) -> None:
    """These tables' current rows are current no more (a newer sheet is being written)."""
    sql = f"UPDATE sheets SET current = 0 WHERE table_id = {mark(proj.conn)} AND current = 1"
    proj.defer(sql, [(t,) for t in sorted(tables)])


def _payloads_frame(events: list[Event], election: Election) -> pl.DataFrame:
    """The current-sheets rows of a run of small sheet events as ONE frame: a group commit of
    double entries holds one event per processed sheet, and a frame each (then concatenated)
    cost more than the rest of the group's projection."""
    if len(events) == 1:
        return from_payload(events[0].data["sheets"], election, events[0].seq)
    payloads = [e.data["sheets"] for e in events]
    merged: dict[str, Any] = {c: [v for p in payloads for v in p[c]] for c in SHEET_COLUMNS}
    merged["votes"] = {c: [v for p in payloads for v in p["votes"][c]] for c in election.contest.choice_ids}
    seqs = [e.seq for e, p in zip(events, payloads, strict=True) for _ in p["table"]]
    return from_payload(merged, election, 0).with_columns(pl.Series("seq", seqs, dtype=pl.Int64))


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


def tally_rows(conn: Any, changes: tally.Changes, ahead: ReadAhead | None = None) -> list[tuple[str, str]]:
    """The per-area counts the ``changes`` make of the stored ones, to be written by
    :func:`write_tally`: one query for a write of up to 500 areas, or none when they were read
    with the write lock (``ahead``, :mod:`escrutinio.store.read_ahead`)."""
    areas = sorted(changes)
    if not areas:
        return []
    if ahead is not None:
        stored = {a: ahead.tallies[a] for a in areas if a in ahead.tallies}
        missing = [a for a in areas if a not in ahead.areas]
    else:
        stored, missing = {}, areas
    for part in parts(missing):
        sql, params = read_ahead.tally_query(conn, part)
        stored.update(conn.exec_driver_sql(sql, params).fetchall())
    return [(area, add(stored.get(area), list(changes[area]), list(changes[area].values()))) for area in areas]


def write_tally(conn: Any, rows: list[tuple[str, str]]) -> None:
    """Write the per-area counts :func:`tally_rows` made (no rows returned: it can be pipelined)."""
    if rows:
        sql = f"INSERT INTO area_tally (area, counts) VALUES ({placeholders(conn, 2)}) "
        run_many(conn, sql + "ON CONFLICT (area) DO UPDATE SET counts = excluded.counts", rows)


def add_tally(conn: Any, delta: pl.DataFrame) -> list[tuple[str, str]]:
    """Add long (area, key, value) changes to the stored per-area counts; returns the rows written."""
    rows = tally_rows(conn, tally.nonzero(tally.as_changes(delta)))
    write_tally(conn, rows)
    return rows
