"""The audit's manifest: every table whose ballots are in the count, with what its sheet reports.

An audit samples from the tables that make up the reported result, so the manifest is built
from the table-results frame (:mod:`escrutinio.domain.table_frame`): tables *counted*,
*resolved* (counted after a ruling) and *annulled* (their ballots are in the count as null
votes, so they are batches too: their sheet gives the pair nothing and a hand count could find
votes in them). Observed, pending and not-installed tables are outside the count and outside the
audit. The manifest is also what an audit record carries in its first event (as plain columns),
so that anyone holding the record can redraw the sample without the database.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import polars as pl

from escrutinio.audit.macro import BatchManifest
from escrutinio.domain import table_frame as tf

AUDITED_STATES = ("counted", "resolved", "annulled")
"""Sheet states whose ballots are in the count (see table_frame.SHEET_STATES)."""


@dataclass(frozen=True)
class AuditManifest:
    """The batches (numbers) plus where each table is, for retrieval lists."""

    batches: BatchManifest
    districts: tuple[str, ...]
    polling_places: tuple[str | None, ...]
    annulled: int
    excluded: int

    def to_columns(self) -> dict[str, Any]:
        """Plain JSON columns (ints and strings) that :meth:`from_columns` reads back."""
        b = self.batches
        return {
            "table": list(b.tables),
            "winner": [int(v) for v in b.winner_votes],
            "loser": [int(v) for v in b.loser_votes],
            "ballots": [int(v) for v in b.ballots],
            "district": list(self.districts),
            "polling_place": list(self.polling_places),
            "margin": b.margin,
            "annulled": self.annulled,
            "excluded": self.excluded,
        }

    @classmethod
    def from_columns(cls, columns: dict[str, Any]) -> AuditManifest:
        batches = BatchManifest.build(
            columns["table"], columns["winner"], columns["loser"], columns["ballots"], columns["margin"]
        )
        return cls(
            batches,
            tuple(columns["district"]),
            tuple(columns["polling_place"]),
            int(columns["annulled"]),
            int(columns["excluded"]),
        )

    @cached_property
    def sha256(self) -> str:
        """SHA-256 of the canonical JSON of the columns: names the manifest in reports."""
        text = json.dumps(self.to_columns(), sort_keys=True, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()


def manifest_from_frame(frame: pl.DataFrame, winner: str, loser: str) -> AuditManifest:
    """The pair's manifest from a table-results frame.

    Annulled tables report no votes for the pair. A table's ballots are the larger of its sheet's
    ballots cast and the pair's votes, so an inconsistent sheet cannot shrink its own error bound.
    """
    winner_column, loser_column = tf.choice_column(winner), tf.choice_column(loser)
    for column in (tf.TABLE, tf.CAST, tf.STATE, winner_column, loser_column):
        if column not in frame.columns:
            raise KeyError(f"the table frame has no column {column!r} (choices: winner {winner!r}, loser {loser!r})")
    in_count = frame.filter(pl.col(tf.STATE).is_in(AUDITED_STATES))
    missing_cast = in_count.filter(pl.col(tf.CAST).is_null())
    if missing_cast.height:
        raise ValueError(f"table {missing_cast[tf.TABLE][0]} is in the count but its sheet gives no ballots cast")
    annulled = pl.col(tf.STATE) == "annulled"
    votes = in_count.select(
        pl.col(tf.TABLE).cast(pl.Utf8),
        pl.when(annulled).then(0).otherwise(pl.col(winner_column).fill_null(0)).cast(pl.Int64).alias("w"),
        pl.when(annulled).then(0).otherwise(pl.col(loser_column).fill_null(0)).cast(pl.Int64).alias("l"),
        pl.col(tf.CAST).cast(pl.Int64).alias("cast"),
        (pl.col(tf.DISTRICT).cast(pl.Utf8) if tf.DISTRICT in frame.columns else pl.lit("")).alias("district"),
        (pl.col(tf.POLLING_PLACE).cast(pl.Utf8) if tf.POLLING_PLACE in frame.columns else pl.lit(None))
        .cast(pl.Utf8)
        .alias("place"),
        annulled.alias("annulled"),
    )
    ballots = np.maximum(votes["cast"].to_numpy(), (votes["w"] + votes["l"]).to_numpy())
    batches = BatchManifest.build(votes["table"].to_list(), votes["w"].to_numpy(), votes["l"].to_numpy(), ballots)
    return AuditManifest(
        batches,
        tuple(votes["district"].fill_null("").to_list()),
        tuple(votes["place"].to_list()),
        int(votes["annulled"].sum()),
        frame.height - in_count.height,
    )
