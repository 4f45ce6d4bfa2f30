"""Counting: load tally sheets, read results, progress, one table, and what changed.

Every method takes typed values (see :mod:`escrutinio.parsing` for the text a person types) and
returns plain data: dicts, lists and small dataclasses with ``to_dict()``. The words for a
sheet's state are defined once, in :mod:`escrutinio.count.states`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from escrutinio.count.options import InvalidSheets, Level
from escrutinio.domain.errors import NotFound, StaleState, StoreError
from escrutinio.domain.roles import Action, InvalidValue
from escrutinio.domain.rows import Rows

if TYPE_CHECKING:
    from escrutinio.app.context import SessionContext
    from escrutinio.domain.election import Election
    from escrutinio.formats.sheets import SheetFile
    from escrutinio.intake.plan import LoadPlan
    from escrutinio.ledger.events import Event
    from escrutinio.store.context import StoreContext

Progress = Callable[[str, int, int], None]
"""progress(step, done, total): how long work reports itself (a skin may draw a bar)."""

LOAD_ATTEMPTS = 3
"""How often a load is planned when writes on its own tables (or the docket it opens cases on)
overtake its plan: each try plans on the state the others left, so a few suffice unless the
same tables keep changing, which a retry later, not now, can get past."""


def _quiet(step: str, done: int, total: int) -> None:
    return None


class LevelMismatch(InvalidValue):
    """A level and an area that together name no area (departments within a province, provinces
    within a continent): refused as an invalid value (a usage error: 422, the CLI's exit 2),
    naming ``level`` or ``area`` and what would answer."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message, field=field)


class NotAnArea(StoreError):
    """``--area`` names a polling table: one table is shown by itself, not as a listing."""

    def __init__(self, table: str) -> None:
        self.table = table
        self.what = f"{table} is a polling table, not an area"
        """The fact in no skin's words: the CLI's message names its command, the API its read."""
        super().__init__(f"area: {self.what}: show it with `escrutinio table {table}`", field="area")


@dataclass(frozen=True)
class LoadSummary:
    """What a load did: rows read, tables and areas registered, sheets recorded by state, and
    what the log holds after it (``events`` appended; ``head`` the hash it ends at)."""

    file: str
    sha256: str
    rows: int
    new_areas: int
    new_tables: int
    recorded_by_state: dict[str, int]
    actions: dict[str, int]
    events: int
    head: str
    store: str
    observations: list[str] = field(default_factory=list)
    """What the file says against itself without refusing a sheet (an ElectionReport's area
    totals that differ from its tables'), recorded in the log with the sheets; the first 100."""
    observed: int = 0
    """How many observations there are in all."""

    @property
    def recorded(self) -> int:
        return sum(self.recorded_by_state.values())

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Changes:
    """What changed after event ``since``: each sheet recorded, each case acted on, and the
    tallies that moved (per area, the change in each figure)."""

    since: int
    head: int
    events: list[dict[str, Any]] = field(default_factory=list)
    sheets: list[dict[str, Any]] = field(default_factory=list)
    cases: list[dict[str, Any]] = field(default_factory=list)
    tallies: list[dict[str, Any]] = field(default_factory=list)

    next_since: int = 0
    """The ``since`` that asks for what follows this answer: its last event's number (``since``
    itself when nothing happened after it)."""
    more: bool = False
    """Whether events after ``next_since`` were left for the next page (a ``limit`` was met)."""

    figures: tuple[str, ...] = ()
    """Every figure a tally of this election holds, named as the results name it (``votes.PL``,
    ``tables.counted``): the CSV has a column for each, whichever moved (not in the JSON)."""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        del data["figures"]
        return data

    CASE_COLUMNS = ("number", "kind", "status", "filer", "tables", "rule", "resolution", "effect")
    SHEET_COLUMNS = tuple(f"{when}.{what}" for when in ("before", "after") for what in ("version", "state", "event"))

    @property
    def columns(self) -> tuple[str, ...]:
        """The CSV's header, the same whatever changed (a script reads a column by its place as
        often as by its name): the sheets', the cases' and the tallies' columns, in that order."""
        return ("what", "table", "area", *self.SHEET_COLUMNS, *self.CASE_COLUMNS, "name", "level",
                *(f"change.{f}" for f in self.figures))  # fmt: skip

    def rows(self) -> Rows:
        """One row per sheet, case and tally that changed, ``what`` saying which (the CSV), each
        with every one of :attr:`columns`."""
        from escrutinio.formats.flat import flatten

        data = self.to_dict()
        rows = [{"what": "sheet", **s} for s in data["sheets"]] + [{"what": "case", **c} for c in data["cases"]]
        rows += [{"what": "tally", **t} for t in data["tallies"]]
        columns = self.columns
        return Rows([dict(zip(columns, map(flatten(r).get, columns), strict=True)) for r in rows], columns)


class _NoStoreYet:
    """The store a first load is about to create, as its docket sees it: no case and no event
    yet, and the clock the new store will stamp its events with."""

    def __init__(self, url: str) -> None:
        self.url = url

    def clock(self) -> datetime:
        from escrutinio.store.store import Store

        return Store.clock_of(self.url)

    @staticmethod
    def case_rows(open_only: bool = False) -> list[dict[str, Any]]:
        return []

    @staticmethod
    def count_cases(kind: str) -> int:
        return 0

    @staticmethod
    def head() -> tuple[int, str]:
        from escrutinio.ledger.events import GENESIS

        return 0, GENESIS


class _FirstLoad:
    """The context a first load opens its observation cases in, before the store exists: the
    events are then written with the store itself (see ``CountService.load``)."""

    def __init__(self, url: str, actor: str, defined: Election) -> None:
        self.actor = actor
        self.store: Any = _NoStoreYet(url)
        self._defined = defined

    def election(self) -> Election:
        return self._defined

    def table_frame(self) -> Any:
        raise StoreError(f"{self.store.url}: no store yet")


AREA_ROWS = "count.area_rows"
"""Where the areas (:class:`KnownAreas`) are kept in a long-lived process's shared cache."""


@dataclass(frozen=True)
class KnownAreas:
    """Every area's row (code, level, kind, name, parent), as many as ``count``, and the indexes
    the results look them up by (made once for all the computations while the areas hold)."""

    count: int
    rows: list[Any]
    parent: dict[str, str | None]
    by_code: dict[str, Any]
    by_depth: dict[int, tuple[str, ...]]
    """Each level's codes, sorted."""

    @classmethod
    def of(cls, count: int, rows: list[Any]) -> KnownAreas:
        by_depth: dict[int, list[str]] = {}
        for code, depth, _kind, _name, _parent in rows:
            by_depth.setdefault(depth, []).append(code)
        parent = {code: par for code, _lv, _k, _n, par in rows}
        by_code = {row[0]: row for row in rows}
        return cls(count, rows, parent, by_code, {depth: tuple(sorted(codes)) for depth, codes in by_depth.items()})


class CountService:
    """``session.count``: load, results, status, one table, changes."""

    def __init__(self, session: SessionContext) -> None:
        self.session = session
        self._areas: KnownAreas | None = None  # kept between calls

    # -- load --------------------------------------------------------------------------------

    def load(
        self,
        path: Path,
        election: str | None = None,
        *,
        invalid: InvalidSheets = InvalidSheets.REJECT,
        new_tables: bool = False,
        declared_at: datetime | None = None,
        progress: Progress = _quiet,
    ) -> LoadSummary:
        """Read, check and record a tally-sheet file; refuse it whole or record it whole.

        ``election`` (a preset name or a TOML path) creates the store on the first load.
        ``declared_at`` reconstructs history: observation cases opened by this load are stamped
        with that time (an administrator replaying a past election's night) instead of now; a
        time without a zone is read in the election's zone.
        """
        from escrutinio.formats.definition import load_definition
        from escrutinio.intake.background import BackgroundIntake

        session = self.session
        mode = InvalidSheets(invalid).value
        exists = session.exists()
        # The role first, before the file is read (its areas are checked once they are known).
        session.require(Action.LOAD_SHEETS if exists else Action.CREATE_STORE, area=session.principal.area)
        text = None
        if exists:
            defined = session.election()
            if election is not None:
                named, _ = load_definition(election)
                if named.id != defined.id:
                    raise StoreError(f"{session.url}: this store holds election {defined.id}, not {named.id}")
        else:
            from escrutinio.formats.readers import carried_definition

            # A file that carries its own definition (an NIST ElectionReport) needs no --election.
            found = carried_definition(path) if election is None else load_definition(election)
            if found is None:
                raise StoreError(
                    f"election: {session.url} holds no store yet: name the election to create one "
                    "(a preset's name or a TOML path)",
                    field="election",
                )
            defined, text = found
        progress("read", 0, 4)
        # A new store's file is read and planned on a worker thread while the store's code
        # loads here (see intake/background.py). A file for an existing store is planned
        # against what the store holds, once the file is read.
        intake = BackgroundIntake(path, defined, mode, new_tables, plan_too=not exists)
        try:
            import escrutinio.disputes.service  # noqa: F401  (the write opens observation cases)
            from escrutinio.store.store import Store

            parsed, plan = intake.result()
        finally:
            intake.restore()
        progress("plan", 1, 4)
        session.require_areas(Action.LOAD_SHEETS, _file_areas(parsed))
        when = _in_zone(declared_at, defined) if declared_at is not None else None
        if plan is None:
            plan, written = self._planned_and_written(parsed, defined, mode, new_tables, when, progress)
            events, head = len(written), (written[-1].hash if written else session.store.head()[1])
        else:
            # A new store is created with its first load in ONE transaction: killed at any
            # moment, the load leaves a whole store or none (never an election with no roll).
            progress("write", 2, 4)
            assert text is not None
            extra = self._observation_cases(plan.events, when, _FirstLoad(session.url, session.actor, defined))
            session.created(Store.create(session.url, text, session.actor, [*plan.events, *extra]))
            events, head = len(plan.events) + len(extra), session.store.head()[1]
        progress("done", 4, 4)
        s = plan.summary
        return LoadSummary(
            file=s["file"],
            sha256=s.get("sha256", ""),
            rows=s.get("rows", 0),
            new_areas=s.get("new_areas", 0),
            new_tables=s.get("new_tables", 0),
            recorded_by_state=dict(s.get("recorded_by_state", {})),
            actions=dict(s.get("actions", {})),
            events=events,
            head=head,
            store=session.url,
            observations=list(s.get("observations", [])),
            observed=s.get("observed", 0),
        )

    def _planned_and_written(
        self,
        parsed: SheetFile,
        defined: Election,
        mode: str,
        new_tables: bool,
        when: datetime | None,
        progress: Progress,
    ) -> tuple[LoadPlan, list[Event]]:
        """The load's plan on what the store holds, and the events it wrote.

        Written on the head the plan was made on, or on a newer one when nothing written
        meanwhile touches the plan (:mod:`escrutinio.intake.written_meanwhile`, judged under
        the write lock): clerks keying other tables do not stop a load. When something did,
        the file is planned again on the new state, up to :data:`LOAD_ATTEMPTS` times; a real
        conflict then shows as the plan's own refusal (the table's sheet, recorded meanwhile,
        has other figures), naming the file's line."""
        from escrutinio.intake.plan import LoadMode, plan_load, tables_in_conflict
        from escrutinio.intake.written_meanwhile import conflict

        session, store = self.session, self.session.store
        tables = frozenset(parsed.sheets["table"].to_list())
        for attempt in range(1, LOAD_ATTEMPTS + 1):
            seen = store.head()[0]  # the plan is made on this state
            areas, roll, sheets = store.frames()
            earlier = self._versions(tables_in_conflict(sheets, parsed), defined)
            plan = plan_load(defined, areas, roll, sheets, parsed, mode=LoadMode(mode), new_tables=new_tables, earlier=earlier)
            progress("write", 2, 4)
            if not plan.events:
                return plan, []
            extra = self._observation_cases(plan.events, when, session)
            opens = bool(extra)
            try:
                written = store.append(
                    [*plan.events, *extra],
                    session.actor,
                    expect_seq=seen,
                    moved=lambda events, opens=opens: conflict(events, tables, opens),
                )
            except StaleState as exc:
                if attempt < LOAD_ATTEMPTS:
                    continue
                raise StaleState(
                    exc.expected,
                    exc.now,
                    f"{exc} (planned {LOAD_ATTEMPTS} times, each time overtaken by writes on this file's tables "
                    "or the docket): load again once they pause",
                ) from None
            return plan, written
        raise AssertionError("unreachable: the last attempt returns or raises")

    def _versions(self, tables: list[str], election: Election) -> Any:
        """Every recorded version of these tables' sheets, as a frame of current sheets (a load
        recognises a file that repeats one); None for no table."""
        if not tables:
            return None
        from escrutinio.store.current import SHEET_SELECTED, sheet_frame

        history = self.session.store.sheet_history(tables)
        return sheet_frame([tuple(v[c] for c in SHEET_SELECTED) for vs in history.values() for v in vs], election)

    @staticmethod
    def _observation_cases(events: list[Any], declared_at: datetime | None, context: StoreContext) -> list[Any]:
        """An observed sheet goes to the dispute body: open an observation case for each one
        that has no open case yet, in the same transaction as the sheet itself (the docket of
        ``context`` decides which, and stamps them: see ``Disputes.observation_events``)."""
        from escrutinio.disputes.service import Disputes
        from escrutinio.ledger.events import EventType

        observed = [
            e.frame.filter(e.frame["state"] == "observed").select("table", "reasons")
            for e in events
            if e.type == EventType.SHEETS_RECORDED and e.frame is not None
        ]
        observed = [o for o in observed if o.height]
        if not observed:
            return []
        import polars as pl

        rows = pl.concat(observed)
        # The observed tables are on the roll by the time these events are written (the same
        # transaction registers them), so they are known to the docket.
        disputes = Disputes(context, known_tables=set(rows["table"].to_list()))
        return disputes.observation_events(rows, declared_at)

    # -- results -----------------------------------------------------------------------------

    def contest(self) -> dict[str, Any]:
        """The election and its choices, as a results page names them."""
        e = self.session.election()
        return {
            "election": e.id,
            "name": e.name,
            "country": e.country,
            "contest": e.contest.name,
            "levels": list(e.levels),
            "abroad_levels": list(e.abroad_levels),
            "timezone": e.timezone,
            "choices": [{"id": c.id, "name": c.name, "party": c.party, "candidate": c.candidate} for c in e.contest.choices],
        }

    def results(self, level: Level | str | None = None, area: str | None = None) -> list[dict[str, Any]]:
        """Results for the nation (no level), one area (``area`` alone), or every area of a level
        within ``area`` (see :meth:`level_depth`); ``table`` lists polling tables (see :meth:`tables`).

        A level named as the election names it lists the areas it names: Peru's ``department``
        its departments, ``continent`` its continents abroad, ``country`` its countries abroad,
        though continents lie as deep as departments and countries as deep as provinces. A
        :class:`Level` lists every area at its depth, whatever it is called (code that walks
        every level). A level with none of its areas within ``area`` (departments within a
        province, provinces within a continent) is refused naming what would answer
        (:class:`LevelMismatch`): an empty listing would read as "no results yet"."""
        from escrutinio.count.results import within

        level = level if level is None or isinstance(level, Level) else self.level_name(level)
        depth = self.level_depth(level) if level is not None else None
        if level is not None and depth is None:
            return self.tables(area)
        election = self.session.election()
        areas = self._known_areas()
        parent = areas.parent
        if area is not None:
            self._check_area(area, parent, election)
        if depth is None:
            return self._rows([area or election.country], None)
        codes = [election.country] if depth == 0 else self._named(level, depth)
        if area is not None and area != election.country:
            codes = [c for c in codes if within(c, area, parent)]
            if not codes:
                raise self._mismatch(str(level), depth, area)
        return self._rows(codes, depth)

    def results_json_csv(
        self, level: Level | str | None = None, area: str | None = None
    ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """:meth:`results` as JSON and as CSV give them: the same rows, but a listing of polling
        tables, whose rows are shaped (and named, in CSV) as the other results rows
        (``app.table_rows``)."""
        rows = self.results(level, area)
        named = level if level is None or isinstance(level, Level) else self.level_name(level)
        if named is None or self.level_depth(named) is not None:
            return rows, rows
        return self.tables_json(rows), self.tables_csv(rows)

    def tables_json(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Rows of :meth:`tables` as JSON gives them (``app.table_rows.table_json``)."""
        from escrutinio.app.table_rows import table_json

        choices = self.session.election().contest.choice_ids
        return [table_json(r, choices) for r in rows]

    def tables_csv(self, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Rows of :meth:`tables` as CSV gives them, named as their JSON flattened
        (``app.table_rows.table_csv``)."""
        from escrutinio.app.table_rows import table_csv

        return table_csv(rows, self.session.election().contest.choice_ids)

    def table_rows(self, table: dict[str, Any]) -> list[dict[str, Any]]:
        """The CSV rows of :meth:`table`'s answer: its versions, or one row with its state
        before it has any (``app.table_rows.version_rows``)."""
        from escrutinio.app.table_rows import version_rows

        return version_rows(table, self.session.election().contest.choice_ids)

    def below(self, area: str | None = None) -> tuple[list[str], list[dict[str, Any]]]:
        """The areas one level below ``area`` (the nation when None), whatever each is called
        (the nation's departments and its continents abroad), and the names of their levels, its
        own first; below the lowest level, its polling tables (``["table"]``). What an area's
        page lists: each name is a ``results`` level that lists its part of them."""
        election = self.session.election()
        where = area or election.country
        self._check_area(where, self._known_areas().parent, election)
        row = self._known_areas().by_code.get(where)
        depth = 0 if where == election.country or row is None else int(row[1])
        if depth >= len(election.levels):
            return ["table"], self.tables(area)
        rows = self.results(Level.at(depth + 1), area)
        names = list(dict.fromkeys(r["level"] for r in rows)) or [election.level_name(depth + 1)]
        return names, rows

    def _named(self, level: Level | str | None, depth: int) -> list[str]:
        """The codes of the areas ``level`` lists (see :meth:`results`), sorted."""
        areas = self._known_areas()
        codes = list(areas.by_depth.get(depth, ()))
        election = self.session.election()
        if isinstance(level, Level) or len(election.names_at(depth)) < 2:
            return codes
        return [c for c in codes if areas.by_code[c][2] == level]

    def _mismatch(self, level: Level | str, depth: int, area: str) -> LevelMismatch:
        """Why ``level`` lists nothing within ``area``, naming what would: the area lies at or
        below the level (name an area above it, or none), or the level is not one of those under
        the area (Peru's provinces are not under a continent: its countries are)."""
        election = self.session.election()
        areas = self._known_areas()
        _code, at, kind, name, _parent = areas.by_code[area]
        what = f"{area} ({name}, a {election.area_level(int(at), kind)})"
        if int(at) >= depth:
            above = self._levels_above(self._named(level, depth)[:1]) if depth else []
            where = f"an area of a level above it ({', '.join(above)}) or no area" if above else "no area"
            return LevelMismatch(f"area: {what} is not above the {level} level; expected {where}", "area")
        below = [*self._levels_below(area), "table"]
        return LevelMismatch(f"level: no {level} lies within area {what}; expected one of {', '.join(below)}", "level")

    def _levels_above(self, codes: list[str]) -> list[str]:
        """The names of the levels above the first of ``codes`` (the nation's left out), top down."""
        election = self.session.election()
        areas = self._known_areas()
        names: list[str] = []
        node = areas.parent.get(codes[0]) if codes else None
        while node is not None and node in areas.by_code:
            _code, at, kind, _name, node = areas.by_code[node]
            names.insert(0, election.area_level(int(at), kind))
        return names

    def _levels_below(self, area: str) -> list[str]:
        """The names of the levels of the areas below ``area``, top down."""
        from escrutinio.count.results import within

        areas = self._known_areas()
        election = self.session.election()
        inside = {(int(r[1]), r[2]) for r in areas.rows if r[0] != area and within(r[0], area, areas.parent)}
        return list(dict.fromkeys(election.area_level(at, kind) for at, kind in sorted(inside)))

    def _rows(self, codes: list[str], depth: int | None) -> list[dict[str, Any]]:
        """The results rows of ``codes`` (all at ``depth``; None: areas of any depth)."""
        from escrutinio.count.results import build, national_extras

        election = self.session.election()
        areas = self._known_areas()
        # The head first: every figure read after it is at least that new, so a result never
        # names a head its figures are older than (on a replica that replays as we read, too).
        seq, head = self.session.reader.head()
        tally = self.session.reader.tally(codes=codes, level=depth)
        out = []
        for r in build(tally, [areas.by_code[c] for c in codes if c in areas.by_code], election, codes):
            if r.code == election.country:
                r.extra.update(national_extras(r, election))
                r.extra["at_dispute_body"] = self.sheets_in_state("observed")
                r.extra["log"] = {
                    "events": seq,
                    "head": head,
                    "note": "these figures are computed from events 1..events of the log; `escrutinio verify` recomputes them",
                }
            out.append(r.to_dict())
        return out

    def level_depth(self, level: Level | str) -> int | None:
        """How deep ``level`` lies (0: the nation; None: the polling tables). Text is a name this
        election gives a level, as a person types it (Chile's ``region`` and ``district``, Peru's
        ``department``…, or a level abroad, ``continent``, which lists the areas at its depth), or
        ``national`` or ``table``; anything else is refused naming the election's names. A
        :class:`Level` counts the levels by position instead, for code that walks every level."""
        if isinstance(level, Level):
            return level.depth
        return self._depths()[self.level_name(level)]

    def _depths(self) -> dict[str, int | None]:
        depths: dict[str, int | None] = {"national": 0, **self.session.election().level_depths()}
        depths.setdefault("table", None)
        return depths

    def level_name(self, level: str) -> str:
        """The election's name of a level as a person types it: the name itself, or its words
        (``territorial commission`` for ``territorial_commission``, in any case), as ``forensics
        --by`` takes them; anything else is refused naming the election's levels."""
        from escrutinio.app.level_names import matching_level

        depths = self._depths()
        found = matching_level(level, depths)
        if found is None:
            names = ", ".join(depths)
            raise InvalidValue(f"level: expected one of this election's levels ({names}), got {level!r}", field="level")
        return found

    def lineage(self, area: str) -> list[dict[str, Any]]:
        """The areas from the nation down to ``area`` (itself last), each with its code, name,
        level (``national``, ``department``, ...) and kind (``continent`` abroad): a page's
        breadcrumbs. An unknown area is :class:`NotFound`; a table id, :class:`NotAnArea`."""
        election = self.session.election()
        rows = {code: (depth, kind, name, par) for code, depth, kind, name, par in self._area_rows()}
        self._check_area(area, {code: row[3] for code, row in rows.items()}, election)
        chain: list[dict[str, Any]] = []
        code: str | None = area
        while code is not None and code != election.country and code in rows:
            depth, kind, name, par = rows[code]
            chain.append({"area": code, "name": name, "level": election.area_level(depth, kind), "kind": kind})
            code = par
        chain.append({"area": election.country, "name": election.name, "level": election.level_name(0), "kind": "national"})
        return chain[::-1]

    def _area_rows(self) -> list[Any]:
        """Every area's (code, level, kind, name, parent) (see :meth:`_known_areas`)."""
        return self._known_areas().rows

    def _known_areas(self) -> KnownAreas:
        """The areas, read again only when their number changed (areas are only ever added):
        kept by the service, and in a long-lived process (``escrutinio serve``) by the sessions
        it shares state with, so that the results polled on election night (a session a
        computation) cost a count, not the whole list and its indexes."""
        reader = self.session.reader
        count = reader.area_count()
        shared = self.session.shared
        if self._areas is None and shared is not None:
            self._areas = shared.cache.get(AREA_ROWS)
        if self._areas is None or self._areas.count != count:
            self._areas = KnownAreas.of(count, reader.areas())
            if shared is not None:
                shared.cache[AREA_ROWS] = self._areas
        return self._areas

    def _check_area(self, area: str, parent: dict[str, str | None], election: Election) -> None:
        """An unknown area is an error; a table id names the table view instead."""
        if area in parent or area == election.country:
            return
        if self.session.store.electors([area]):
            raise NotAnArea(area)
        raise NotFound(f"area: no area {area!r} in this election (national code: {election.country})", "area")

    def tables(self, area: str | None = None) -> list[dict[str, Any]]:
        """One row per polling table (within ``area``): its roll entry, its current sheet's
        state and figures, ``event``, the log event that recorded that sheet, and
        ``final_at_source_despite``, the rules (comma-separated) a sheet in the count breaks
        although the source stated it final (empty for almost every table)."""
        import polars as pl

        from escrutinio.aggregation.tally import lineage
        from escrutinio.count.states import IN_COUNT, RULES, SOURCE_BASIS

        election = self.session.election()
        if area is not None:
            areas = self._area_rows()
            self._check_area(area, {code: par for code, _lv, _k, _n, par in areas}, election)
        areas, roll, sheets = self.session.store.frames()
        if area is not None:
            inside = lineage(areas, election.country).filter(pl.col("ancestor") == area).select("area")
            roll = roll.join(inside, on="area", how="semi")
        frame = (
            roll.rename({"seq": "registered_event"})
            .join(sheets.rename({"seq": "event"}), on="table", how="left")
            .with_columns(pl.col("state").fill_null("pending"))
            .sort("table")
        )
        final = pl.col("state").is_in(list(IN_COUNT)) & pl.col("basis").fill_null("").str.starts_with(SOURCE_BASIS)
        broken = pl.col("reasons").fill_null("").str.split(",").list.eval(pl.element().filter(pl.element().is_in(list(RULES))))
        frame = frame.with_columns(
            pl.when(final).then(broken.list.join(",")).otherwise(pl.lit("")).alias("final_at_source_despite")
        )
        return frame.to_dicts()

    def sheets_in_state(self, state: str) -> list[dict[str, Any]]:
        """Current sheets in a state, with their figures (e.g. those still at the dispute body).

        The observed ones are read from their rows alone (the results list them on every
        call); any other state needs the whole projection.
        """
        from escrutinio.domain.sheet import SheetState

        election = self.session.election()
        if state == SheetState.OBSERVED.value:
            return [_sheet_dict(r, election) for r in self.session.reader.sheets_at_dispute_body()]
        if state not in {s.value for s in SheetState}:
            raise StoreError(f"unknown sheet state {state!r}: expected one of {', '.join(s.value for s in SheetState)}")
        import polars as pl

        from escrutinio.store.current import as_rows

        _areas, roll, sheets = self.session.store.frames()
        frame = sheets.filter(pl.col("state") == state).join(roll.select("table", "area", "electors"), on="table", how="left")
        return [_sheet_dict(r, election) for r in as_rows(frame, election)]

    # -- status ------------------------------------------------------------------------------

    @staticmethod
    def states() -> dict[str, str]:
        """Each sheet state and what it means (the one vocabulary: ``count.states``)."""
        from escrutinio.count.states import MEANINGS

        return dict(MEANINGS)

    def status(self) -> dict[str, Any]:
        """Progress in the words of :mod:`escrutinio.count.states`: sheets received, in the count,
        accounted for; electors accounted for; sheets by state and by reason; and the sheets
        taken as final at source despite a rule."""
        from escrutinio.count.results import share
        from escrutinio.count.states import ACCOUNTED, IN_COUNT, MEANINGS, despite

        election = self.session.election()
        seq, head = self.session.reader.head()  # before the figures (see ``results``)
        nat = self.results()[0]
        t = nat["tables"]
        total = t["total"]
        received = total - t["pending"]
        in_count = sum(t[s] for s in IN_COUNT)
        accounted = sum(t[s] for s in ACCOUNTED)
        _areas, _roll, sheets = self.session.store.frames()
        by_reason: dict[str, int] = {}
        for text, n in sheets.group_by("reasons").len().rows():
            for reason in text.split(",") if text else []:
                by_reason[reason] = by_reason.get(reason, 0) + n
        flagged = []
        suspects = sheets.filter(sheets["basis"].str.starts_with("source:") & (sheets["reasons"] != ""))
        for table, state, basis, reasons in suspects.select("table", "state", "basis", "reasons").sort("table").iter_rows():
            rules = despite(state, basis, reasons)
            if rules:
                flagged.append({"table": table, "state": state, "basis": basis, "despite": rules})
        return {
            "election": election.id,
            "tables": total,
            "received": received,
            "received_pct": share(received, total),
            "in_count": in_count,
            "in_count_pct": share(in_count, total),
            "accounted": accounted,
            "accounted_pct": share(accounted, total),
            "electors": nat["electors"],
            "electors_accounted": nat["electors_in_count"],
            "electors_accounted_pct": share(nat["electors_in_count"], nat["electors"]),
            "by_state": {s: t[s] for s in MEANINGS},
            "by_reason": dict(sorted(by_reason.items())),
            "final_at_source_despite": flagged,
            "events": seq,
            "head": head,
        }

    # -- one table ---------------------------------------------------------------------------

    def table(self, table: str) -> dict[str, Any]:
        """One polling table: its roll entry, its current sheet and state, every version of its
        sheet with the event (and time) that recorded it, its cases, its audit draws, and its
        double entries and scans (``intake``: each with its event, time and clerk)."""
        from escrutinio.count.states import despite

        session = self.session
        election = session.election()
        electors = session.store.electors([table])
        if table not in electors:
            raise NotFound(f"no polling table {table!r} in this election", "table")
        history = session.store.sheet_history([table])[table]
        index = {seq: (type_, at, actor) for seq, type_, at, actor in session.reader.event_index()}
        fixed = ("table", "area", "version", "state", "reasons", "basis", "electors", "ballots_cast", "blank", "null")
        after = ("challenged", *(f"votes.{c}" for c in election.contest.choice_ids), "event", "current", "at", "actor", "despite")
        versions = Rows(columns=(*fixed, *after))
        for row in history:
            entry = _sheet_dict(row, election)
            entry["current"] = bool(row.get("current"))
            entry["at"] = index.get(row["seq"], (None, None, None))[1]
            entry["actor"] = index.get(row["seq"], (None, None, None))[2]
            entry["despite"] = despite(row["state"], row["basis"], row["reasons"])
            versions.append(entry)
        current = next((v for v in versions if v["current"]), None)
        area = history[0]["area"] if history else next(iter(self.tables_on_roll([table])), {}).get("area")
        names = {code: name for code, _lv, _k, name, _p in self._area_rows()}
        numbers = set(session.store.cases_on_tables([table]))
        cases = [
            {k: r[k] for k in ("number", "kind", "status", "filer", "filed_at", "grounds", "rule", "resolution", "effect")}
            for r in session.store.case_rows()
            if r["number"] in numbers
        ]
        return {
            "table": table,
            "area": area,
            "area_name": names.get(area or "", ""),
            "electors": electors[table],
            "state": current["state"] if current else "pending",
            "despite": current["despite"] if current else [],
            "current": current,
            "versions": versions,
            "cases": cases,
            "audit": self._audit_mentions(table, index),
            "intake": self.session.intake.entries(table),
        }

    def tables_on_roll(self, tables: list[str]) -> list[dict[str, Any]]:
        """Roll entries (table, area, polling place, electors, registering event) of some tables."""
        _areas, roll, _sheets = self.session.store.frames()
        return roll.filter(roll["table"].is_in(tables)).to_dicts()

    def _audit_mentions(self, table: str, index: dict[int, tuple[str, str, str]]) -> list[dict[str, Any]]:
        """Audit events that draw this table (or ballots of it) or record its hand count."""
        seqs = [seq for seq, (type_, _at, _actor) in index.items() if type_.startswith("audit.")]
        out = []
        for seq, data in sorted(self.session.reader.event_data(seqs).items()):
            type_, at, actor = index[seq]
            entry: dict[str, Any] = {"event": seq, "type": type_, "at": at, "actor": actor}
            if table in data.get("tables", ()):
                first = data.get("first_draw", 1)
                entry["round"] = data.get("round")
                entry["draws"] = [first + i for i, t in enumerate(data["tables"]) if t == table]
            elif isinstance(data.get("ballots"), list) and any(t == table for t, _p in data["ballots"]):
                # drawn ballots (table, position); a hand count's ``ballots`` is the number in the box
                entry["round"] = data.get("round")
                entry["ballots"] = [p for t, p in data["ballots"] if t == table]
            elif data.get("table") == table:
                entry.update({k: data[k] for k in ("entry", "counts", "ballots", "position", "vote", "by") if k in data})
            else:
                continue
            out.append(entry)
        return out

    # -- changes -----------------------------------------------------------------------------

    def changes(self, since: int, limit: int | None = None) -> Changes:
        """What changed after event ``since``: sheets recorded (with the state each table had
        before), cases acted on (and where each stands now), and the tallies that moved.

        ``limit``: at most that many events, the first after ``since`` (``more`` says whether
        others follow; ``next_since`` is where the next page starts). Why a page: a live page
        that fell behind by a whole election night asked for every event at once (27,000 events,
        2 MB, seconds of a reader each), and ten of them slowed every other read."""
        from escrutinio.ledger.events import EventType

        session = self.session
        head, _ = session.reader.head()
        if since > head:
            raise StoreError(f"since: the log has {head} events; nothing after event {since}", field="since")
        index = session.reader.event_index(since)
        more = limit is not None and len(index) > limit
        index = index[:limit] if more else index
        last = index[-1][0] if index else since
        out = Changes(since=since, head=head, next_since=last, more=more, figures=self._figure_names())
        out.events = [{"event": s, "type": t, "at": at, "actor": a} for s, t, at, a in index]
        sheet_seqs = [s for s, t, _at, _a in index if t == EventType.SHEETS_RECORDED]
        case_seqs = [s for s, t, _at, _a in index if t in EventType.CASE_EVENTS]
        if sheet_seqs:
            out.sheets, out.tallies = self._sheet_changes(sheet_seqs, since)
        if case_seqs:
            numbers = {data["number"] for data in session.reader.event_data(case_seqs).values()}
            out.cases = [
                {k: r[k] for k in ("number", "kind", "status", "filer", "tables", "rule", "resolution", "effect")}
                for r in session.store.case_rows()
                if r["number"] in numbers
            ]
        return out

    def _figure_names(self) -> tuple[str, ...]:
        """Every figure a sheet can move in a tally, as the results name it, sorted (as a
        change lists its own)."""
        from escrutinio.aggregation.tally import tally_keys

        registered = ("tables", "electors")  # moved by registering tables, never by a sheet
        return tuple(sorted(_figure_name(k) for k in tally_keys(self.session.election()) if k not in registered))

    def _sheet_changes(self, seqs: list[int], since: int) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
        """Each table a sheet event after ``since`` touched: its current sheet as of ``since``
        and now; and per area the change in every figure the results show.

        Read from the sheet events themselves (the log keeps every record; the projection
        keeps one per version), newest by (version, event) as the store decides.
        """
        from escrutinio.ledger.events import EventType

        session = self.session
        after = _newest(session.reader.event_data(seqs), set())
        earlier = [s for s, t, _at, _a in session.reader.event_index() if t == EventType.SHEETS_RECORDED and s <= since]
        before: dict[str, dict[str, Any]] = {}
        for seq in earlier:  # one event at a time: a national load's events are large
            for table, record in _newest(session.reader.event_data([seq]), set(after)).items():
                _keep_newest(before, table, record)
        _areas, roll, _sheets = session.store.frames()
        where = dict(zip(roll["table"].to_list(), roll["area"].to_list(), strict=True))
        rows: list[dict[str, Any]] = []
        olds: list[dict[str, Any]] = []
        news: list[dict[str, Any]] = []
        for table in sorted(after):
            old = before.get(table)
            held = {table: old} if old else {}
            _keep_newest(held, table, after[table])
            new = held[table]
            if old is not None and (old["version"], old["seq"]) == (new["version"], new["seq"]):
                continue
            rows.append({"table": table, "area": where.get(table), "before": _brief(old), "after": _brief(new)})
            news.append(new)
            if old is not None:
                olds.append(old)
        return rows, self._tally_changes(news, olds, roll)

    def _tally_changes(self, news: list[dict[str, Any]], olds: list[dict[str, Any]], roll: Any) -> list[dict[str, Any]]:
        """Per area, what the new records add and the old ones took away, by the very rules the
        tallies are kept by (``aggregation.tally``), named as the results name each figure."""
        import polars as pl

        from escrutinio.aggregation.tally import combine, lineage, roll_up, sheet_contribution
        from escrutinio.domain import table_frame as tf

        session = self.session
        election = session.election()
        lin = lineage(session.store.areas(), election.country)

        def tallied(records: list[dict[str, Any]], sign: int) -> pl.DataFrame:
            if not records:
                return pl.DataFrame(schema={"area": pl.String, "key": pl.String, "value": pl.Int64})
            frame = pl.DataFrame(
                {
                    "table": [r["table"] for r in records],
                    tf.STATE: [r["state"] for r in records],
                    "basis": [r["basis"] for r in records],
                    "reasons": [r["reasons"] for r in records],
                    **{f: [r[f] for r in records] for f in tf.SHEET_COUNTS},
                    **{tf.choice_column(c): [r["votes"][c] for r in records] for c in election.contest.choice_ids},
                }
            ).join(roll.select("table", "area", tf.ELECTORS), on="table", how="inner")
            long = roll_up(sheet_contribution(frame, election), lin)
            return long.with_columns(pl.col("value") * sign)

        moved = combine(tallied(news, 1), tallied(olds, -1))
        names = {code: (lv, name) for code, lv, _k, name, _p in self._area_rows()}
        out: dict[str, dict[str, int]] = {}
        for area, key, value in moved.iter_rows():
            out.setdefault(area, {})[_figure_name(key)] = value
        tallies = []
        for code, change in out.items():
            depth, name = names.get(code, (0, election.name))
            tallies.append({"area": code, "name": name, "level": depth, "change": dict(sorted(change.items()))})
        tallies.sort(key=lambda r: (r["level"], r["area"]))
        # Named as every other answer names a level (``department``), not by its depth.
        return [{**t, "level": election.level_name(t["level"])} for t in tallies]


def _figure_name(key: str) -> str:
    """A tally key as the results name the figure (``v_PL`` -> ``votes.PL``, ``n_counted`` ->
    ``tables.counted``, ``p_v_PL`` -> ``provisional.votes.PL``, ``cast`` -> ``ballots_cast``,
    ``p_cast`` -> ``provisional.cast``, ``despite_arithmetic_error`` ->
    ``final_at_source_despite.arithmetic_error``)."""
    from escrutinio.aggregation.keys import DESPITE_PREFIX
    from escrutinio.domain import table_frame as tf

    if key.startswith(DESPITE_PREFIX):
        return f"final_at_source_despite.{key[len(DESPITE_PREFIX) :]}"
    if key.startswith("p_"):  # the provisional figures keep the sheet's own names, as the results do
        inner = key[2:]
        return f"provisional.{_figure_name(inner) if inner.startswith(tf.CHOICE_PREFIX) else inner}"
    if key.startswith(tf.CHOICE_PREFIX):
        return f"votes.{key[len(tf.CHOICE_PREFIX) :]}"
    if key.startswith("n_"):
        return f"tables.{key[2:]}"
    return {"cast": "ballots_cast"}.get(key, key)


def _newest(events: dict[int, dict[str, Any]], only: set[str]) -> dict[str, dict[str, Any]]:
    """The newest record by (version, event) of each table in these sheet events' data (of the
    tables in ``only``, when given)."""
    out: dict[str, dict[str, Any]] = {}
    for seq, data in sorted(events.items()):
        sheets = data["sheets"]
        fields = [k for k in sheets if k != "votes"]
        for i, table in enumerate(sheets["table"]):
            if only and table not in only:
                continue
            record = {k: sheets[k][i] for k in fields}
            record["votes"] = {c: v[i] for c, v in sheets["votes"].items()}
            record["seq"] = seq
            _keep_newest(out, table, record)
    return out


def _keep_newest(records: dict[str, dict[str, Any]], table: str, record: dict[str, Any]) -> None:
    """Keep ``record`` as the table's if it is newer by (version, event) than the one held."""
    mine = records.get(table)
    if mine is None or (record["version"], record["seq"]) >= (mine["version"], mine["seq"]):
        records[table] = record


def _brief(version: dict[str, Any] | None) -> dict[str, Any] | None:
    if version is None:
        return None
    return {"version": version["version"], "state": version["state"], "event": version["seq"]}


def _file_areas(parsed: Any) -> list[str]:
    """The finest area of every table a parsed sheet file brings (what a clerk of an area may load)."""
    sheets = parsed.sheets
    return sheets["district"].unique().to_list() if "district" in sheets.columns else []


def _in_zone(moment: datetime, election: Election) -> datetime:
    """A naive time is read in the election's time zone."""
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=election.zone)


def _sheet_dict(row: Any, election: Election) -> dict[str, Any]:
    import orjson

    votes = orjson.loads(row["votes"])
    return {
        "table": row["table_id"],
        "area": row["area"],
        "version": row["version"],
        "state": row["state"],
        "reasons": row["reasons"].split(",") if row["reasons"] else [],
        "basis": row["basis"],
        "electors": row["electors"],
        "ballots_cast": row["ballots_cast"],
        "blank": row["blank"],
        "null": row["null_votes"],
        "challenged": row["challenged"],
        "votes": dict(zip(election.contest.choice_ids, votes, strict=True)),
        "event": row["seq"],
    }
