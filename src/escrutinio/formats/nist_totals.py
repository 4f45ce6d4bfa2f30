"""Observations on an ElectionReport's area totals: an area's counts that differ from the sum of
its lowest units, or its ballots that do not add up to its votes.

A report states every area's counts beside its tables'. escrutinio counts the tables (the
sheets) and computes the areas from them, so an area's own figures are never loaded; when
they disagree with the tables the report is inconsistent, and that is worth saying, as any
other source's inconsistency is: not by refusing the file (the sheets themselves may be right,
and they are what is counted), but as observations naming the unit and the fields, listed by
the load and recorded in the log with its sheets. A table's own ballots against its votes are
the counting rules' (``intake.checks``): refused, or observed with ``--invalid observe``.
"""

from __future__ import annotations

from collections.abc import Mapping

import polars as pl

from escrutinio.domain.errors import Place, Problem

CAST, VALID, BLANK, NULL, CHALLENGED = "cast", "valid", "blank", "null", "challenged"
BALLOT_FIGURES = {
    CAST: "BallotsCast",
    VALID: "BallotCounts valid",
    BLANK: "Undervotes (blank)",
    NULL: "Overvotes (null)",
    CHALLENGED: "BallotCounts challenged",
}
"""Each ballot figure of a unit (a column of the figures frame) by its name in the report."""

MAX_OBSERVATIONS = 100
"""Areas named at the most; the load says how many more there are."""


def totals_observations(
    source: str, units: pl.DataFrame, figures: pl.DataFrame, votes: Mapping[str, str], lowest: pl.Expr
) -> tuple[list[Problem], int]:
    """(up to :data:`MAX_OBSERVATIONS` observations, how many areas have one).

    ``units``: every GpUnit (``gp``, ``line`` from 1, ``code``, ``kind``, ``parent``);
    ``figures``: each unit's own counts of type total (``gp``; the vote columns of ``votes``,
    column -> the selection's object id; and those of :data:`BALLOT_FIGURES`), null where the
    report gives none; ``lowest``: which units are the lowest (the tables).
    """
    table = units.join(figures, on="gp", how="left")
    columns = list(votes)
    zero = [pl.col(c).fill_null(0) for c in columns]
    low = table.filter(lowest).select(
        "parent",
        *zero,
        pl.sum_horizontal(zero).alias(VALID),
        *(pl.col(c).fill_null(0) for c in (BLANK, NULL, CHALLENGED)),
        # A table may leave out its ballots cast: they are then the sum of its lines (as read).
        pl.coalesce(CAST, pl.sum_horizontal(*zero, *(pl.col(c).fill_null(0) for c in (BLANK, NULL, CHALLENGED)))).alias(CAST),
    )
    sums = low.group_by("parent").agg(pl.len().alias("n"), pl.exclude("parent").sum())
    areas = table.filter(~lowest)
    parent_of = dict(zip(areas["gp"].to_list(), areas["parent"].to_list(), strict=True))
    pairs = [(gp, above) for gp in parent_of for above in _chain(gp, parent_of)]
    chain = pl.DataFrame(pairs, schema={"parent": pl.String, "area": pl.String}, orient="row")
    below = sums.join(chain, on="parent").drop("parent").group_by("area").sum()
    compared = areas.join(below, left_on="gp", right_on="area", how="left", suffix="_units")
    found: list[Problem] = []
    total = 0
    names = {**{c: f"VoteCounts of {gp}" for c, gp in votes.items()}, **BALLOT_FIGURES}
    for row in compared.sort("line").iter_rows(named=True):
        differences = [
            f"{names[f]} {row[f]:,} but its units' {row[f + '_units'] or 0:,}"
            for f in (*columns, *BALLOT_FIGURES)
            if row[f] is not None and row[f] != (row[f + "_units"] or 0)
        ]
        parts = [f"its counts differ from the sum of its {row['n'] or 0:,} lowest units: {'; '.join(differences)}"]
        parts = (parts if differences else []) + _own_arithmetic(row, columns)
        if not parts:
            continue
        total += 1
        if len(found) < MAX_OBSERVATIONS:
            where = Place(source, None, f"$.GpUnit[{row['line'] - 1}]")
            found.append(Problem(where, f"area {row['code']} ({row['kind']}): " + "; ".join(parts)))
    return found, total


def _chain(gp: str, parent_of: Mapping[str, str | None]) -> list[str]:
    """The area and every area above it (a cycle or a runaway tree stops after 16 steps)."""
    out: list[str] = []
    node: str | None = gp
    while node is not None and node in parent_of and len(out) < 16:
        out.append(node)
        node = parent_of[node]
    return out


def _own_arithmetic(row: Mapping[str, int | None], columns: list[str]) -> list[str]:
    """An area's valid votes against the sum of its own ``VoteCounts``.

    Its ballots cast are not held to its lines: a table counted at its source although its
    figures break the arithmetic rule (``final_at_source_despite``) carries its difference
    into every area above it, faithfully; that table is where it is observed. An area whose
    ballots differ from its tables' is named by the comparison with its units."""
    votes = sum(row[c] or 0 for c in columns)
    valid = row[VALID]
    if valid is not None and valid != votes:
        return [f"{BALLOT_FIGURES[VALID]} {valid:,} but its VoteCounts add up to {votes:,}"]
    return []
