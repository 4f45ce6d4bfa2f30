"""The audit's manifest: every table whose ballots are in the count, with what its sheet reports.

An audit samples from the tables that make up the reported result, so the manifest is built
from the table-results frame (:mod:`escrutinio.domain.table_frame`): tables *counted*,
*resolved* (counted after a ruling) and *annulled* (their ballots are in the count as null
votes, so they are batches too: their sheet gives the pair nothing and a hand count could find
votes in them). Observed, pending and not-installed tables are outside the count and outside the
audit. The manifest is also what an audit record carries in its first event (as plain columns),
so that anyone holding the record can redraw the sample without the database.

Two shapes, told apart by their columns: a *pair* manifest (``winner``, ``loser``: the pair's
votes per table) for a contest of two choices (a runoff), and a *contest* manifest (``choices``,
``winners``, ``votes``: every choice's votes per table) for any other, so that every
winner–loser pair is audited on the same sample (:mod:`escrutinio.audit.contest`). A runoff's
manifest is a pair manifest, as it always was: its record, sample and figures are unchanged.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import numpy as np
import polars as pl

from escrutinio.audit.contest import Contest, ContestBatches, pair_batches
from escrutinio.audit.macro import BatchManifest
from escrutinio.domain import table_frame as tf

AUDITED_STATES = ("counted", "resolved", "annulled")
"""Sheet states whose ballots are in the count (see table_frame.SHEET_STATES)."""


@dataclass(frozen=True)
class AuditManifest:
    """The batches (numbers) plus where each table is, for retrieval lists.

    ``batches`` is a :class:`BatchManifest` (one pair's votes) or a :class:`ContestBatches`
    (every choice's votes and the reported winners); both name the tables, their ballots, their
    PPEB weights and the total error bound the same way.
    """

    batches: BatchManifest | ContestBatches
    districts: tuple[str, ...]
    polling_places: tuple[str | None, ...]
    annulled: int
    excluded: int

    @property
    def every_choice(self) -> bool:
        """A contest manifest (every choice's votes), not a pair manifest."""
        return isinstance(self.batches, ContestBatches)

    def contest_batches(self, winner: str, loser: str) -> ContestBatches:
        """The manifest as a contest: itself, or a pair manifest as a two-choice contest of the
        planned winner and loser."""
        if isinstance(self.batches, ContestBatches):
            return self.batches
        return pair_batches(self.batches, winner, loser)

    def to_columns(self) -> dict[str, Any]:
        """Plain JSON columns (ints and strings) that :meth:`from_columns` reads back."""
        b = self.batches
        where = {
            "district": list(self.districts),
            "polling_place": list(self.polling_places),
            "annulled": self.annulled,
            "excluded": self.excluded,
        }
        if isinstance(b, ContestBatches):
            return {
                "table": list(b.tables),
                "choices": list(b.contest.votes),
                "winners": list(b.contest.winners),
                "votes": b.votes.T.tolist(),
                "ballots": b.ballots.tolist(),
                **where,
            }
        return {
            "table": list(b.tables),
            "winner": b.winner_votes.tolist(),
            "loser": b.loser_votes.tolist(),
            "ballots": b.ballots.tolist(),
            "district": where["district"],
            "polling_place": where["polling_place"],
            "margin": b.margin,
            "annulled": self.annulled,
            "excluded": self.excluded,
        }

    @classmethod
    def from_columns(cls, columns: dict[str, Any]) -> AuditManifest:
        batches: BatchManifest | ContestBatches
        if "votes" in columns:
            votes = dict(zip(columns["choices"], columns["votes"], strict=True))
            batches = ContestBatches.build(votes, columns["ballots"], columns["table"], columns["winners"])
        else:
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
        """SHA-256 of the canonical JSON of the columns (sorted keys, no spaces, UTF-8 as is):
        names the manifest in reports. orjson writes the very bytes ``json.dumps(...,
        sort_keys=True, separators=(",", ":"), ensure_ascii=False)`` does, ten times faster on a
        national manifest (a test holds the two equal)."""
        import orjson

        return hashlib.sha256(orjson.dumps(self.to_columns(), option=orjson.OPT_SORT_KEYS)).hexdigest()


def _where(in_count: pl.DataFrame, frame: pl.DataFrame) -> tuple[tuple[str, ...], tuple[str | None, ...]]:
    """Each table's district and polling place (for retrieval lists), "" and None when unknown."""
    district = in_count[tf.DISTRICT].cast(pl.Utf8).fill_null("").to_list() if tf.DISTRICT in frame.columns else None
    place = in_count[tf.POLLING_PLACE].cast(pl.Utf8).to_list() if tf.POLLING_PLACE in frame.columns else None
    return tuple(district or [""] * in_count.height), tuple(place or [None] * in_count.height)


def _in_count(frame: pl.DataFrame, columns: list[str], what: str) -> pl.DataFrame:
    """The tables whose ballots are in the count; refused when a column is missing or a table
    in the count gives no ballots cast."""
    for column in (tf.TABLE, tf.CAST, tf.STATE, *columns):
        if column not in frame.columns:
            raise KeyError(f"the table frame has no column {column!r} ({what})")
    in_count = frame.filter(pl.col(tf.STATE).is_in(AUDITED_STATES))
    missing_cast = in_count.filter(pl.col(tf.CAST).is_null())
    if missing_cast.height:
        raise ValueError(f"table {missing_cast[tf.TABLE][0]} is in the count but its sheet gives no ballots cast")
    return in_count


def contest_batches_from_frame(frame: pl.DataFrame, choices: Sequence[str], winners: Sequence[str]) -> ContestBatches:
    """The tables in the count (counted, resolved, annulled) with every choice's votes; annulled
    tables report no votes, and a table's ballots are at least its votes (as in a pair's
    manifest, :func:`manifest_from_frame`)."""
    columns = [tf.choice_column(choice) for choice in choices]
    for column in columns:
        if column not in frame.columns:
            raise KeyError(f"the table frame has no column {column!r} (choices: {', '.join(choices)})")
    in_count = frame.filter(pl.col(tf.STATE).is_in(AUDITED_STATES))
    return _contest_batches(in_count, choices, winners)


def _contest_batches(in_count: pl.DataFrame, choices: Sequence[str], winners: Sequence[str]) -> ContestBatches:
    annulled = (in_count[tf.STATE] == "annulled").to_numpy()
    votes = np.column_stack([in_count[tf.choice_column(c)].fill_null(0).cast(pl.Int64).to_numpy() for c in choices])
    votes[annulled] = 0
    ballots = np.maximum(in_count[tf.CAST].fill_null(0).cast(pl.Int64).to_numpy(), votes.sum(axis=1))
    contest = Contest(
        {choice: int(total) for choice, total in zip(choices, votes.sum(axis=0), strict=True)},
        int(ballots.sum()),
        tuple(winners),
    )
    for array in (votes, ballots):
        array.setflags(write=False)
    return ContestBatches(contest, tuple(in_count[tf.TABLE].cast(pl.Utf8).to_list()), votes, ballots)


def contest_manifest_from_frame(frame: pl.DataFrame, choices: Sequence[str], winners: Sequence[str]) -> AuditManifest:
    """A contest manifest: every table in the count with every choice's votes, and the reported
    winners (each audited over every other choice). Annulled tables report no votes; a table's
    ballots are the larger of its sheet's ballots cast and its votes."""
    in_count = _in_count(frame, [tf.choice_column(c) for c in choices], f"choices: {', '.join(choices)}")
    districts, places = _where(in_count, frame)
    annulled = int((in_count[tf.STATE] == "annulled").sum())
    return AuditManifest(
        _contest_batches(in_count, choices, winners), districts, places, annulled, frame.height - in_count.height
    )


def manifest_from_frame(frame: pl.DataFrame, winner: str, loser: str) -> AuditManifest:
    """The pair's manifest from a table-results frame.

    Annulled tables report no votes for the pair. A table's ballots are the larger of its sheet's
    ballots cast and the pair's votes, so an inconsistent sheet cannot shrink its own error bound.
    """
    winner_column, loser_column = tf.choice_column(winner), tf.choice_column(loser)
    in_count = _in_count(frame, [winner_column, loser_column], f"choices: winner {winner!r}, loser {loser!r}")
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
