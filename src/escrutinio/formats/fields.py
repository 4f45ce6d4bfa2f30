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
    """Parse a text column of counts: empty means 0; anything but a whole number is a problem.

    The whole column is parsed in one pass (polars); only rows that fail are looked at one by
    one, to say what is wrong with each.
    """
    text = frame[column].str.strip_chars()
    empty = text.is_null() | (text == "")
    digits_only = text.str.contains(r"^\d+$") | empty
    values = text.str.to_integer(strict=False)
    bad = ~digits_only | (values.is_null() & ~empty) | (values.fill_null(0) > MAX_COUNT)
    if bad.any():
        for value, line in zip(text.filter(bad).to_list(), frame["_line"].filter(bad).to_list(), strict=True):
            if value.startswith("-") and value[1:].isdigit():
                why = f"expected a non-negative whole number, got {value!r}"
            elif value.isdigit():
                why = f"number too large for one table: {value} (at most {MAX_COUNT:,})"
            else:
                why = f"expected a whole number of votes, got {value!r}"
            problems.add(line, label, why)
    return pl.select(pl.when(pl.lit(bad) | pl.lit(empty)).then(0).otherwise(pl.lit(values)).cast(pl.Int64)).to_series()


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
