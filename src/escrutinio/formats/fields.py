"""Column-wise checks that turn text fields into exact integers, naming every bad place.

Readers load every field as text, then check whole columns at once (polars), so a file of a
million rows is checked in C, and each failure still comes back as ``file:line:field``.
"""

from __future__ import annotations

import polars as pl

from escrutinio.domain.sheet import MAX_COUNT
from escrutinio.formats.problems import ProblemList

VALUE = "__value__"


def count_columns(frame: pl.DataFrame, columns: list[str], problems: ProblemList) -> dict[str, pl.Series]:
    """Parse text columns of counts: empty means 0; anything but a whole number is a problem.

    Every column is parsed and checked in one polars pass each step (the columns in parallel);
    only the rows that fail are looked at one by one, to say what is wrong with each.
    """
    names = list(dict.fromkeys(columns))
    text = frame.select(pl.col(names).str.strip_chars())
    values = text.select(pl.col(names).str.to_integer(strict=False))
    # A count is digits only: the integer parser also takes a sign ("+5", "-0"), which is not.
    bad = pl.concat([text, values.select(pl.col(names).name.prefix(VALUE))], how="horizontal").select(
        (
            pl.col(n).is_not_null()
            & (pl.col(n) != "")
            & (
                pl.col(VALUE + n).is_null()
                | ~pl.col(VALUE + n).is_between(0, MAX_COUNT)
                | pl.col(n).str.starts_with("+")
                | pl.col(n).str.starts_with("-")
            )
        ).alias(n)
        for n in names
    )
    flagged = bad.select(pl.all().any()).row(0)
    out = {}
    for name, any_bad in zip(names, flagged, strict=True):
        if any_bad:
            where = bad[name]
            for value, line in zip(text[name].filter(where).to_list(), frame["_line"].filter(where).to_list(), strict=True):
                problems.add(line, name, _why(value))
            out[name] = values.select(pl.when(where).then(0).otherwise(pl.col(name)).fill_null(0)).to_series()
        else:
            out[name] = values[name].fill_null(0)
    return out


def _why(value: str) -> str:
    if value.startswith("-") and value[1:].isdigit():
        return f"expected a non-negative whole number, got {value!r}"
    if value.isdigit():
        return f"number too large for one table: {value} (at most {MAX_COUNT:,})"
    return f"expected a whole number of votes, got {value!r}"


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
