"""Rebuild cases from their events by running the claim transitions again.

The same function serves the docket (one case at a time, from the store's index of case
events) and anyone replaying an exported log: a case is what its events make of it.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from datetime import datetime
from typing import Any

from escrutinio.domain.claims import Case, admit, appeal, decide_appeal, finalise, open_case, refuse, rule
from escrutinio.domain.election import Election
from escrutinio.domain.errors import RuleError
from escrutinio.domain.sheet import TallySheet
from escrutinio.ledger.claims_codec import filing_from, refusal_from, ruling_from
from escrutinio.ledger.events import Event, EventType


def checked_against(
    case: Case | None, electors: Mapping[str, int | None], sheet_of: Callable[[str], TallySheet | None]
) -> dict[str, Any]:
    """What a ruling on ``case`` is checked against (:func:`apply_case_event`'s ``electors`` and
    ``sheet``): for a one-table case, the table's electors whether or not it has a sheet yet
    (corrected figures above the roll are refused either way) and its current sheet when it has
    one (``sheet_of``: None without). One rule for the application recording a ruling
    (``disputes.service``) and for the replay judging a record (``ledger.semantic``, which
    ``verify`` runs), so a log written by another program is judged as this one would have."""
    if case is None or len(case.tables) != 1:
        return {}
    table = case.tables[0]
    sheet = sheet_of(table)
    return {"electors": electors.get(table)} if sheet is None else {"electors": electors.get(table), "sheet": sheet}


def apply_case_event(
    case: Case | None, event: Event, election: Election, *, electors: int | None = None, sheet: TallySheet | None = None
) -> Case:
    """One case event applied to the case it concerns (None before ``case.opened``).

    ``electors`` and ``sheet`` (a one-table case's roll entry and current sheet) let a ruling's
    corrected figures be checked as they were when it was recorded (``ledger.semantic``)."""
    d = event.data
    at = datetime.fromisoformat(d["at"])
    if event.type == EventType.CASE_OPENED:
        return open_case(d["number"], filing_from(d["filing"]), election)
    if case is None:
        raise RuleError(f"event {event.seq}: {event.type} for case {d['number']}, which was never opened")
    if event.type == EventType.CASE_ADMITTED:
        return admit(case, at)
    if event.type == EventType.CASE_REFUSED:
        return refuse(case, refusal_from(d["refusal"]), ruling_from(d["ruling"]), at)
    if event.type == EventType.CASE_RULED:
        return rule(case, ruling_from(d["ruling"]), at, electors=electors, sheet=sheet)
    if event.type == EventType.CASE_APPEALED:
        return appeal(case, filing_from(d["filing"]), at)
    if event.type == EventType.CASE_APPEAL_DECIDED:
        return decide_appeal(case, ruling_from(d["ruling"]), at, electors=electors, sheet=sheet)
    if event.type == EventType.CASE_FINALISED:
        return finalise(case, at)
    raise ValueError(f"event {event.seq}: {event.type} is not a case event")


def rebuild_cases(events: Iterable[Event], election: Election) -> dict[str, Case]:
    """Every case the events speak of, as they leave it."""
    cases: dict[str, Case] = {}
    for event in events:
        if event.type in EventType.CASE_EVENTS:
            number = event.data["number"]
            cases[number] = apply_case_event(cases.get(number), event, election)
    return cases


DOCKET_COLUMNS = (
    "number",
    "kind",
    "status",
    "filer",
    "tables",
    "filed_at",
    "grounds",
    "rule",
    "resolution",
    "effect",
    "appeal_until",
)
"""The columns of a docket row, as :func:`summary` makes them (the store adds ``updated_seq``)."""


def summary(case: Case) -> dict[str, Any]:
    """The docket row of a case (what the store's ``cases`` table holds)."""
    effect = case.appeal_ruling.effect if case.appeal_ruling else case.ruling.effect if case.ruling else None
    until = case.appeal_until
    return {
        "number": case.number,
        "kind": case.kind.value,
        "status": case.status.value,
        "filer": case.filer,
        "tables": ",".join(case.tables),
        "filed_at": case.filing.filed_at.isoformat(),
        "grounds": case.filing.grounds,
        "rule": case.refusal.rule if case.refusal else None,
        "resolution": (case.appeal_ruling or case.ruling).resolution if (case.appeal_ruling or case.ruling) else None,
        "effect": effect.kind.value if effect else None,
        "appeal_until": until.isoformat() if until else None,
    }
