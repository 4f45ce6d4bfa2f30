"""A tally-sheet file straight to the table-results frame, without a store.

For the analysis of a file on its own (forensics, audit planning, the 2021 replay's final
figures): a sheet takes the state the file states, or, when the file states none, the state
the domain's rules give it (observed when it breaks one, else counted); the ``order`` column is
the file's row order. The count itself goes through the store (``intake.plan``).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from escrutinio.aggregation.frame import table_frame
from escrutinio.domain import table_frame as tf
from escrutinio.domain.election import Election
from escrutinio.formats.readers import read_sheets
from escrutinio.formats.sheets import LINE, REPORTED_REASON, REPORTED_STATE, REPORTED_STATUS
from escrutinio.intake.checks import reasons_expr, state_expr


def read_table_frame(path: Path, election: Election) -> pl.DataFrame:
    """Read a file with the election's reader; one row per table, in the table-results shape."""
    parsed = read_sheets(path, election)
    roll = parsed.sheets.select(tf.TABLE, pl.col(tf.DISTRICT).alias("area"), tf.POLLING_PLACE, tf.ELECTORS)
    sheets = parsed.sheets.select(
        pl.exclude(tf.DISTRICT, tf.POLLING_PLACE, tf.ELECTORS, REPORTED_REASON, REPORTED_STATUS, LINE, REPORTED_STATE),
        state_expr(reasons_expr(election)).alias("state"),
        pl.lit(1, dtype=pl.Int64).alias("seq"),
        pl.col(LINE).alias("line"),
    )
    return table_frame(parsed.areas, roll, sheets, election)
