"""Column-wise checks that turn text fields into exact integers, naming every bad place.

Readers load every field as text, then check whole columns at once (polars), so a file of a
million rows is checked in C, and each failure still comes back as ``file:line:field``.
"""

from __future__ import annotations

import polars as pl

from escrutinio.domain.errors import InputError, Place, Problem

MAX_COUNT = 10_000_000
"""No single polling table plausibly has more ballots than this; larger numbers are typos or
overflow attempts and are refused rather than stored."""

MAX_PROBLEMS = 50


class ProblemList:
    """Collects problems across checks; raises one InputError with all of them (capped)."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.items: list[Problem] = []
        self.total = 0

    def add(self, line: int | None, field: str | None, message: str) -> None:
        self.total += 1
        if len(self.items) < MAX_PROBLEMS:
            self.items.append(Problem(Place(self.source, line, field), message))

    def raise_if_any(self) -> None:
        if self.items:
            raise InputError(sorted(self.items, key=lambda p: p.place.line or 0), self.total)


def count_column(frame: pl.DataFrame, column: str, label: str, problems: ProblemList) -> pl.Series:
    """Parse a text column of counts: empty means 0; anything but digits is a problem."""
    text = frame[column].str.strip_chars().fill_null("")
    text = pl.select(pl.when(text == "").then(pl.lit("0")).otherwise(text)).to_series()
    ok = text.str.contains(r"^\d{1,8}$")
    if not ok.all():
        bad = frame.with_columns(_t=text).filter(~ok)
        for value, line in zip(bad["_t"].to_list(), bad["_line"].to_list(), strict=True):
            if value.lstrip("-").isdigit() and value.startswith("-"):
                why = f"expected a non-negative whole number, got {value!r}"
            elif value.isdigit():
                why = f"number too large for one table: {value} (at most {MAX_COUNT:,})"
            else:
                why = f"expected a whole number of votes, got {value!r}"
            problems.add(line, label, why)
        text = pl.select(pl.when(ok).then(text).otherwise(pl.lit("0"))).to_series()
    values = text.cast(pl.Int64)
    big = values > MAX_COUNT
    if big.any():
        for value, line in zip(values.filter(big).to_list(), frame["_line"].filter(big).to_list(), strict=True):
            problems.add(line, label, f"number too large for one table: {value} (at most {MAX_COUNT:,})")
    return values


def require_pattern(frame: pl.DataFrame, column: str, pattern: str, expected: str, problems: ProblemList) -> None:
    """Every value of a text column must match ``pattern`` (e.g. six digits for a table id)."""
    values = frame[column].fill_null("")
    ok = values.str.contains(pattern)
    if not ok.all():
        bad = frame.filter(~ok)
        for value, line in zip(bad[column].fill_null("").to_list(), bad["_line"].to_list(), strict=True):
            problems.add(line, column, f"expected {expected}, got {value!r}")


def duplicate_tables(frame: pl.DataFrame, key: str, label: str, compare: list[str], problems: ProblemList) -> pl.DataFrame:
    """Drop exact duplicate rows of a table; a table repeated with other figures is a problem.

    Loading the same sheet twice must change nothing, so an identical repeat is harmless; a
    repeat with other counts is a conflict the file itself contains.
    """
    counts = frame.group_by(key).len()
    if counts["len"].max() in (None, 1):
        return frame
    first = frame.unique(subset=[key, *compare], keep="first", maintain_order=True)
    clash = first.filter(pl.col(key).is_duplicated())
    if clash.height:
        firsts = clash.group_by(key).agg(pl.col("_line").min().alias("_first"))
        clash = clash.join(firsts, on=key).filter(pl.col("_line") != pl.col("_first"))
        for table, line, at in clash.select(key, "_line", "_first").iter_rows():
            problems.add(line, label, f"table {table} appears again with other counts (first at line {at})")
    return first.unique(subset=[key], keep="first", maintain_order=True)
