"""Audit writes when several people act at once, on SQLite and PostgreSQL.

Two clerks recording the same entry at the same moment used to both land, and from then on every
audit command failed ("entry 1 of table ... is already recorded") on a log that cannot be changed.
Now each append states the head it was decided on and carries the entry's idempotency key: one of
the two lands, the other is told it is already recorded (same figures) or refused (other figures),
and a duplicate left in an older log is set aside and reported instead of breaking the audit.
"""

from __future__ import annotations

import multiprocessing
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest
from tests.integration.audit.test_audit_workflow_service import SEED, load

from escrutinio.app import Session
from escrutinio.audit.entries import HandCountEntry
from escrutinio.audit.kinds import AuditMethod
from escrutinio.audit.service import AuditService, Step
from escrutinio.domain.errors import EscrutinioError, RuleError
from escrutinio.ledger.events import EventType
from escrutinio.ledger.pending import PendingEvent

RACES = 6
"""Entries raced on per scenario (each by two processes at once)."""


@pytest.fixture
def drawn(db_url: str, tmp_path: Path) -> str:
    """A store with a MACRO audit planned, seeded and drawn (30 draws of 600 tables)."""
    with Session(load(db_url, tmp_path), actor="auditor") as session:
        session.audit.plan(Fraction(1, 20), method=AuditMethod.MACRO)
        session.audit.seed(SEED)
        session.audit.draw()
    return db_url


def _sheet_count(service: AuditService, table: str, shift: int = 0) -> tuple[dict[str, int], int]:
    batches = service.state().manifest.batches  # type: ignore[union-attr]
    i = batches.index_of(table)
    won, lost, ballots = int(batches.winner_votes[i]), int(batches.loser_votes[i]), int(batches.ballots[i])
    return {"PL": won - shift, "FP": lost, "other": ballots - won - lost + shift}, ballots


def _clerk(url: str, name: str, shift: int, tasks: list[tuple[str, int]], barrier: Any, results: Any) -> None:
    """One process: for each entry, wait for the other clerk, then record it at the same moment."""
    with Session(url, actor=name) as session:
        service = AuditService(session)
        for table, entry in tasks:
            counts, ballots = _sheet_count(service, table, shift)
            barrier.wait(timeout=60)
            try:
                done = service.record(HandCountEntry(table, entry, counts, ballots, name))
                outcome = "already" if done["already_recorded"] else "recorded"
            except RuleError as error:
                outcome = f"refused: {error}"
            except EscrutinioError as error:  # the store changed on every try: one retry line
                outcome = f"retry: {error}"
            results.put((name, table, entry, outcome))


def _race(url: str, tasks: list[tuple[str, int]], shifts: tuple[int, int]) -> list[tuple[str, str, int, str]]:
    context = multiprocessing.get_context("fork")
    barrier, results = context.Barrier(2), context.Queue()
    clerks = [
        context.Process(target=_clerk, args=(url, name, shift, tasks, barrier, results))
        for name, shift in zip(("ana", "bob"), shifts, strict=True)
    ]
    for clerk in clerks:
        clerk.start()
    outcomes = [results.get(timeout=300) for _ in range(2 * len(tasks))]
    for clerk in clerks:
        clerk.join(timeout=60)
        assert clerk.exitcode == 0
    return outcomes


def _entries_in_log(url: str) -> list[tuple[str, int]]:
    with Session(url) as session:
        return [(e.data["table"], e.data["entry"]) for e in session.store.events_of_type(EventType.AUDIT_HAND_COUNT)]


@pytest.mark.parametrize("shifts", [(0, 0), (0, 1)], ids=["same figures", "other figures"])
def test_two_processes_recording_the_same_entry_at_once_write_it_once(drawn: str, shifts: tuple[int, int]) -> None:
    with Session(drawn) as session:
        tables = AuditService(session).state().unsettled_tables()[:RACES]
    outcomes = _race(drawn, [(t, 1) for t in tables], shifts)
    for table in tables:
        mine = sorted(o for _, t, _, o in outcomes if t == table)
        assert len(mine) == 2 and sum(o == "recorded" for o in mine) == 1, mine
        other = next(o for o in mine if o != "recorded")
        if shifts == (0, 0):
            assert other == "already" or (other.startswith("retry: ") and other.endswith("retry")), other
        else:
            assert "already recorded with other figures: nothing was written" in other or other.startswith("retry: "), other
    assert sorted(_entries_in_log(drawn)) == sorted((t, 1) for t in tables)  # nothing twice
    with Session(drawn) as session:  # and the audit goes on
        status = AuditService(session).status()
        assert status["ignored_events"] == [] and sum(r["status"] == "awaiting_second_entry" for r in status["tables"]) == RACES


def test_an_entry_decided_on_a_stale_head_is_decided_again(drawn: str) -> None:
    """Another clerk's entry lands between reading the record and writing: the append is refused
    (StaleState), the action is decided again, and then finds the entry already there."""
    with Session(drawn, actor="ana") as mine, Session(drawn, actor="bob") as theirs:
        service, other = AuditService(mine), AuditService(theirs)
        table = service.state().unsettled_tables()[0]
        counts, ballots = _sheet_count(service, table)
        entry = HandCountEntry(table, 1, counts, ballots, "ana")
        decisions = []

        def decide(folded: Any) -> Step:
            decisions.append(folded.state.entries.get(table, {}).get(1))
            if len(decisions) == 1:  # the other clerk writes after this head was read
                other.record(HandCountEntry(table, 1, counts, ballots, "bob"))
            if folded.state.entries.get(table, {}).get(1) is not None:
                return Step([])
            return Step([entry.payload()], [entry.key(folded.plan_seq)])

        assert service._write(decide) == []
        assert decisions[0] is None and decisions[1] is not None and decisions[1].by == "bob"
        assert service.record(entry)["already_recorded"]
    assert _entries_in_log(drawn) == [(table, 1)]


def test_a_duplicate_left_in_an_older_log_is_set_aside_and_reported(drawn: str) -> None:
    """Before writes were guarded, two racing entries could both land; such a log still folds."""
    with Session(drawn, actor="old version") as session:
        service = AuditService(session)
        table = service.state().unsettled_tables()[0]
        counts, ballots = _sheet_count(service, table)
        payload = HandCountEntry(table, 1, counts, ballots, "ana").payload()
        data = {k: v for k, v in payload.items() if k != "type"}
        other = {**counts, "PL": counts["PL"] - 1, "other": counts["other"] + 1}
        twice = [PendingEvent(EventType.AUDIT_HAND_COUNT, d) for d in (data, data | {"counts": other})]
        written = session.store.append(twice, "old")
    with Session(drawn, actor="auditor") as session:
        service = AuditService(session)
        status = service.status()
        assert status["ignored_events"] == [
            f"event {written[1].seq} (audit.hand_count) set aside: entry 1 of table {table} is already recorded "
            "(resolve a mistake instead); the first entry stands"
        ]
        assert service.record(HandCountEntry(table, 2, counts, ballots, "bob"))["status"] == "agreed"
