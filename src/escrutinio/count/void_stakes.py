"""What the open claims put at stake under the void rule: could they make the election void?

Peru's rule (Const. art. 184) voids the election when null and blank votes exceed two thirds of
the ballots cast. Annulling a table moves its ballots to null when the definition counts an
annulled sheet's ballots as null, so nullity requests push towards the threshold; counting an
observed sheet adds its own null and blank. The worst case is the choice, per table under
claim, of the outcome that raises null + blank over cast the most. A ratio of sums is not
maximised table by table, so the choice is found by Dinkelbach's iteration: for a trial share
λ take, per table, the option with the largest ``(null+blank) − λ·cast``; the share of that
choice is the next λ; it never decreases and stops at the maximum, in exact Fractions.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from fractions import Fraction
from typing import Any

import polars as pl

from escrutinio.domain import table_frame as tf
from escrutinio.domain.claims import EffectKind
from escrutinio.domain.election import AnnulledBallots, Election

Option = tuple[int, int]
"""A table's contribution to (null + blank, ballots cast) in one outcome."""


def _worst(fixed: Option, options: Sequence[Sequence[Option]]) -> Option:
    """The choice of one option per table maximising (fixed + chosen) null+blank over cast."""
    chosen = [opts[0] for opts in options]  # the current state first: a feasible start

    def total(picks: Iterable[Option]) -> Option:
        n, c = fixed
        for dn, dc in picks:
            n, c = n + dn, c + dc
        return n, c

    n, c = total(chosen)
    share = Fraction(n, c) if c else Fraction(0)
    while True:
        picks = [max(opts, key=lambda o, s=share: o[0] - s * o[1]) for opts in options]
        n2, c2 = total(picks)
        better = Fraction(n2, c2) if c2 else Fraction(0)
        if better <= share:  # no choice beats this share: it is the maximum
            break
        n, c, share = n2, c2, better
    return n, c


def void_stakes(
    frame: pl.DataFrame, election: Election, claims: Iterable[tuple[Sequence[str], EffectKind]]
) -> dict[str, Any] | None:
    """The void rule against the count now and in the worst case of the open claims (``claims``:
    each claim's tables and the effect it asks for); None when the definition has no void rule."""
    rule = election.rules.void
    if rule is None:
        return None
    as_null = election.rules.annulled_ballots is AnnulledBallots.NULL
    in_count = pl.col(tf.STATE).is_in(list(tf.COUNTED_STATES))
    annulled = pl.col(tf.STATE) == "annulled"
    zero = pl.lit(0, dtype=pl.Int64)
    cast = pl.col(tf.CAST).fill_null(0).cast(pl.Int64)
    spoilt = (pl.col(tf.BLANK).fill_null(0) + pl.col(tf.NULL).fill_null(0)).cast(pl.Int64)
    annulled_n = cast if as_null else zero
    rows = frame.select(
        pl.col(tf.TABLE),
        pl.col(tf.STATE),
        pl.when(in_count).then(spoilt).when(annulled).then(annulled_n).otherwise(zero).alias("n"),
        pl.when(in_count).then(cast).when(annulled).then(annulled_n).otherwise(zero).alias("c"),
        spoilt.alias("spoilt"),
        cast.alias("cast"),
    )
    options: dict[str, list[Option]] = {}
    wanted: dict[str, set[EffectKind]] = {}
    for tables, effect in claims:
        for table in tables:
            wanted.setdefault(table, set()).add(effect)
    under = rows.filter(pl.col(tf.TABLE).is_in(sorted(wanted)))
    for table, _state, n, c, spoilt_t, cast_t in under.iter_rows():
        opts: list[Option] = [(n, c)]
        for effect in wanted[table]:
            if effect is EffectKind.ANNUL:
                opts.append((cast_t, cast_t) if as_null else (0, 0))
            elif effect in (EffectKind.COUNT_AS_IS, EffectKind.DISMISS):
                opts.append((spoilt_t, cast_t))
        options[table] = opts
    rest = rows.filter(~pl.col(tf.TABLE).is_in(sorted(options)))
    fixed = (int(rest["n"].sum() or 0), int(rest["c"].sum() or 0))
    now = _worst(fixed, [[o[0]] for o in options.values()])
    worst = _worst(fixed, list(options.values()))

    def figures(n: int, c: int) -> dict[str, Any]:
        return {"null_and_blank": n, "cast": c, "share": round(100 * n / c, 3) if c else None, "void": rule.applies(n, 0, c)}

    return {
        "rule": str(rule),
        "source": rule.source,
        "now": figures(*now),
        "worst_case": figures(*worst),
        "can_void": rule.applies(worst[0], 0, worst[1]),
        "tables_under_claim": len(options),
    }
