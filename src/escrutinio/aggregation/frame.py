"""The table-results frame (see ``domain.table_frame``) built from the store's projections.

Audit and forensics read this one frame: one row per table with its areas at every level, its
roll entry, its current sheet and its place in the count order.
"""

from __future__ import annotations

import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.domain.election import Election


def area_levels(areas: pl.DataFrame) -> pl.DataFrame:
    """For each area: its own code and its ancestors' codes at levels 1, 2 and 3."""
    info = {c: (lv, p) for c, lv, p in areas.select("code", "level", "parent").iter_rows()}
    rows = []
    for code in info:
        chain: dict[int, str] = {}
        node: str | None = code
        while node in info:
            chain[info[node][0]] = node
            node = info[node][1]
        top = [chain.get(i) for i in (1, 2, 3)]
        last = next((c for c in reversed(top) if c is not None), code)
        filled = [c if c is not None else last for c in top]
        rows.append((code, *filled))
    return pl.DataFrame(
        rows, schema={"area": pl.String, tf.DEPARTMENT: pl.String, tf.PROVINCE: pl.String, tf.DISTRICT: pl.String}, orient="row"
    )


def table_frame(areas: pl.DataFrame, roll: pl.DataFrame, sheets: pl.DataFrame, election: Election) -> pl.DataFrame:
    """One row per table on the roll; tables without a sheet are ``pending`` with zero counts."""
    votes = [tf.choice_column(c) for c in election.contest.choice_ids]
    counts = [*tf.SHEET_COUNTS, *votes]
    frame = (
        roll.select("table", "area", tf.POLLING_PLACE, tf.ELECTORS)
        .join(area_levels(areas), on="area", how="left")
        .join(sheets.select("table", "state", "seq", "line", *counts), on="table", how="left")
        .with_columns([pl.col(c).fill_null(0) for c in counts] + [pl.col("state").fill_null("pending").alias(tf.STATE)])
        .with_columns(pl.sum_horizontal(votes).cast(pl.Int64).alias(tf.VALID))
    )
    order = frame.select("table", "seq", "line").filter(pl.col("seq").is_not_null()).sort("seq", "line")
    order = order.with_row_index(tf.ORDER, offset=1).select("table", pl.col(tf.ORDER).cast(pl.Int64))
    frame = frame.join(order, on="table", how="left")
    return frame.select(
        tf.TABLE,
        tf.DEPARTMENT,
        tf.PROVINCE,
        tf.DISTRICT,
        tf.POLLING_PLACE,
        tf.ELECTORS,
        *tf.SHEET_COUNTS,
        tf.VALID,
        tf.STATE,
        *votes,
        tf.ORDER,
    ).sort(tf.TABLE)
