"""What each table adds to the totals of every area above it, and the sums themselves.

A table's *contribution* is a row of integers (tables, electors, counted sheets, votes, …)
that depends only on its roll entry, its current sheet and the counting rules. An area's
tally is the sum of its tables' contributions; loading or ruling changes a tally by the
difference between a table's new and old contribution. Keeping one function for both the
incremental path (the store) and the from-scratch path (replay) is what makes ``verify``
meaningful: the two must agree to the vote.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import polars as pl

from escrutinio.aggregation.keys import DESPITE_PREFIX, DESPITE_RULES, FIGURES, SOURCE_BASIS, STATE_KEYS
from escrutinio.domain import table_frame as tf
from escrutinio.domain.election import AnnulledBallots, Election
from escrutinio.domain.ids import AreaCode

__all__ = ["FIGURES", "STATE_KEYS"]


def vote_keys(election: Election) -> list[str]:
    return [tf.choice_column(c) for c in election.contest.choice_ids]


def tally_keys(election: Election) -> list[str]:
    """Every key of an area tally, in a stable order."""
    votes = vote_keys(election)
    return [
        "tables",
        "electors",
        *(f"n_{s}" for s in STATE_KEYS),
        "electors_in_count",
        *FIGURES,
        *votes,
        *(f"p_{k}" for k in (*FIGURES, *votes)),
        *despite_keys(),
    ]


def despite_keys() -> list[str]:
    """The keys counting sheets final at source despite each rule (``despite_arithmetic_error``, ...)."""
    return [f"{DESPITE_PREFIX}{rule}" for rule in DESPITE_RULES]


def registration_contribution(tables: pl.DataFrame) -> pl.DataFrame:
    """What registering tables adds: one table each and its electors (area column kept)."""
    return tables.select(
        pl.col("area"),
        pl.lit(1, dtype=pl.Int64).alias("tables"),
        pl.col(tf.ELECTORS).fill_null(0).cast(pl.Int64).alias("electors"),
    )


def sheet_contribution(sheets: pl.DataFrame, election: Election) -> pl.DataFrame:
    """What each sheet adds given its state (``sheets`` needs ``area``, ``electors``, counts, state).

    counted/resolved: its figures; annulled: its ballots as null (or nothing, by the rules);
    observed: only the provisional ``p_*`` figures; not installed: nothing but its state.
    A sheet in the count whose state the source stated (``basis`` ``source:...``) although it
    breaks a counting rule also adds one to ``despite_<rule>`` for each rule it breaks
    (``sheets`` needs ``basis`` and ``reasons`` for that).
    """
    votes = vote_keys(election)
    state = pl.col(tf.STATE)
    in_count = state.is_in(list(tf.COUNTED_STATES))
    annulled = state == "annulled"
    observed = state == "observed"
    annulled_as_null = election.rules.annulled_ballots is AnnulledBallots.NULL
    zero = pl.lit(0, dtype=pl.Int64)
    valid = pl.sum_horizontal([pl.col(v) for v in votes]).cast(pl.Int64)
    cast_in = pl.when(in_count | (annulled & annulled_as_null)).then(pl.col(tf.CAST)).otherwise(zero)
    null_in = pl.when(in_count).then(pl.col(tf.NULL)).when(annulled & annulled_as_null).then(pl.col(tf.CAST)).otherwise(zero)

    def only(cond: pl.Expr, expr: pl.Expr) -> pl.Expr:
        return pl.when(cond).then(expr).otherwise(zero)

    one = pl.lit(1, dtype=pl.Int64)
    final_at_source = in_count & pl.col("basis").fill_null("").str.starts_with(SOURCE_BASIS)
    broken = pl.col("reasons").fill_null("").str.split(",")

    return sheets.select(
        pl.col("area"),
        *(only(state == s, one).alias(f"n_{s}") for s in STATE_KEYS),
        only(in_count | annulled, pl.col(tf.ELECTORS).fill_null(0)).alias("electors_in_count"),
        cast_in.alias("cast"),
        only(in_count, pl.col(tf.BLANK)).alias("blank"),
        null_in.alias("null"),
        only(in_count, pl.col(tf.CHALLENGED)).alias("challenged"),
        only(in_count, valid).alias("valid"),
        *(only(in_count, pl.col(v)).alias(v) for v in votes),
        *(only(observed, pl.col(k)).alias(f"p_{k}") for k in tf.SHEET_COUNTS),
        only(observed, valid).alias("p_valid"),
        *(only(observed, pl.col(v)).alias(f"p_{v}") for v in votes),
        *(
            only(final_at_source & broken.list.contains(rule), one).alias(key)
            for rule, key in zip(DESPITE_RULES, despite_keys(), strict=True)
        ),
    )


Figures = dict[str, int]
"""One table's contribution, or an area's change, as plain integers by tally key (zeros left out)."""
Changes = dict[str, Figures]
"""Tally changes by area (what :func:`roll_up` and :func:`combine` make, as dictionaries)."""


def sheet_figures(sheet: Mapping[str, Any], electors: int | None, election: Election) -> Figures:
    """:func:`sheet_contribution` of ONE sheet, as plain integers (its nonzero figures).

    Why twice: a group commit of a few dozen entered sheets paid polars' fixed cost per call
    (a frame built, a plan run on a thread pool) many times over what their arithmetic costs,
    in the one thread every clerk waits for. The rules are the same, line for line; a property
    test holds the two equal on random sheets (``tests/property/test_tally_paths_properties.py``).
    ``sheet`` has the current-sheet frame's columns (``state``, counts, ``v_*``, ``basis``,
    ``reasons``); a missing count is zero, as polars' sums take a null.
    """
    state = sheet[tf.STATE]
    in_count = state in tf.COUNTED_STATES
    annulled = state == "annulled"
    observed = state == "observed"
    votes = [sheet[v] or 0 for v in vote_keys(election)]
    cast, blank, null, challenged = (sheet[k] or 0 for k in tf.SHEET_COUNTS)
    valid = sum(votes)
    out: Figures = {}
    if state in STATE_KEYS:
        out[f"n_{state}"] = 1
    if in_count or annulled:
        out["electors_in_count"] = electors or 0
    if in_count:
        out.update(cast=cast, blank=blank, null=null, challenged=challenged, valid=valid)
        out.update(zip(vote_keys(election), votes, strict=True))
        if (sheet["basis"] or "").startswith(SOURCE_BASIS):
            broken = (sheet["reasons"] or "").split(",")
            out.update((key, 1) for rule, key in zip(DESPITE_RULES, despite_keys(), strict=True) if rule in broken)
    elif annulled and election.rules.annulled_ballots is AnnulledBallots.NULL:
        out.update(cast=cast, null=cast)
    elif observed:
        out.update(p_cast=cast, p_blank=blank, p_null=null, p_challenged=challenged, p_valid=valid)
        out.update((f"p_{k}", v) for k, v in zip(vote_keys(election), votes, strict=True))
    return {k: v for k, v in out.items() if v}


def add_figures(into: Changes, figures: Figures, areas: Iterable[str], sign: int = 1) -> None:
    """Add ``figures`` (times ``sign``: -1 takes a replaced sheet's out) to each of ``areas``
    (a table's area and every area above it: :func:`ancestors`)."""
    for area in areas:
        held = into.setdefault(area, {})
        for key, value in figures.items():
            held[key] = held.get(key, 0) + sign * value


def ancestors(lineage_frame: pl.DataFrame) -> dict[str, tuple[str, ...]]:
    """Each area with the areas its tables count in (itself, those above it, the nation):
    :func:`lineage` as a dictionary, for :func:`add_figures`."""
    out: dict[str, list[str]] = {}
    for area, ancestor in zip(lineage_frame["area"].to_list(), lineage_frame["ancestor"].to_list(), strict=True):
        out.setdefault(area, []).append(ancestor)
    return {area: tuple(found) for area, found in out.items()}


def as_changes(long: pl.DataFrame, into: Changes | None = None) -> Changes:
    """A long (area, key, value) tally added into ``into`` (a new one by default)."""
    out: Changes = into if into is not None else {}
    for area, key, value in long.iter_rows():
        held = out.setdefault(area, {})
        held[key] = held.get(key, 0) + value
    return out


def nonzero(changes: Changes) -> Changes:
    """The changes without the figures that add up to nothing (and areas left with none)."""
    kept = {area: {k: v for k, v in figures.items() if v} for area, figures in changes.items()}
    return {area: figures for area, figures in kept.items() if figures}


def lineage(areas: pl.DataFrame, national: AreaCode) -> pl.DataFrame:
    """(area, ancestor) for every area and each area above it, itself and the nation included."""
    parent = dict(zip(areas["code"].to_list(), areas["parent"].to_list(), strict=True))
    rows_area: list[str] = []
    rows_anc: list[str] = []
    for code in parent:
        node: str | None = code
        seen = 0
        while node is not None and node != national and seen < 8:
            rows_area.append(code)
            rows_anc.append(node)
            node = parent.get(node)
            seen += 1
        rows_area.append(code)
        rows_anc.append(national)
    return pl.DataFrame({"area": rows_area, "ancestor": rows_anc}, schema={"area": pl.String, "ancestor": pl.String})


def roll_up(contributions: pl.DataFrame, lineage_frame: pl.DataFrame) -> pl.DataFrame:
    """Sum contributions (wide, with ``area``) into every ancestor; returns long (area, key, value)."""
    keys = [c for c in contributions.columns if c != "area"]
    by_area = contributions.group_by("area").agg(pl.col(keys).sum())
    summed = (
        by_area.join(lineage_frame, on="area", how="inner")
        .group_by("ancestor")
        .agg(pl.col(keys).sum())
        .rename({"ancestor": "area"})
    )
    long = summed.unpivot(index="area", variable_name="key", value_name="value")
    return long.filter(pl.col("value") != 0).with_columns(pl.col("value").cast(pl.Int64))


def combine(*parts: pl.DataFrame) -> pl.DataFrame:
    """Add long tallies together (missing keys are zero)."""
    nonempty = [p for p in parts if p.height]
    if not nonempty:
        return pl.DataFrame(schema={"area": pl.String, "key": pl.String, "value": pl.Int64})
    return pl.concat(nonempty).group_by("area", "key").agg(pl.col("value").sum()).filter(pl.col("value") != 0).sort("area", "key")


def full_tally(tables: pl.DataFrame, sheets: pl.DataFrame, areas: pl.DataFrame, election: Election) -> pl.DataFrame:
    """The tally of every area from scratch (replay and verify use this)."""
    lin = lineage(areas, election.country)
    reg = roll_up(registration_contribution(tables), lin)
    with_roll = sheets.join(tables.select("table", "area", tf.ELECTORS), on="table", how="inner")
    return combine(reg, roll_up(sheet_contribution(with_roll, election), lin))
