"""Plan a load: compare a parsed file with what the store holds and list the events to append.

Nothing is written here. A plan either lists events (new areas, new tables, sheet records) or
raises an InputError naming every row it refuses, so a failed load changes nothing. Loading
the same file again plans no event at all.

Per row, in order:
1. the table must be on the roll (the first load of a store registers the roll from its file;
   later loads need ``new_tables`` to add tables), in the same area with the same electors;
2. the domain rules run (``checks.reasons_expr``); in ``reject`` mode an arithmetic error or
   ballots above electors refuses the load, in ``observe`` mode the sheet is observed;
3. a file that states a final status (ONPE's CONTABILIZADA, COMPUTADA RESUELTA, ANULADA…) is
   taken as that status, and the record says so in its ``basis``;
4. against the current sheet: same figures and state, nothing to do; same figures, new state,
   a state change; other figures, a conflict (refused, or observed as a new version). A sheet
   decided by a ruling is never overridden by a file, and a conflict stays observed until a
   ruling decides it (the same figures again are a repeat, not a state change; so are the
   figures of one of the table's earlier versions: the file before the conflict loaded again).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.domain.election import Election
from escrutinio.domain.sheet import Reason, SheetState
from escrutinio.formats.problems import MAX_PROBLEMS, ProblemList
from escrutinio.formats.sheets import LINE, REPORTED_REASON, REPORTED_STATE, REPORTED_STATUS, SheetFile
from escrutinio.intake.checks import describe, reasons_expr, state_expr
from escrutinio.ledger.events import EventType
from escrutinio.ledger.pending import PendingEvent
from escrutinio.ledger.sheets_payload import to_payload

CHUNK = 5_000
"""Sheets (or tables) per event: big enough to load fast, small enough to read."""

REJECTED_REASONS = (Reason.ARITHMETIC.value, Reason.EXCEEDS_ELECTORS.value)


class LoadMode(StrEnum):
    """What a load does with a sheet that breaks a rule or conflicts with the stored one."""

    REJECT = "reject"  # refuse the whole file, naming every such row
    OBSERVE = "observe"  # record the sheet as observed: it goes to the dispute body


class SheetAction(StrEnum):
    """What a load does with one row of the file, against the table's current sheet (the
    values are the keys of the plan's ``actions`` summary)."""

    NEW = "new"  # the table has no sheet yet
    KEPT_RULING = "kept_ruling"  # a ruling decided the sheet: the file does not override it
    UNCHANGED = "unchanged"  # same figures, same state: nothing to record
    STATE_CHANGE = "state_change"  # same figures, another state
    CONFLICT = "conflict"  # other figures: refused, or observed as a new version
    EARLIER = "earlier_version"  # a sheet in conflict given an earlier version's figures again: a repeat


RECORDED = (SheetAction.NEW, SheetAction.STATE_CHANGE, SheetAction.CONFLICT)


@dataclass
class LoadPlan:
    events: list[PendingEvent]
    summary: dict[str, Any] = field(default_factory=dict)


def start_plan(election: Election) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(areas, roll, current sheets) of a store that holds nothing yet: a first load plans on these."""
    from escrutinio.ledger.sheets_payload import current_schema
    from escrutinio.ledger.state import AREA_SCHEMA, TABLE_SCHEMA

    return pl.DataFrame(schema=AREA_SCHEMA), pl.DataFrame(schema=TABLE_SCHEMA), pl.DataFrame(schema=current_schema(election))


def in_conflict(state: str = "state", reasons: str = "reasons") -> pl.Expr:
    """A sheet recorded as a conflict: observed, for ``version_conflict``, until a ruling."""
    conflicted = pl.col(reasons).fill_null("").str.split(",").list.contains(Reason.CONFLICT.value)
    return (pl.col(state) == SheetState.OBSERVED.value) & conflicted


def tables_in_conflict(current: pl.DataFrame, parsed: SheetFile) -> list[str]:
    """The file's tables whose current sheet is a conflict: those whose earlier versions a plan
    needs (``plan_load``'s ``earlier``), few against a whole file."""
    conflicted = current.filter(in_conflict()).select("table")
    return parsed.sheets.select("table").join(conflicted, on="table", how="semi")["table"].to_list()


def plan_load(
    election: Election,
    areas: pl.DataFrame,
    roll: pl.DataFrame,
    current: pl.DataFrame,
    parsed: SheetFile,
    *,
    mode: LoadMode = LoadMode.REJECT,
    new_tables: bool = False,
    earlier: pl.DataFrame | None = None,
) -> LoadPlan:
    """The events a load of ``parsed`` appends to a store holding ``areas``, ``roll`` and the
    ``current`` sheets (see the module's steps). ``earlier``: every recorded version (``table``
    and the sheet's figures, as ``current``) of the tables of :func:`tables_in_conflict`: a row
    that gives one of them again repeats what is recorded. Without it, such a row is another
    conflict."""
    src = parsed.source
    label = parsed.labels
    sheets = parsed.sheets
    events: list[PendingEvent] = []
    summary: dict[str, Any] = {"file": src, "sha256": parsed.sha256, "rows": sheets.height}

    new_areas = parsed.areas.join(areas.select("code"), on="code", how="anti")
    if new_areas.height:
        events.append(PendingEvent(EventType.AREAS_REGISTERED, {"areas": new_areas.to_dict(as_series=False)}))
    summary["new_areas"] = new_areas.height

    # 1. The roll.
    known = sheets.join(
        roll.select("table", pl.col("area").alias("_area"), pl.col(tf.ELECTORS).alias("_el")), on="table", how="left"
    )
    unknown = known.filter(pl.col("_area").is_null())
    register_all = roll.height == 0 or new_tables
    # Every refusal is gathered (roll, rules, conflicts) and raised once, so one run of the
    # load lists all that is wrong with the file (up to MAX_PROBLEMS, then how many more).
    problems = ProblemList(src, parsed.locate)
    if unknown.height and not register_all:
        for table, line in unknown.select("table", LINE).iter_rows():
            problems.add(
                line, label[tf.TABLE], f"table {table} is not on the roll (pass new_tables to register it)", ("new_tables",)
            )
    moved = known.filter(
        pl.col("_area").is_not_null()
        & ((pl.col("_area") != pl.col(tf.DISTRICT)) | (pl.col("_el").fill_null(-1) != pl.col(tf.ELECTORS).fill_null(-1)))
    )
    for table, line, area, el, farea, fel in moved.select("table", LINE, "_area", "_el", tf.DISTRICT, tf.ELECTORS).iter_rows():
        problems.add(
            line,
            label[tf.TABLE],
            f"table {table} is on the roll in area {area} with {el} electors; this file says {farea} with {fel}",
        )
    if unknown.height and register_all:
        reg = unknown.select("table", pl.col(tf.DISTRICT).alias("area"), tf.POLLING_PLACE, tf.ELECTORS)
        for i in range(0, reg.height, CHUNK):
            part = reg.slice(i, CHUNK)
            events.append(
                PendingEvent(
                    EventType.TABLES_REGISTERED,
                    frame=part,
                    make=lambda f, src=src: {"source": src, "tables": f.to_dict(as_series=False)},
                )
            )
    summary["new_tables"] = unknown.height
    # A row stated "pending" puts its table on the roll and records no sheet: a report made
    # during the count names tables whose sheet has not arrived, and they still count in the
    # progress (tables expected) without a figure.
    no_sheet = pl.col(REPORTED_STATE).fill_null("") == SheetState.PENDING.value
    summary["no_sheet_yet"] = sheets.select(no_sheet.sum()).item()
    sheets = sheets.filter(~no_sheet)

    # 2-3. Rules and stated status.
    checked = sheets.with_columns(reasons_expr(election).alias("_rules"))
    if mode == LoadMode.REJECT:
        rejected = pl.col("_rules").list.set_intersection(list(REJECTED_REASONS)).list.len()
        bad = checked.filter(rejected > 0)
        for row in bad.head(MAX_PROBLEMS).iter_rows(named=True):
            for reason in row["_rules"]:
                if reason in REJECTED_REASONS:
                    fld, msg = describe(reason, row, election)
                    problems.add(row[LINE], label.get(fld, fld), msg)
        problems.total += bad.slice(MAX_PROBLEMS).select(rejected.sum()).item() or 0
    stated = pl.col(REPORTED_STATE).is_not_null()
    checked = checked.with_columns(
        state_expr(pl.col("_rules")).alias("state"),
        pl.when(stated).then(pl.lit("source:") + pl.col(REPORTED_STATUS)).otherwise(pl.lit("validation")).alias("basis"),
        pl.concat_list(
            pl.when(pl.col(REPORTED_REASON).is_not_null())
            .then(pl.concat_list(pl.col(REPORTED_REASON)))
            .otherwise(pl.lit([], dtype=pl.List(pl.String))),
            pl.col("_rules"),
        ).alias("_reasons"),
    )

    # 4. Against the current sheets.
    votes = [tf.choice_column(c) for c in election.contest.choice_ids]
    figures = [*tf.SHEET_COUNTS, *votes]
    cur = current.select("table", "version", "state", "reasons", "basis", *figures).rename(
        {c: f"_cur_{c}" for c in ("version", "state", "reasons", "basis", *figures)}
    )
    joined = checked.join(cur, on="table", how="left")
    has_current = pl.col("_cur_version").is_not_null()
    same_figures = pl.all_horizontal([pl.col(f) == pl.col(f"_cur_{f}") for f in figures])
    ruled = pl.col("_cur_basis").fill_null("").str.starts_with("ruling")
    # A version recorded as a conflict is observed until a ruling decides it. The file that
    # brought it, loaded again, repeats it: its rules or stated status would make it counted,
    # but that is a state change only a ruling may make, so the repeat records nothing. So does
    # the file the conflict came after: its figures are already in the table's history.
    conflicted = in_conflict("_cur_state", "_cur_reasons")
    joined = _with_earlier(joined, earlier, figures)
    joined = joined.with_columns(
        pl.when(~has_current)
        .then(pl.lit(SheetAction.NEW.value))
        .when(ruled)
        .then(pl.lit(SheetAction.KEPT_RULING.value))
        .when(same_figures & ((pl.col("state") == pl.col("_cur_state")) | conflicted))
        .then(pl.lit(SheetAction.UNCHANGED.value))
        .when(same_figures)
        .then(pl.lit(SheetAction.STATE_CHANGE.value))
        .when(conflicted & pl.col("_earlier"))
        .then(pl.lit(SheetAction.EARLIER.value))
        .otherwise(pl.lit(SheetAction.CONFLICT.value))
        .alias("_action")
    )
    conflict = pl.col("_action") == SheetAction.CONFLICT.value
    conflicts = joined.filter(conflict)
    if conflicts.height and mode == LoadMode.REJECT:
        for table, line, ver in conflicts.head(MAX_PROBLEMS).select("table", LINE, "_cur_version").iter_rows():
            problems.add(
                line,
                label[tf.TABLE],
                f"table {table} already has a sheet (version {ver}) with other figures: a conflict "
                "(load with invalid=observe to record it as an observed new version)",
                ("invalid",),
            )
        problems.total += max(conflicts.height - MAX_PROBLEMS, 0)
    problems.raise_if_any()
    joined = joined.with_columns(
        pl.when(conflict).then(pl.lit(SheetState.OBSERVED.value)).otherwise(pl.col("state")).alias("state"),
        pl.when(conflict)
        .then(pl.concat_list(pl.lit([Reason.CONFLICT.value]), pl.col("_reasons")))
        .otherwise(pl.col("_reasons"))
        .alias("_reasons"),
        pl.when(pl.col("_action") == SheetAction.NEW.value)
        .then(pl.lit(1, dtype=pl.Int64))
        .when(pl.col("_action") == SheetAction.STATE_CHANGE.value)
        .then(pl.col("_cur_version"))
        .otherwise(pl.col("_cur_version") + 1)
        .alias("version"),
    )
    records = joined.filter(pl.col("_action").is_in([a.value for a in RECORDED])).with_columns(
        pl.col("_reasons").list.unique(maintain_order=True).list.join(",").alias("reasons"),
        pl.col(LINE).alias("line"),
    )
    actions = joined["_action"].value_counts()
    summary["actions"] = dict(zip(actions["_action"].to_list(), actions["count"].to_list(), strict=True))
    states = records["state"].value_counts()
    summary["recorded_by_state"] = dict(zip(states["state"].to_list(), states["count"].to_list(), strict=True))
    source = {"file": src.rsplit("/", 1)[-1], "sha256": parsed.sha256}
    # What the source says against itself without refusing a sheet (a report's area totals):
    # listed by the load, and recorded with its first sheets (see SheetFile.observations).
    summary["observations"] = [str(o) for o in parsed.observations]
    summary["observed"] = parsed.observed
    listed = [f"{o.place.field}: {o.message}" for o in parsed.observations]
    noted = {"observations": listed, "observed": parsed.observed} if listed else {}
    for i in range(0, records.height, CHUNK):
        part = records.slice(i, CHUNK)
        about = {**source, **noted} if i == 0 else source
        events.append(
            PendingEvent(
                EventType.SHEETS_RECORDED,
                frame=part,
                make=lambda f, about=about: {"source": about, "sheets": to_payload(f, election)},
            )
        )
    return LoadPlan(events, summary)


def _with_earlier(joined: pl.DataFrame, earlier: pl.DataFrame | None, figures: list[str]) -> pl.DataFrame:
    """``joined`` with ``_earlier``: whether the row's figures are those of a recorded version
    of its table (one of ``earlier``)."""
    if earlier is None or earlier.height == 0:
        return joined.with_columns(pl.lit(False).alias("_earlier"))
    known = (
        earlier.select("table", *(pl.col(f).cast(joined.schema[f]) for f in figures))
        .unique()
        .with_columns(pl.lit(True).alias("_earlier"))
    )
    return joined.join(known, on=["table", *figures], how="left", nulls_equal=True, maintain_order="left").with_columns(
        pl.col("_earlier").fill_null(False)
    )
