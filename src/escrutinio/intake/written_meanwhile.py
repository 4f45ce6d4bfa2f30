"""What a load may let other writers append between its plan and its write.

Why: a load is planned on the state it read (the roll, the file's tables' current sheets, the
docket for the observation cases it opens), then written; on a results centre clerks append
entries all the while, so a load that insisted on the head it read never landed. Most of what
they write does not touch what the plan was made on: an entry or a scan changes no sheet, a
sheet recorded for another table leaves the file's own as they were, an account is no part of
the count. The store asks this module, under the write lock, about the events written since the
plan (``Store.append(moved=...)``); the first that does touch the plan makes the load plan
again on the new state.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from escrutinio.ledger.events import Event, EventType

APART = frozenset({*EventType.INTAKE_EVENTS, EventType.ACCOUNT_CREATED, EventType.ACCOUNT_REVOKED})
"""Events no load plan reads: entries (a second one comes with the sheet it records, checked
by its table), scans, accounts."""


def conflict(events: Sequence[Event], tables: Collection[str], opens_cases: bool) -> str | None:
    """The first of ``events`` (written since the plan of a load of ``tables``) the plan did not
    allow for, described; None when the load may be written after them all.

    A sheet recorded for one of the file's tables changes what the plan compared its row with;
    a roll, an area or a file's sheets (kept in chunks, their tables not in the event) may; a
    case event changes the docket the load's own observation cases were numbered from (when it
    opens any); anything else is taken as a conflict, the safe side."""
    for event in events:
        if event.type in APART:
            continue
        if event.type in EventType.CASE_EVENTS and not opens_cases:
            continue
        where = f"event {event.seq} ({event.type})"
        if event.type == EventType.SHEETS_RECORDED:
            sheets = event.data.get("sheets")
            if isinstance(sheets, dict):
                touched = next((t for t in sheets.get("table", []) if t in tables), None)
                if touched is None:
                    continue
                return f"{where} recorded a sheet of table {touched}, a table of this file"
        return f"{where} may change what this load was planned on"
    return None
