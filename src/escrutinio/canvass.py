"""Canvass: the application service. One method per user action; the CLI (and later the API
and the web pages) are thin skins over it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from escrutinio.domain.election import Election
from escrutinio.domain.errors import StoreError
from escrutinio.store.location import resolve_url

Progress = Callable[[str, int, int], None]
"""progress(step, done, total): how long work reports itself (the CLI draws a bar)."""


def _quiet(step: str, done: int, total: int) -> None:
    return None


@dataclass
class VerifyReport:
    events: int
    head: str
    national: dict[str, Any]
    compared_with_store: bool
    differences: list[dict[str, Any]]

    @property
    def ok(self) -> bool:
        return not self.differences

    def to_dict(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "events": self.events,
            "head": self.head,
            "compared_with_store": self.compared_with_store,
            "differences": self.differences[:100],
            "national": self.national,
        }


class Canvass:
    """The canvass of one election in one store."""

    def __init__(self, db: str | None = None, actor: str = "cli") -> None:
        self.url = resolve_url(db)
        self.actor = actor
        self._store = None
        self._reader = None
        self._election: Election | None = None
        self._areas: tuple[int, list[Any]] | None = None  # (number of areas, area rows) for results
        self._frame: tuple[int, Any] | None = None  # (head seq, table frame) kept between calls

    @property
    def store(self):  # type: ignore[no-untyped-def]
        from escrutinio.store.store import Store

        if self._store is None:
            self._store = Store.open(self.url)
        return self._store

    @property
    def reader(self):  # type: ignore[no-untyped-def]
        """Read-only queries (no SQLAlchemy on SQLite): results, status, provisional sheets."""
        from escrutinio.store.reader import Reader
        from escrutinio.store.sqlite_ddl import SCHEMA_REVISION

        if self._reader is None:
            reader = Reader(self.url)
            if reader.revision() != SCHEMA_REVISION:  # an older store: opening it migrates it
                reader.close()
                self.store  # noqa: B018
                reader = Reader(self.url)
            self._reader = reader
        return self._reader

    def close(self) -> None:
        if self._store is not None:
            self._store.close()
            self._store = None
        if self._reader is not None:
            self._reader.close()
            self._reader = None

    def exists(self) -> bool:
        from escrutinio.store.store import Store

        return Store.exists(self.url)

    def election(self) -> Election:
        if self._election is None:
            from escrutinio.domain.election import election_from_toml

            source = self._store if self._store is not None else None
            text = source.definition_text() if source is not None else self.reader.definition_text()
            self._election = election_from_toml("store definition", text)
        return self._election

    # -- count -----------------------------------------------------------------------------

    def load(
        self,
        path: Path,
        election: str | None = None,
        *,
        mode: str = "reject",
        new_tables: bool = False,
        progress: Progress = _quiet,
        as_of: Any = None,
    ) -> dict[str, Any]:
        """Read, check and record a tally-sheet file; refuse it whole or record it whole.

        ``as_of`` is when observed sheets reach the dispute body (their observation cases are
        opened then); default now. A replay of a past election passes its own night.
        """
        from escrutinio.formats.definition import load_definition
        from escrutinio.intake.background import BackgroundIntake
        from escrutinio.store.location import sqlite_path

        if mode not in ("reject", "observe"):
            raise StoreError(f"--invalid: expected reject or observe, got {mode!r}")
        file = sqlite_path(self.url)
        exists = self.exists() if file is None or file.exists() else False
        text = None
        if exists:
            current = self.election()
            if election is not None:
                defined, _ = load_definition(election)
                if defined.id != current.id:
                    raise StoreError(f"{self.url}: this store holds election {current.id}, not {defined.id}")
            defined = current
        else:
            from escrutinio.formats.readers import carried_definition

            found = carried_definition(path) if election is None else load_definition(election)
            if found is None:
                raise StoreError(f"{self.url}: no store yet: name the election with --election NAME|PATH")
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
        seen = None
        if plan is None:
            from escrutinio.intake.plan import plan_load

            seen = self.store.head()[0]  # the plan is made on this state; a racing writer makes us retry
            areas, roll, sheets = self.store.frames()
            plan = plan_load(defined, areas, roll, sheets, parsed, mode=mode, new_tables=new_tables)
        progress("write", 2, 4)
        if not exists:
            assert text is not None
            self._store = Store.create(self.url, text, self.actor)
        extra = self._observation_cases(plan.events, as_of)
        written = self.store.append([*plan.events, *extra], self.actor, expect_seq=seen) if plan.events else []
        progress("done", 4, 4)
        summary = dict(plan.summary)
        summary["events"] = len(written)
        summary["head"] = written[-1].hash if written else self.store.head()[1]
        summary["store"] = self.url
        return summary

    def _observation_cases(self, events: list[Any], as_of: Any = None) -> list[Any]:
        """An observed sheet goes to the dispute body: open an observation case for each one
        that has no open case yet, in the same transaction as the sheet itself."""
        from datetime import UTC, datetime

        from escrutinio.disputes.service import OPEN, Disputes
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
        disputes = Disputes(self, known_tables=set(rows["table"].to_list()))
        already = {
            t
            for r in self.store.case_rows()
            if r["status"] in OPEN and r["kind"] == "observation"
            for t in r["tables"].split(",")
        }
        rows = rows.filter(~rows["table"].is_in(list(already)))
        now = as_of or datetime.now(UTC)
        filings = disputes.observation_filings(rows["table"].to_list(), rows["reasons"].to_list(), now)
        return [c.event for c in disputes.open_changes(filings, now)]

    # -- results ---------------------------------------------------------------------------

    def results(self, level: str | None = None, area: str | None = None) -> list[dict[str, Any]]:
        """Results for the nation, an area, or every area of a level (within ``area``)."""
        from escrutinio.count.results import LEVEL_NAMES, build, national_extras

        election = self.election()
        if level == "table":
            return self.table_results(area)
        if level is not None and level not in LEVEL_NAMES:
            raise StoreError(f"--level: expected one of {', '.join((*LEVEL_NAMES, 'table'))}, got {level!r}")
        count = self.reader.area_count()
        if self._areas is None or self._areas[0] != count:
            self._areas = (count, self.reader.areas())
        areas = self._areas[1]
        parent = {code: par for code, _lv, _k, _n, par in areas}
        if area is not None and area not in parent and area != election.country:
            raise StoreError(f"--area: no area {area!r} in this election (national code: {election.country})")
        depth = LEVEL_NAMES.index(level) if level else None
        if depth is None:
            codes = [area or election.country]
        elif depth == 0:
            codes = [election.country]
        else:
            codes = sorted(code for code, lv, _k, _n, _p in areas if lv == depth)
            if area is not None and area != election.country:
                codes = [c for c in codes if _within(c, area, parent)]
        tally = self.reader.tally(codes=codes, level=depth)
        out = []
        for r in build(tally, areas, election, codes):
            if r.code == election.country:
                r.extra.update(national_extras(r, election))
                r.extra["at_dispute_body"] = self.sheets_in_state("observed")
                seq, head = self.reader.head()
                r.extra["log"] = {
                    "events": seq,
                    "head": head,
                    "note": "these figures are computed from events 1..events of the log; `escrutinio verify` recomputes them",
                }
            out.append(r.to_dict())
        return out

    def sheets_in_state(self, state: str) -> list[dict[str, Any]]:
        """Current sheets in a state, with their figures (e.g. those still at the dispute body).

        The observed ones are read from their rows alone (the results list them on every
        call); any other state needs the whole projection.
        """
        from escrutinio.domain.sheet import SheetState

        election = self.election()
        if state == SheetState.OBSERVED.value:
            return [_sheet_dict(r, election) for r in self.reader.sheets_at_dispute_body()]
        if state not in {s.value for s in SheetState}:
            raise StoreError(f"unknown sheet state {state!r}: expected one of {', '.join(s.value for s in SheetState)}")
        import polars as pl

        from escrutinio.store.current import as_rows

        _areas, roll, sheets = self.store.frames()
        frame = sheets.filter(pl.col("state") == state).join(roll.select("table", "area", "electors"), on="table", how="left")
        return [_sheet_dict(r, election) for r in as_rows(frame, election)]

    def table_results(self, area: str | None = None) -> list[dict[str, Any]]:
        """One row per table: roll entry and current sheet."""
        import polars as pl

        from escrutinio.aggregation.tally import lineage

        election = self.election()
        areas, roll, sheets = self.store.frames()
        if area is not None:
            lin = lineage(areas, election.country)
            inside = lin.filter(pl.col("ancestor") == area).select("area")
            roll = roll.join(inside, on="area", how="semi")
        frame = (
            roll.rename({"seq": "registered_event"})
            .join(sheets.rename({"seq": "event"}), on="table", how="left")
            .with_columns(pl.col("state").fill_null("pending"))
            .sort("table")
        )
        # ``event`` is the log event that recorded the table's current sheet (its provenance).
        return frame.to_dicts()

    def table_frame(self):  # type: ignore[no-untyped-def]
        """The table-results frame (polars) that audit, forensics and stakes read.

        Kept in memory between calls and brought up to date from the sheet events appended
        since (a ruling touches a few tables: re-reading 86,000 would cost 0.3 s a ruling).
        """
        import polars as pl

        from escrutinio.aggregation.frame import table_frame
        from escrutinio.domain import table_frame as tf
        from escrutinio.ledger.events import EventType
        from escrutinio.ledger.sheets_payload import from_payload

        seq, _ = self.store.head()
        cached = self._frame
        if cached is not None and cached[0] != seq:
            newer = self.store.events_since(
                cached[0], [EventType.SHEETS_RECORDED, EventType.TABLES_REGISTERED, EventType.AREAS_REGISTERED]
            )
            if newer and all(e.type == EventType.SHEETS_RECORDED and len(e.data["sheets"]["table"]) <= 2_000 for e in newer):
                frame = cached[1]
                for e in newer:
                    rows = from_payload(e.data["sheets"], self.election(), e.seq).rename({"state": tf.STATE})
                    counts = [c for c in rows.columns if c in frame.columns and c != tf.TABLE]
                    update = rows.select(tf.TABLE, *counts).with_columns(
                        pl.sum_horizontal([c for c in rows.columns if c.startswith(tf.CHOICE_PREFIX)])
                        .cast(pl.Int64)
                        .alias(tf.VALID)
                    )
                    frame = frame.update(update, on=tf.TABLE)
                cached = (seq, frame)
            elif not newer:
                cached = (seq, cached[1])
            else:
                cached = None
        if cached is None:
            areas, roll, sheets = self.store.frames()
            cached = (seq, table_frame(areas, roll, sheets, self.election()))
        self._frame = cached
        return cached[1]

    def status(self) -> dict[str, Any]:
        """Progress (processed, counted, electors counted) and sheets by state and by reason."""
        from escrutinio.count.results import share

        election = self.election()
        nat = self.results()[0]
        t = nat["tables"]
        total = t["total"]
        processed = total - t["pending"]
        accounted = t["counted"] + t["resolved"] + t["annulled"]
        _areas, _roll, sheets = self.store.frames()
        by_reason: dict[str, int] = {}
        for text, n in sheets.group_by("reasons").len().rows():
            for reason in text.split(",") if text else []:
                by_reason[reason] = by_reason.get(reason, 0) + n
        seq, head = self.reader.head()
        return {
            "election": election.id,
            "tables": total,
            "processed": processed,
            "processed_pct": share(processed, total),
            "counted": accounted,
            "counted_pct": share(accounted, total),
            "electors": nat["electors"],
            "electors_counted": nat["electors_in_count"],
            "electors_counted_pct": share(nat["electors_in_count"], nat["electors"]),
            "by_state": t,
            "by_reason": dict(sorted(by_reason.items())),
            "events": seq,
            "head": head,
        }

    # -- log -------------------------------------------------------------------------------

    def _docket_differences(self, state: Any) -> list[dict[str, Any]]:
        """Every case rebuilt from the log's case events against the store's docket."""
        from escrutinio.ledger.cases import rebuild_cases

        rebuilt = _docket_rows(rebuild_cases(state.case_events, state.election))
        keys = ("kind", "status", "filer", "tables", "rule", "resolution", "effect")
        stored = {r["number"]: tuple(r[k] for k in keys) for r in self.store.case_rows()}
        return [
            {"case": n, "log": rebuilt.get(n), "store": stored.get(n)}
            for n in sorted(set(rebuilt) | set(stored))
            if rebuilt.get(n) != stored.get(n)
        ]

    def export_log(self, path: Path) -> tuple[int, str]:
        n = 0
        with open(path, "wb") as out:
            for line in self.store.event_lines():
                out.write(line + b"\n")
                n += 1
        return n, self.store.head()[1]

    def verify(self, path: Path, progress: Progress = _quiet) -> VerifyReport:
        """Rebuild everything from an exported log alone; compare with the store if there is one."""
        from escrutinio.aggregation.tally import full_tally
        from escrutinio.count.results import build, national_extras
        from escrutinio.ledger.state import replay
        from escrutinio.ledger.verify import read_events

        progress("verify chain", 0, 3)
        try:
            f = open(path, "rb")  # noqa: SIM115 - closed below, after the replay
        except OSError as exc:
            raise StoreError(f"{path}: cannot read the log ({exc.strerror})") from None
        with f:
            state = replay(read_events(f))
        progress("recompute", 1, 3)
        election = state.election
        tally = full_tally(state.tables, state.sheets, state.areas, election)
        nat = build(tally.iter_rows(), state.areas.iter_rows(), election, [election.country])[0]
        nat.extra.update(national_extras(nat, election))
        differences: list[dict[str, Any]] = []
        compared = self.exists()
        if compared:
            progress("compare", 2, 3)
            stored = self.store.tally()
            if self.store.election().id != election.id:
                differences.append({"what": "election", "log": election.id, "store": self.store.election().id})
            seq, head = self.store.head()
            if head != state.head:
                differences.append({"what": "head", "log": state.head, "store": head, "store_events": seq})
            joined = tally.join(stored, on=["area", "key"], how="full", coalesce=True, suffix="_store").fill_null(0)
            for area, key, log_value, store_value in joined.filter(joined["value"] != joined["value_store"]).iter_rows():
                differences.append({"area": area, "key": key, "log": log_value, "store": store_value})
            differences += self._docket_differences(state)
            _areas, roll, sheets = self.store.frames()
            differences += _row_differences("roll", state.tables, roll)
            differences += _row_differences("sheet", state.sheets, sheets)
        progress("done", 3, 3)
        return VerifyReport(state.seq, state.head, nat.to_dict(), compared, differences)


def _row_differences(what: str, log: Any, store: Any, limit: int = 100) -> list[dict[str, Any]]:
    """Tables whose roll entry or current sheet in the store is not what the log says.

    The tallies alone would miss a table-level figure that is wrong in a way that cancels out
    in its area's sums; table results and audits read these rows.
    """
    import polars as pl

    others = [c for c in log.columns if c != "table"]
    joined = log.join(store.select(log.columns), on="table", how="full", coalesce=True, suffix="_store")
    differs = joined.filter(pl.any_horizontal([pl.col(c).ne_missing(pl.col(f"{c}_store")) for c in others]))
    return [
        {
            "table": row["table"],
            "what": what,
            "log": {c: row[c] for c in others if row[c] != row[f"{c}_store"]},
            "store": {c: row[f"{c}_store"] for c in others if row[c] != row[f"{c}_store"]},
        }
        for row in differs.sort("table").head(limit).iter_rows(named=True)
    ]


def _docket_rows(cases: Any) -> dict[str, tuple[Any, ...]]:
    from escrutinio.ledger.cases import summary

    keys = ("kind", "status", "filer", "tables", "rule", "resolution", "effect")
    return {n: tuple(summary(c)[k] for k in keys) for n, c in cases.items()}


def _within(code: str, area: str, parent: dict[str, str | None]) -> bool:
    """Whether ``code`` is ``area`` or lies below it in the geography tree."""
    node: str | None = code
    for _ in range(8):
        if node == area:
            return True
        node = parent.get(node) if node is not None else None
    return False


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
