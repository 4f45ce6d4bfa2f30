"""Double entry of tally sheets, as Mexico's PREP does it: two clerks key the same sheet.

Why: a keying slip (a 7 read as a 1) is the commonest error of election night, and a single
clerk's slip goes straight into the results. With two independent entries a slip shows up
as a disagreement instead: the sheet is processed (counted, or observed by the validation
rules) only when both entries agree; when they differ it goes to the dispute body as an
observation naming the fields that differ, and nothing unverified is counted.

The decision is made here on a table's entries so far; the events it returns are appended
by the caller. The store refuses an entry number recorded meanwhile by another writer
(``StaleState``), so two clerks racing on one table are decided one after the other.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from escrutinio.domain import table_frame as tf
from escrutinio.domain.election import Election
from escrutinio.domain.errors import RuleError
from escrutinio.domain.ids import TableId
from escrutinio.domain.rows import Rows
from escrutinio.domain.sheet import MAX_COUNT, Reason, SheetState, TallySheet
from escrutinio.domain.validation import observations
from escrutinio.ledger import entry_seal
from escrutinio.ledger.actors import same_person
from escrutinio.ledger.events import Event, EventType
from escrutinio.ledger.pending import PendingEvent

BASIS = "double_entry"
"""The ``basis`` of a sheet recorded by double entry (a file's is ``source:…`` or ``validation``)."""


class EntryRefused(RuleError):
    """An entry the double entry does not take (``rule`` names which: ``same_clerk``,
    ``entries_complete``, ``has_sheet``); ``field`` the part of the request it is about: the
    clerk's credential for ``same_clerk`` (the same figures from another clerk are taken), the
    table for the others."""

    def __init__(self, rule: str, message: str) -> None:
        self.rule = rule
        super().__init__(message, field="authorization" if rule == "same_clerk" else "table")


class BadFigure(RuleError):
    """A keyed figure the contest does not take; ``field`` names it (``votes.PL``, ``cast``)."""

    def __init__(self, field: str, message: str) -> None:
        self.field = field
        super().__init__(f"{field}: {message}")


class EntryOutcome(StrEnum):
    """Where a table's double entry stands after an entry (the public, scriptable names)."""

    AWAITING = "awaiting_second_entry"
    PROCESSED = "processed"
    MISMATCH = "mismatch"


@dataclass(frozen=True)
class EntryDecision:
    """What one entry does: its number, the outcome, the fields the two entries disagree on,
    and the events to append (the entry, then the sheet it processes, if any)."""

    entry: int
    outcome: EntryOutcome
    differs: list[str]
    sheet_state: SheetState | None
    reasons: list[str]
    events: list[PendingEvent]


def sheet_data(sheet: TallySheet, election: Election) -> dict[str, Any]:
    """A keyed sheet as event data: votes by choice id, then the other lines."""
    votes = dict(zip(election.contest.choice_ids, sheet.votes, strict=True))
    return {"votes": votes, "blank": sheet.blank, "null": sheet.null, "challenged": sheet.challenged, "cast": sheet.cast}


def sheet_of(table: str, data: dict[str, Any], election: Election) -> TallySheet:
    """The keyed sheet an entry event carries."""
    votes = tuple(int(data["votes"][c]) for c in election.contest.choice_ids)
    return TallySheet(table, votes, data["blank"], data["null"], data["challenged"], data["cast"])  # type: ignore[arg-type]


def keyed_sheet(
    table: str, votes: Mapping[str, int], blank: int, null: int, challenged: int, cast: int, election: Election
) -> TallySheet:
    """A sheet as a clerk keys it (votes by choice id), checked against the contest: every
    choice once, every figure a non-negative integer (the error names the field)."""
    choices = election.contest.choice_ids
    unknown = sorted(set(votes) - set(choices))
    if unknown:
        raise BadFigure(f"votes.{unknown[0]}", f"not a choice of the contest ({', '.join(choices)})")
    missing = [c for c in choices if c not in votes]
    if missing:
        raise BadFigure(f"votes.{missing[0]}", f"missing (the sheet has a line for every choice: {', '.join(choices)})")
    named = {**{f"votes.{c}": votes[c] for c in choices}, "blank": blank, "null": null, "challenged": challenged, "cast": cast}
    for name, value in named.items():
        if isinstance(value, bool) or not isinstance(value, int) or value < 0:
            raise BadFigure(name, f"{value!r} is not a count (a non-negative integer)")
        if value > MAX_COUNT:
            raise BadFigure(name, f"{value} is too large for one table (at most {MAX_COUNT:,})")
    return TallySheet(TableId(table), tuple(votes[c] for c in choices), blank, null, challenged, cast)


def differing_fields(first: TallySheet, second: TallySheet, election: Election) -> list[str]:
    """The fields two keyings of one sheet disagree on (``votes.<choice>``, ``blank``, ...)."""
    names = [f"votes.{c}" for c in election.contest.choice_ids] + ["blank", "null", "challenged", "cast"]
    return [n for n, a, b in zip(names, first.counts, second.counts, strict=True) if a != b]


GROUNDS_LENGTH = 64
"""The longest grounds a case holds (the docket's column)."""


def mismatch_grounds(differs: Sequence[str]) -> str:
    """The grounds of the observation a mismatch opens: the reason, then the fields the two
    entries disagree on (``entries_differ: votes.PL, blank, cast``), so that the docket, the
    case's page and its CSV say what the body must look at; as many as fit the docket's
    column, then how many more (the entry event lists them all)."""
    head = f"{Reason.ENTRIES_DIFFER.value}: "
    for shown in range(len(differs), 0, -1):
        rest = len(differs) - shown
        text = head + ", ".join(differs[:shown]) + (f" +{rest} more" if rest else "")
        if len(text) <= GROUNDS_LENGTH:
            return text
    return Reason.ENTRIES_DIFFER.value


SEALED = ("sheet",)
"""The parts of a first entry no read shows while the table awaits its second: its figures
(an older log's first entry carried them; a newer one's carries a commitment)."""

HIDDEN = ("table", "first_sheet", "first_salt", entry_seal.SEALED)
"""What an entry's row leaves out: the table (the read is of one), the second entry's reveal
(shown as the first entry's ``sheet``), and the kept figures if the event was read with them."""


ENTRY_COLUMNS = ("event", "type", "at", "clerk")
"""The columns every row of a table's intake history starts with (the event's data follows)."""


def shown_entries(events: Sequence[Event]) -> Rows:
    """A table's intake events (entries and scans, oldest first) as reads show them: event,
    type, time, clerk, then the event's data but the table.

    Why: double entry is worth something only if the second clerk keys the paper, not the
    first clerk's figures. While the table awaits its second entry, the first entry is shown
    by who keyed it and when, never by its figures (no read, API, page, CSV or CLI, shows
    them); once both are in, agreed or not, both are shown whole, as the history must."""
    second = next((e for e in events if e.type == EventType.SHEET_ENTERED and e.data.get("entry") == 2), None)
    out = []
    for e in events:
        row: dict[str, Any] = {"event": e.seq, "type": e.type, "at": e.at, "clerk": e.actor}
        hide = () if second is not None or e.type != EventType.SHEET_ENTERED else SEALED
        row.update({k: v for k, v in e.data.items() if k not in HIDDEN and k not in hide})
        if second is not None and e.seq == second.data.get("first") and "first_sheet" in second.data:
            row["sheet"] = second.data["first_sheet"]  # revealed by the second entry
        out.append(row)
    return Rows(out, ENTRY_COLUMNS)


def refuse_entry(table: str, clerk: str, earlier: Sequence[Event], has_sheet: str | None) -> list[Event]:
    """The table's entry events so far, when ``clerk`` may key an entry of it; else the
    :class:`EntryRefused` the entry would meet (asked before the figures are keyed too, so a
    screen says why up front): a table with a sheet from elsewhere, both entries in, or the
    first entry's own clerk (the second entry must be independent)."""
    entries = [e for e in earlier if e.type == EventType.SHEET_ENTERED]
    if entries and entries[-1].data["outcome"] != EntryOutcome.AWAITING:
        last = entries[-1]
        raise EntryRefused(
            "entries_complete",
            f"table {table}: both entries are in (event {last.seq}, {last.data['outcome']}): "
            "a correction goes to the dispute body",
        )
    # A sheet recorded while the first entry waited (a file's, loaded meanwhile) processed the
    # table: version 1 is recorded once, so the awaited second entry is moot, as a first is.
    if has_sheet is not None:
        waiting = f" while its first entry (event {entries[0].seq}) awaited the second" if entries else ""
        raise EntryRefused(
            "has_sheet",
            f"table {table} already has a sheet ({has_sheet}){waiting}: a correction goes to the dispute body",
        )
    if entries and same_person(entries[0].actor, clerk):
        first = entries[0]
        raise EntryRefused(
            "same_clerk",
            f"table {table}: {clerk} keyed its first entry (event {first.seq}); the second entry must be another clerk's",
        )
    return entries


def decide_entry(
    sheet: TallySheet,
    clerk: str,
    earlier: Sequence[Event],
    has_sheet: str | None,
    electors: int | None,
    election: Election,
) -> EntryDecision:
    """Decide a clerk's entry of ``sheet`` given the table's ``earlier`` entry events.

    ``has_sheet`` is the state of a sheet the table already has from elsewhere (a file), or
    None; such a table takes no entries. Refused with :class:`RuleError`: a third entry, an
    entry after the sheet was processed or sent to the dispute body, the same clerk's second
    entry (it would not be independent), a table with a sheet already.
    """
    table = sheet.table
    entries = refuse_entry(table, clerk, earlier, has_sheet)
    data = sheet_data(sheet, election)
    if not entries:
        # The log is public: the first entry's event commits to its figures, kept store-side
        # (``private``, in the same transaction), so no read can hand them to the second clerk.
        committed, kept = entry_seal.sealed(data)
        event = PendingEvent(
            EventType.SHEET_ENTERED,
            {"table": table, "entry": 1, "commitment": committed, "outcome": EntryOutcome.AWAITING.value},
            private=kept,
        )
        return EntryDecision(1, EntryOutcome.AWAITING, [], None, [], [event])
    first = entries[0]
    revealed = _opened(first)
    keyed = sheet_of(table, revealed.get("first_sheet", first.data.get("sheet")), election)
    differs = differing_fields(keyed, sheet, election)
    if differs:
        outcome, state, reasons = EntryOutcome.MISMATCH, SheetState.OBSERVED, [Reason.ENTRIES_DIFFER.value]
    else:
        found = [r.value for r in observations(sheet, electors)]
        outcome, state, reasons = EntryOutcome.PROCESSED, SheetState.OBSERVED if found else SheetState.COUNTED, found
    entry = {"table": table, "entry": 2, "sheet": data, "outcome": outcome.value, "differs": differs, "first": first.seq}
    entry.update(revealed)  # the first entry's figures and salt, which open its commitment
    # On a mismatch the sheet goes to the dispute body with the first entry's figures, observed
    # (out of the count) until a ruling counts it as is, corrects or annuls it.
    recorded = keyed if differs else sheet
    records = PendingEvent(
        EventType.SHEETS_RECORDED,
        {"source": {"double_entry": first.seq}, "sheets": _record(recorded, state, reasons, election)},
    )
    events = [PendingEvent(EventType.SHEET_ENTERED, entry), records]
    return EntryDecision(2, outcome, differs, state, reasons, events)


def _opened(first: Event) -> dict[str, Any]:
    """What the second entry's event reveals of a first entry that committed to its figures:
    ``first_sheet`` and ``first_salt``, checked to open its commitment (none for a first entry
    of an older log, which carried its figures)."""
    if "commitment" not in first.data:
        return {}
    return entry_seal.reveal(first.data["commitment"], first.data.get(entry_seal.SEALED), f"event {first.seq}")


def _record(sheet: TallySheet, state: SheetState, reasons: list[str], election: Election) -> dict[str, Any]:
    """The one-sheet payload of a processed entry (its first version), column by column as
    ``sheets_payload.to_payload`` makes it of a frame, built directly: a frame of one row cost
    more than the rest of deciding the entry, on every second entry of election night."""
    payload: dict[str, Any] = {
        "table": [sheet.table],
        "version": [1],
        "state": [state.value],
        "reasons": [",".join(reasons)],
        "basis": [BASIS],
        "line": [None],
        tf.CAST: [sheet.cast],
        tf.BLANK: [sheet.blank],
        tf.NULL: [sheet.null],
        tf.CHALLENGED: [sheet.challenged],
    }
    payload["votes"] = {choice: [votes] for choice, votes in zip(election.contest.choice_ids, sheet.votes, strict=True)}
    return payload
