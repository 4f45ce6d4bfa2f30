"""Column lists the store's plain SQL names, kept in one place (and held equal to schema.py by a
test) so the writer, the frame reader and the light results reader cannot drift apart."""

from __future__ import annotations

SHEET_ROW = (
    "table_id",
    "version",
    "state",
    "reasons",
    "basis",
    "line",
    "ballots_cast",
    "blank",
    "null_votes",
    "challenged",
    "votes",
    "seq",
    "current",
    "area",
    "electors",
)
"""The columns of ``sheets``, in the table's order."""
