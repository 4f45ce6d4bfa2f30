"""The table-results frame kept in memory between calls, brought up to date from the log.

Audit, forensics and stakes read one frame (``aggregation.frame.table_frame``): one row per table.
Building it reads all 86,000 tables (about 0.3 s); a ruling changes a few. So a long-lived
session keeps the frame with the head it was built at and, on the next call, applies only the
sheet events appended since; anything else (new areas or tables, a big load) rebuilds it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import polars as pl

    from escrutinio.domain.election import Election
    from escrutinio.store.store import Store

FEW_SHEETS = 2_000
"""A sheet event with at most this many sheets is applied to the kept frame; a bigger one rebuilds."""


class TableFrameCache:
    """The table frame of one store, with the head (event number) it reflects."""

    def __init__(self) -> None:
        self._seq: int | None = None
        self._frame: pl.DataFrame | None = None

    def frame(self, store: Store, election: Election) -> pl.DataFrame:
        """The frame as of the store's head now."""
        from escrutinio.ledger.events import EventType

        seq, _ = store.head()
        if self._frame is not None and self._seq is not None and self._seq != seq:
            newer = store.events_since(
                self._seq, [EventType.SHEETS_RECORDED, EventType.TABLES_REGISTERED, EventType.AREAS_REGISTERED]
            )
            if not newer:
                self._seq = seq
            elif all(e.type == EventType.SHEETS_RECORDED and len(e.data["sheets"]["table"]) <= FEW_SHEETS for e in newer):
                self._frame = _apply(self._frame, newer, election)
                self._seq = seq
            else:
                self._frame = None
        if self._frame is None or self._seq != seq:
            from escrutinio.aggregation.frame import table_frame

            areas, roll, sheets = store.frames()
            self._frame, self._seq = table_frame(areas, roll, sheets, election), seq
        return self._frame

    def clear(self) -> None:
        self._seq, self._frame = None, None


def _apply(frame: pl.DataFrame, events: list, election: Election) -> pl.DataFrame:
    """The frame with the sheets of these (small) sheet events written over their tables."""
    import polars as pl

    from escrutinio.domain import table_frame as tf
    from escrutinio.ledger.sheets_payload import from_payload

    for e in events:
        rows = from_payload(e.data["sheets"], election, e.seq).rename({"state": tf.STATE})
        counts = [c for c in rows.columns if c in frame.columns and c != tf.TABLE]
        update = rows.select(tf.TABLE, *counts).with_columns(
            pl.sum_horizontal([c for c in rows.columns if c.startswith(tf.CHOICE_PREFIX)]).cast(pl.Int64).alias(tf.VALID)
        )
        frame = frame.update(update, on=tf.TABLE)
    return frame
