"""The two ways the store projects sheets into the area tallies agree to the vote.

A write of a few sheets (a group commit of clerks' entries, a ruling) is projected in plain
Python (``tally.sheet_figures`` added into each area above the table); a file's sheets, and
runs above ``projection.SMALL_RUN``, with polars (``tally.sheet_contribution`` and
``roll_up``). Checked on random sheets (every state, both rules for annulled ballots, sheets
final at source despite a rule) and on random groups of writes to a real store, corrections
and annulments of earlier sheets included (some held in a file's chunk, some as rows): the
same tallies and the same ``sheets`` rows whichever path wrote them, and the tallies equal
to the ones recomputed from scratch (which also holds what a group commit reads with the
write lock, ``store.read_ahead``, to what it would have read as it went).
"""

from __future__ import annotations

import dataclasses
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.conftest import fresh_pg_database
from tests.onpe_sample import Row, write

from escrutinio.aggregation import tally
from escrutinio.aggregation.keys import DESPITE_RULES
from escrutinio.app import Session
from escrutinio.domain import table_frame as tf
from escrutinio.domain.election import AnnulledBallots, Election
from escrutinio.formats.definition import load_definition
from escrutinio.ledger.events import EventType
from escrutinio.ledger.pending import PendingEvent
from escrutinio.store import projection
from escrutinio.store.engine import resolve_url
from escrutinio.store.group_commit import GroupRequest
from escrutinio.store.store import Store

ELECTION, _ = load_definition("peru-2021-runoff")
CHOICES = ELECTION.contest.choice_ids
STATES = ["counted", "resolved", "observed", "annulled", "not_installed"]
BASES = ["source:CONTABILIZADA", "validation", "double_entry", "ruling:C-1", None]
REASONS = [*DESPITE_RULES, "entries_differ", "illegible"]
count = st.none() | st.integers(0, 400)

sheets = st.fixed_dictionaries(
    {
        "state": st.sampled_from(STATES),
        "basis": st.sampled_from(BASES),
        "reasons": st.lists(st.sampled_from(REASONS), max_size=3, unique=True).map(",".join),
        **{k: count for k in tf.SHEET_COUNTS},
        **{tf.choice_column(c): count for c in CHOICES},
    }
)


def _election(annulled: AnnulledBallots) -> Election:
    return dataclasses.replace(ELECTION, rules=dataclasses.replace(ELECTION.rules, annulled_ballots=annulled))


@given(
    placed=st.lists(st.tuples(sheets, st.integers(0, 5), st.none() | st.integers(0, 600)), max_size=12),
    annulled=st.sampled_from(list(AnnulledBallots)),
)
def test_one_sheet_s_figures_are_its_row_of_the_frame(placed: list, annulled: AnnulledBallots) -> None:
    """Sheets in areas of a small tree (a nation, two regions, four districts): the plain sums
    into every area above each sheet equal polars' roll-up of the contributions frame."""
    election = _election(annulled)
    codes = ["R1", "R2", "D1", "D2", "D3", "D4"]
    parents = [None, None, "R1", "R1", "R2", "R2"]
    areas = pl.DataFrame({"code": codes, "level": [1, 1, 2, 2, 2, 2], "kind": ["r"] * 6, "name": codes, "parent": parents})
    lineage = tally.lineage(areas, election.country)
    above = tally.ancestors(lineage)
    plain: tally.Changes = {}
    for sheet, where, electors in placed:
        tally.add_figures(plain, tally.sheet_figures(sheet, electors, election), above[codes[where]])
    rows = [{**s, "area": codes[w], tf.ELECTORS: e} for s, w, e in placed]
    schema = {**{k: pl.Int64 for k in [*tf.SHEET_COUNTS, *tally.vote_keys(election), tf.ELECTORS]}}
    schema |= {"state": pl.String, "basis": pl.String, "reasons": pl.String, "area": pl.String}
    frame = pl.DataFrame(rows, schema=schema)
    framed = tally.as_changes(tally.roll_up(tally.sheet_contribution(frame, election), lineage))
    assert tally.nonzero(plain) == tally.nonzero(framed)


# -- the store -------------------------------------------------------------------------------

TABLES = [f"{i:06d}" for i in range(1, 9)]
OFF_ROLL = "000099"
LOADED = TABLES[:3]
"""Tables whose first sheet comes from a file (a chunk); the others get theirs by events."""

versioned = st.tuples(st.sampled_from([*TABLES, OFF_ROLL]), st.integers(1, 3), sheets)
# A group: requests of one sheet event each, some after a note, which ends a run of sheet events
# (so a table sheeted in one run is read again, after this write changed its rows, by the next).
groups = st.lists(
    st.lists(st.tuples(st.lists(versioned, min_size=1, max_size=3), st.booleans()), min_size=1, max_size=5),
    min_size=1,
    max_size=4,
)


def _store(engine: str, folder: Path) -> Store:
    """A store whose roll holds TABLES in two districts, the first three with a file's sheets."""
    rows = [Row(t, ubigeo="140137" if i % 2 else "240106") for i, t in enumerate(TABLES)]
    roll = write(folder / f"roll-{uuid.uuid4().hex}.csv", rows)
    db = str(folder / f"{uuid.uuid4().hex}.db") if engine == "sqlite" else fresh_pg_database()
    with Session(db, "tester") as session:
        session.intake.register_roll(roll, "peru-2021-runoff")
        session.count.load(write(folder / f"file-{uuid.uuid4().hex}.csv", [r for r in rows if r.table in LOADED]))
    return Store.open(resolve_url(db))


def _event(sheets_: list[tuple[str, int, dict[str, Any]]]) -> PendingEvent:
    """A ``sheets.recorded`` event of these (table, version, sheet), as a ruling writes one."""
    columns: dict[str, Any] = {"table": [t for t, _, _ in sheets_], "version": [v for _, v, _ in sheets_]}
    columns |= {"state": [s["state"] for _, _, s in sheets_], "reasons": [s["reasons"] for _, _, s in sheets_]}
    columns |= {"basis": [s["basis"] or "ruling" for _, _, s in sheets_], "line": [None] * len(sheets_)}
    columns |= {name: [s[name] or 0 for _, _, s in sheets_] for name in tf.SHEET_COUNTS}
    columns["votes"] = {c: [s[tf.choice_column(c)] or 0 for _, _, s in sheets_] for c in CHOICES}
    return PendingEvent(EventType.SHEETS_RECORDED, {"sheets": columns})


def _note() -> PendingEvent:
    return PendingEvent("test.noted", {"text": "a run of sheet events ends here"})


@contextmanager
def _small_run(limit: int) -> Iterator[None]:
    held = projection.SMALL_RUN
    projection.SMALL_RUN = limit
    try:
        yield
    finally:
        projection.SMALL_RUN = held


def _state(store: Store) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """Every area's tally and every ``sheets`` row but its event number (the logs' times differ)."""
    figures = sorted(store.tally().rows())
    with store.engine.connect() as conn:
        rows = conn.exec_driver_sql("SELECT * FROM sheets ORDER BY table_id, version, current").fetchall()
    return figures, [tuple(r) for r in rows]


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(writes=groups)
def test_the_plain_path_writes_what_the_frame_path_writes(engine: str, writes: list) -> None:
    with tempfile.TemporaryDirectory() as folder:
        plain, framed = _store(engine, Path(folder)), _store(engine, Path(folder))
        try:
            for group in writes:
                requests = [GroupRequest([*([_note()] if noted else []), _event(s)], "judge", None, []) for s, noted in group]
                with _small_run(projection.SMALL_RUN):
                    first = plain.write_group(requests)
                with _small_run(0):
                    second = framed.write_group(requests)
                assert [type(r).__name__ for r in first] == [type(r).__name__ for r in second]
            assert _state(plain) == _state(framed)
            areas, roll, current = plain.frames()
            recomputed = tally.as_changes(tally.full_tally(roll, current, areas, plain.election()))
            assert tally.nonzero(tally.as_changes(plain.tally())) == tally.nonzero(recomputed)
        finally:
            plain.close()
            framed.close()
