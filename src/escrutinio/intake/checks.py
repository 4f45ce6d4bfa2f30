"""The domain's validation rules applied to a whole frame of sheets at once.

Same rules as :func:`escrutinio.domain.validation.observations` (a property test holds them
together), written as polars expressions so a national file is checked in milliseconds.
"""

from __future__ import annotations

import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.domain.election import Election
from escrutinio.domain.sheet import Reason, SheetState
from escrutinio.formats.sheets import REPORTED_STATE


def reasons_expr(election: Election) -> pl.Expr:
    """A list[str] column of the rules each row breaks (needs the roll's ``electors``)."""
    votes = pl.sum_horizontal([pl.col(tf.choice_column(c)) for c in election.contest.choice_ids])
    total = votes + pl.col(tf.BLANK) + pl.col(tf.NULL) + pl.col(tf.CHALLENGED)
    checks = [
        (total != pl.col(tf.CAST), Reason.ARITHMETIC),
        (pl.col(tf.ELECTORS).is_not_null() & (pl.col(tf.CAST) > pl.col(tf.ELECTORS)), Reason.EXCEEDS_ELECTORS),
        (pl.col(tf.CHALLENGED) > 0, Reason.CHALLENGED),
    ]
    return pl.concat_list(
        [pl.when(cond).then(pl.lit([reason.value])).otherwise(pl.lit([], dtype=pl.List(pl.String))) for cond, reason in checks]
    )


def state_expr(rules: pl.Expr) -> pl.Expr:
    """The state a sheet takes: the one its file states, else observed when it breaks a rule
    (``rules``: the list column of :func:`reasons_expr`), else counted."""
    return (
        pl.when(pl.col(REPORTED_STATE).is_not_null())
        .then(pl.col(REPORTED_STATE))
        .when(rules.list.len() > 0)
        .then(pl.lit(SheetState.OBSERVED.value))
        .otherwise(pl.lit(SheetState.COUNTED.value))
    )


def describe(reason: str, row: dict, election: Election) -> tuple[str, str]:
    """(field, message) for a rule a row breaks, in the words of the sheet."""
    votes = sum(row[tf.choice_column(c)] for c in election.contest.choice_ids)
    if reason == Reason.ARITHMETIC:
        total = votes + row[tf.BLANK] + row[tf.NULL] + row[tf.CHALLENGED]
        return tf.CAST, (
            f"votes {votes} + blank {row[tf.BLANK]} + null {row[tf.NULL]} + challenged {row[tf.CHALLENGED]} "
            f"= {total}, but ballots cast = {row[tf.CAST]} (arithmetic error)"
        )
    if reason == Reason.EXCEEDS_ELECTORS:
        return tf.CAST, f"ballots cast {row[tf.CAST]} exceed the {row[tf.ELECTORS]} registered electors"
    return tf.CHALLENGED, f"{row[tf.CHALLENGED]} challenged ballots go to the dispute body"
