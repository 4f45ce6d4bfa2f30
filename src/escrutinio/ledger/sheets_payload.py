"""The columnar payload of sheet events, and its conversion to and from frames.

A ``sheets.recorded`` event carries many sheets at once, column by column (one list per
field), so that a national file of 86,000 sheets is a few dozen events rather than 86,000:
each sheet is still individually in the log, addressed by (event, position).
"""

from __future__ import annotations

from typing import Any

import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.domain.election import Election

COUNT_FIELDS = (tf.CAST, tf.BLANK, tf.NULL, tf.CHALLENGED)
TEXT_FIELDS = ("table", "state", "reasons", "basis")
INT_FIELDS = ("version", "line")
SHEET_COLUMNS = ("table", "version", "state", "reasons", "basis", "line", *COUNT_FIELDS)


def current_schema(election: Election) -> dict[str, pl.DataType]:
    """Columns of the current-sheets frame (one row per table that has a sheet)."""
    schema: dict[str, pl.DataType] = {
        "table": pl.String(),
        "version": pl.Int64(),
        "state": pl.String(),
        "reasons": pl.String(),
        "basis": pl.String(),
        "line": pl.Int64(),
        **{f: pl.Int64() for f in COUNT_FIELDS},
        **{tf.choice_column(c): pl.Int64() for c in election.contest.choice_ids},
        "seq": pl.Int64(),
    }
    return schema


def to_payload(frame: pl.DataFrame, election: Election) -> dict[str, Any]:
    """Columns of a sheet-record frame as plain lists (ints and strings only)."""
    out: dict[str, Any] = {c: frame[c].to_list() for c in SHEET_COLUMNS}
    out["votes"] = {c: frame[tf.choice_column(c)].to_list() for c in election.contest.choice_ids}
    return out


def record_frame(frame: pl.DataFrame, election: Election, seq: int) -> pl.DataFrame:
    """The current-sheets rows an event carries, from the frame it was made from."""
    schema = current_schema(election)
    return frame.with_columns(pl.lit(seq, dtype=pl.Int64).alias("seq")).select([pl.col(c).cast(t) for c, t in schema.items()])


def from_payload(sheets: dict[str, Any], election: Election, seq: int) -> pl.DataFrame:
    """Rebuild the frame of one event's sheet records (the ``seq`` is the event's)."""
    columns: dict[str, Any] = {c: sheets[c] for c in SHEET_COLUMNS}
    for choice in election.contest.choice_ids:
        columns[tf.choice_column(choice)] = sheets["votes"][choice]
    n = len(sheets["table"])
    columns["seq"] = [seq] * n
    return pl.DataFrame(columns, schema=current_schema(election))
