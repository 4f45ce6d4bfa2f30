"""What every reader returns: a frame of tally sheets in the standard columns, plus areas.

Readers differ in the file they read; the rest of escrutinio only sees :class:`SheetFile`.
Which reader reads a file is decided in ``formats.readers`` (this module imports no reader, so
the readers can import it).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.domain.election import Election
from escrutinio.domain.errors import Problem
from escrutinio.formats.problems import Locate

REPORTED_STATE = "reported_state"
"""The sheet state the source states (e.g. ONPE's CONTABILIZADA -> counted), or null."""
REPORTED_REASON = "reported_reason"
REPORTED_STATUS = "reported_status"
"""The source's own status text, kept verbatim for the log."""
LINE = "_line"


@dataclass(frozen=True)
class SheetFile:
    """A parsed tally-sheet file.

    ``sheets`` has one row per table: ``table``, ``district`` (the finest area code),
    ``polling_place``, ``electors``, ``cast``, ``blank``, ``null``, ``challenged``,
    ``v_<choice>``, ``reported_state``, ``reported_reason``, ``reported_status`` and ``_line``
    (the line in the file). ``areas`` has ``code``, ``level`` (1 = top), ``kind`` (the level's
    name, e.g. department or continent), ``name`` and ``parent`` for every area in the file.
    """

    source: str
    sha256: str
    sheets: pl.DataFrame
    areas: pl.DataFrame
    labels: dict[str, str]
    """Standard column -> the source's own column name, for error messages."""
    locate: Locate | None = None
    """For a source whose rows are no lines of text (a JSON report): where a problem that a
    later check names by a row's line and field is, as the source's own path."""
    observations: tuple[Problem, ...] = ()
    """What the source says that disagrees with itself but refuses no sheet (a report's area
    totals against its tables): the load lists them and records them with the sheets."""
    observed: int = 0
    """How many there are in all (only the first ones are kept in ``observations``)."""


def sheet_columns(election: Election) -> list[str]:
    """The standard sheet columns, in order, for an election."""
    return [
        tf.TABLE,
        tf.DISTRICT,
        tf.POLLING_PLACE,
        tf.ELECTORS,
        *tf.SHEET_COUNTS,
        *(tf.choice_column(c) for c in election.contest.choice_ids),
        REPORTED_STATE,
        REPORTED_REASON,
        REPORTED_STATUS,
        LINE,
    ]


def file_digest(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()
