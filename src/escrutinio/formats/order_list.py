"""The real order of the count, read from a CSV a person gives (``--order``): a reader, so it lives with the readers.

Why a file: a count-order story is only worth telling on the order in which sheets were really
counted. A file's row order, or the order in which a bulk load wrote sheets into the log, is not
that order (Russia's file is alphabetical by region; Bolivia's by acta number). So the order comes
from a list of the tables counted (column ``table``), optionally with ``at`` — a time
(ISO 8601) or a rank (an integer, 0 or more). Tables not listed are not yet counted.

Why the rows' order means nothing: a list of the actas a snapshot held (Bolivia's TREP of 20 Oct
19:40) is one set counted by one moment, whatever order its rows are in. Reading the rows' order as
the order of the count split such a set into made-up intermediate cuts, and the projection then
depended on how the file happened to be sorted. So without ``at`` every listed table shares one
moment, and tables with equal ``at`` do too: the count is cut only where ``at`` changes.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime
from pathlib import Path

from escrutinio.formats.table_list import COLUMNS, KnownTables, read_listed_rows

EXPECTED = "a header line with a column table (optional at: a time or a rank) and one row per counted table"


def read_order(path: Path, known: Collection[str] | None = None) -> dict[str, int]:
    """Table id -> rank in the count (1 = counted first; tables counted at one moment share a rank).

    Without an ``at`` column every listed table has rank 1 (one set, counted by one moment). With
    ``known`` (the election's tables), each listed id is matched to one of them
    (:class:`~escrutinio.formats.table_list.KnownTables`: ``52235`` is ``052235``) and the ranks are
    keyed by the election's id; an id that matches none, or two, is an error. The file
    is read as every list of tables is (:func:`~escrutinio.formats.table_list.read_listed_rows`: its
    header, in any case, ragged rows, quotes); every malformed row is reported, each as
    ``file:line:field``.

    A table listed twice is refused, at one moment or at two. Why not "weighed once", as a claims
    list does: a party's list of complaints can name a table twice for two complaints, but an order
    is the record of a count, where each table is counted once; a repeat says the file is not that
    record (two snapshots concatenated, a join that doubled rows), and the projection's cuts would
    rest on a file nobody checked.
    """
    listed = read_listed_rows(path, EXPECTED)
    problems, column = listed.problems, listed.column
    tables = KnownTables(known) if known is not None else None
    at_name = next((h for h in listed.header if h.casefold() == "at"), None)  # "AT" as any CSV reader takes it
    with_at = at_name is not None
    seen: dict[str, tuple[int, str]] = {}  # table -> (first line, its at)
    keys: dict[str, tuple[int | float, bool | None]] = {}  # table -> (key, whether the time carries a UTC offset)
    kinds: dict[str, int] = {}  # "a time" / "a rank" -> first line with it
    for row in listed.rows:
        line, table, raw = row.line, row.table, row.fields.get(at_name or "at", "")
        written = table
        if tables is not None:  # a repeat is judged on the table named, however its id is written
            found = tables.find(table)
            if found is None:  # refused; its ``at`` is still read, so that every fault of the row is named
                problems.add(line, column, tables.why_not(table))
            table = found or table
        if table in seen:
            first, at = seen[table]
            when = "at one moment" if at == raw else f"at two moments ({at!r} on line {first}, {raw!r} here)"
            named = f"{table!r}" if written == table else f"{table!r} (written {written!r} here)"
            problems.add(
                line,
                column,
                f"table {named} is listed twice {when}, first on line {first}: expected each counted table once "
                "(an order records a count, where a table is counted once)",
            )
            continue
        seen[table] = (line, raw)
        if not with_at:
            keys[table] = (0.0, None)
            continue
        key = _key(raw)
        if isinstance(key, str):
            problems.add(line, at_name, f"{key}, got {raw!r}")
            continue
        kind = "a rank" if key[1] is None else "a time"
        first = kinds.setdefault(kind, line)
        other = next((k for k in kinds if k != kind), None)
        if other is not None and first == line:
            problems.add(
                line, at_name, f"expected {other} as on line {kinds[other]} (times and ranks cannot be mixed), got {raw!r}"
            )
            continue
        keys[table] = key
    offsets = [(aware, t) for t, (_, aware) in keys.items() if aware is not None]
    if len({aware for aware, _ in offsets}) > 1:  # the first time whose kind differs from the first's
        line = next(seen[t][0] for aware, t in offsets if aware != offsets[0][0])
        problems.add(line, at_name, "expected every time with a UTC offset or every time without one, not both")
    if not seen and not problems.total:
        problems.add(1, column, f"no table is listed under the header: expected {EXPECTED}")
    problems.raise_if_any()
    distinct = sorted({k for k, _ in keys.values()})
    rank = {k: r + 1 for r, k in enumerate(distinct)}
    return {t: rank[k] for t, (k, _) in keys.items()}


TABLE_COLUMNS = COLUMNS
"""The table column's names: those of every list of tables (:data:`~escrutinio.formats.table_list.COLUMNS`)."""


def _key(text: str) -> tuple[int | float, bool | None] | str:
    """(sort key, whether a time carries a UTC offset; None for a rank), or what was expected. A rank
    stays the integer it is: as a float, ranks above 2**53 collapsed into one."""
    if text.lstrip("-").isdigit():
        if text.startswith("-"):
            return "expected a rank of 0 or more"
        return int(text), None
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        return "expected a time (ISO 8601) or a rank (an integer)"
    return moment.timestamp(), moment.tzinfo is not None


def ranks_of(times: dict[str, str]) -> dict[str, int]:
    """Table -> rank of its ISO 8601 time (1 = earliest; equal times share a rank): the times the
    log recorded each table's sheet, as :func:`read_order` ranks a file's ``at``."""
    distinct = sorted(set(times.values()), key=lambda t: datetime.fromisoformat(t).timestamp())
    rank = {t: r + 1 for r, t in enumerate(distinct)}
    return {table: rank[t] for table, t in times.items()}
