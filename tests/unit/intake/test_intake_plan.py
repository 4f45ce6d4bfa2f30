"""plan_load on its own: a parsed file and the store's frames in, events or every refusal out.

No store here: the state a plan leads to is folded from its own events, the way replay folds
them, so each rule of a load (roll, domain rules, stated status, versions) is checked directly.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest
from tests.onpe_sample import Row, changed, sample_rows, write

from escrutinio.domain.errors import InputError
from escrutinio.formats.definition import load_definition
from escrutinio.formats.onpe import read_onpe
from escrutinio.formats.sheets import SheetFile
from escrutinio.intake.plan import LoadMode, LoadPlan, SheetAction, plan_load, start_plan
from escrutinio.ledger.events import EventType
from escrutinio.ledger.sheets_payload import current_schema, from_payload
from escrutinio.ledger.state import AREA_SCHEMA, TABLE_SCHEMA

ELECTION, _ = load_definition("peru-2021-runoff")
Frames = tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]


def parsed(tmp_path: Path, rows: list[Row] | None = None) -> SheetFile:
    return read_onpe(write(tmp_path / "mesas.csv", rows), ELECTION)


def fold(frames: Frames, plan: LoadPlan) -> Frames:
    """The store's (areas, roll, current sheets) once the plan's events are recorded."""
    areas, roll, current = frames
    for seq, event in enumerate(plan.events, start=1):
        data = event.payload()
        if event.type == EventType.AREAS_REGISTERED:
            areas = pl.concat([areas, pl.DataFrame(data["areas"], schema=AREA_SCHEMA)])
        elif event.type == EventType.TABLES_REGISTERED:
            tables = {**data["tables"], "seq": [seq] * len(data["tables"]["table"])}
            roll = pl.concat([roll, pl.DataFrame(tables, schema=TABLE_SCHEMA)])
        elif event.type == EventType.SHEETS_RECORDED:
            new = from_payload(data["sheets"], ELECTION, seq)
            current = pl.concat([current.join(new.select("table"), on="table", how="anti"), new])
    return areas, roll, current


@pytest.fixture
def loaded(tmp_path: Path) -> Frames:
    """The frames after a first load of the sample file."""
    return fold(start_plan(ELECTION), plan_load(ELECTION, *start_plan(ELECTION), parsed(tmp_path)))


def refusal(tmp_path: Path, frames: Frames, rows: list[Row], **options: object) -> list[str]:
    with pytest.raises(InputError) as err:
        plan_load(ELECTION, *frames, parsed(tmp_path, rows), **options)  # type: ignore[arg-type]
    return str(err.value).splitlines()


def test_a_first_load_registers_areas_and_tables_and_records_each_sheet_as_its_file_states(tmp_path: Path) -> None:
    plan = plan_load(ELECTION, *start_plan(ELECTION), parsed(tmp_path))
    assert [e.type for e in plan.events] == [EventType.AREAS_REGISTERED, EventType.TABLES_REGISTERED, EventType.SHEETS_RECORDED]
    assert plan.summary["new_tables"] == 10
    assert plan.summary["new_areas"] == 3 + 3 + 4  # departments, provinces, districts (Lima, Callao, Europe)
    assert plan.summary["actions"] == {SheetAction.NEW: 10}
    _, roll, current = fold(start_plan(ELECTION), plan)
    assert roll.sort("table")["area"].to_list()[:3] == ["140137", "140137", "140101"]
    state = dict(current.select("table", "state").iter_rows())
    assert state["000001"] == "counted"
    assert state["000005"] == "resolved"
    assert state["000006"] == "annulled"
    assert state["000007"] == "observed"
    assert state["000008"] == "not_installed"
    basis = dict(current.select("table", "basis").iter_rows())
    assert basis["000007"] == "source:EN PROCESO"
    reasons = dict(current.select("table", "reasons").iter_rows())
    assert reasons["000007"] == "at_dispute_body"


def test_the_same_file_again_plans_nothing(tmp_path: Path, loaded: Frames) -> None:
    plan = plan_load(ELECTION, *loaded, parsed(tmp_path))
    assert plan.events == []
    assert plan.summary["actions"] == {SheetAction.UNCHANGED: 10}


def test_other_figures_for_a_recorded_sheet_are_a_conflict(tmp_path: Path, loaded: Frames) -> None:
    rows = changed(sample_rows(), "000004", p1=121, p2=109)
    lines = refusal(tmp_path, loaded, rows)
    assert len(lines) == 1
    assert "mesas.csv:5:MESA_DE_VOTACION: table 000004 already has a sheet (version 1) with other figures" in lines[0]
    assert lines[0].endswith("(load with invalid=observe to record it as an observed new version)")  # a setting, no option
    plan = plan_load(ELECTION, *loaded, parsed(tmp_path, rows), mode=LoadMode.OBSERVE)
    assert plan.summary["actions"][SheetAction.CONFLICT] == 1
    _, _, current = fold(loaded, plan)
    row = current.filter(pl.col("table") == "000004").row(0, named=True)
    assert (row["version"], row["state"], row["reasons"]) == (2, "observed", "version_conflict")


def test_the_same_figures_with_another_status_change_the_state_not_the_version(tmp_path: Path, loaded: Frames) -> None:
    plan = plan_load(ELECTION, *loaded, parsed(tmp_path, changed(sample_rows(), "000007", status="COMPUTADA RESUELTA")))
    assert plan.summary["actions"][SheetAction.STATE_CHANGE] == 1
    _, _, current = fold(loaded, plan)
    assert current.filter(pl.col("table") == "000007").select("version", "state").row(0) == (1, "resolved")


def test_a_sheet_decided_by_a_ruling_is_not_overridden_by_a_file(tmp_path: Path, loaded: Frames) -> None:
    areas, roll, current = loaded
    ruled = current.with_columns(
        pl.when(pl.col("table") == "000007").then(pl.lit("ruling:JEE-1")).otherwise(pl.col("basis")).alias("basis")
    )
    plan = plan_load(ELECTION, areas, roll, ruled, parsed(tmp_path, changed(sample_rows(), "000007", p1=101, p2=99)))
    assert plan.events == []
    assert plan.summary["actions"][SheetAction.KEPT_RULING] == 1


def test_a_table_not_on_the_roll_needs_new_tables(tmp_path: Path, loaded: Frames) -> None:
    rows = [*sample_rows(), Row("000011", cast=10, p1=5, p2=5, null=0)]
    assert refusal(tmp_path, loaded, rows) == [
        f"{tmp_path / 'mesas.csv'}:12:MESA_DE_VOTACION: table 000011 is not on the roll (pass new_tables to register it)"
    ]
    plan = plan_load(ELECTION, *loaded, parsed(tmp_path, rows), new_tables=True)
    assert [e.type for e in plan.events] == [EventType.TABLES_REGISTERED, EventType.SHEETS_RECORDED]


def test_every_refusal_is_listed_at_once_in_file_order(tmp_path: Path, loaded: Frames) -> None:
    rows = changed(sample_rows(), "000002", p1=101)  # arithmetic (101 + 90 + 2 + 8 != 200), and another version
    rows = changed(rows, "000003", electors=151)  # the roll says 300
    rows = changed(rows, "000004", p1=121, p2=109)  # another version
    rows = [*rows, Row("000011", cast=10, p1=5, p2=5, null=0)]  # not on the roll
    lines = refusal(tmp_path, loaded, rows)
    assert [line.split(":", 3)[1:3] for line in lines] == [
        ["3", "N_CVAS"],
        ["3", "MESA_DE_VOTACION"],
        ["4", "MESA_DE_VOTACION"],
        ["5", "MESA_DE_VOTACION"],
        ["12", "MESA_DE_VOTACION"],
    ]
    assert "votes 191 + blank 2 + null 8 + challenged 0 = 201, but ballots cast = 200" in lines[0]
    assert "table 000002 already has a sheet (version 1) with other figures" in lines[1]
    assert "on the roll in area 140101 with 300 electors; this file says 140101 with 151" in lines[2]


def test_a_hundred_problems_are_listed_then_how_many_more(tmp_path: Path) -> None:
    rows = [Row(f"{n:06d}", cast=10, p1=5, p2=4, null=0) for n in range(1, 151)]  # each sums to 9, not 10
    lines = refusal(tmp_path, start_plan(ELECTION), rows)
    assert len(lines) == 101
    assert lines[0].endswith("(arithmetic error)") and ":2:N_CVAS:" in lines[0]
    assert lines[-1] == "... and 50 more problems"


def test_in_observe_mode_a_sheet_that_breaks_a_rule_is_observed_unless_its_file_states_otherwise(tmp_path: Path) -> None:
    rows = changed(sample_rows(), "000002", p1=101, status="EN PROCESO")
    rows = changed(rows, "000003", p1=51)  # CONTABILIZADA at source despite the arithmetic error
    plan = plan_load(ELECTION, *start_plan(ELECTION), parsed(tmp_path, rows), mode="observe")  # type: ignore[arg-type]
    _, _, current = fold(start_plan(ELECTION), plan)
    got = {t: (s, r) for t, s, r in current.select("table", "state", "reasons").iter_rows()}
    assert got["000002"] == ("observed", "at_dispute_body,arithmetic_error")
    assert got["000003"] == ("counted", "arithmetic_error")


def test_events_are_cut_in_chunks(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import escrutinio.intake.plan as plan_module

    monkeypatch.setattr(plan_module, "CHUNK", 4)
    plan = plan_load(ELECTION, *start_plan(ELECTION), parsed(tmp_path))
    sizes = [e.frame.height for e in plan.events if e.type == EventType.SHEETS_RECORDED and e.frame is not None]
    assert sizes == [4, 4, 2]


def test_start_plan_is_an_empty_store(tmp_path: Path) -> None:
    areas, roll, current = start_plan(ELECTION)
    assert (areas.height, roll.height, current.height) == (0, 0, 0)
    assert current.schema == pl.Schema(current_schema(ELECTION))


def test_a_refusal_mentions_the_settings_it_names(tmp_path: Path, loaded: Frames) -> None:
    """``new_tables`` and ``invalid`` are named as a request names them and carried as the error's
    ``mentions``, for each skin to word (the CLI ``--new-tables``: ``test_error_fields.py``)."""
    rows = [*changed(sample_rows(), "000004", p1=121, p2=109), Row("000011", cast=10, p1=5, p2=5, null=0)]
    with pytest.raises(InputError) as err:
        plan_load(ELECTION, *loaded, parsed(tmp_path, rows))
    assert set(err.value.mentions) == {"invalid", "new_tables"} and "--" not in str(err.value)
