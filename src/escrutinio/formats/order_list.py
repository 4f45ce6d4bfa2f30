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

import csv
import io
from collections.abc import Collection
from datetime import datetime
from pathlib import Path

from escrutinio.domain.errors import InputError, Place, Problem
from escrutinio.formats.problems import ProblemList

TABLE_COLUMNS = ("table", "MESA_DE_VOTACION", "mesa", "Número Mesa")
EXPECTED = "a header line with a column table (optional at: a time or a rank) and one row per counted table"


def read_order(path: Path, known: Collection[str] | None = None) -> dict[str, int]:
    """Table id -> rank in the count (1 = counted first; tables counted at one moment share a rank).

    Without an ``at`` column every listed table has rank 1 (one set, counted by one moment). With
    ``known`` (the election's tables), a listed table that is not one of them is an error. Every
    malformed row is reported, each as ``file:line:field``.
    """
    from escrutinio.formats.text import decode, read_bytes

    source = str(path)
    if not path.is_file():
        what = "a directory" if path.is_dir() else "file not found"
        raise InputError([Problem(Place(source), f"{what}: expected a CSV file: {EXPECTED}")])
    text = decode(read_bytes(path), source, "utf-8", "save it as UTF-8")
    rows = csv.reader(io.StringIO(text))
    header = [h.strip() for h in next(rows, [])]
    column = next((c for c in TABLE_COLUMNS if c in header), None)
    if column is None:
        raise InputError(
            [Problem(Place(source, 1), f"expected a column {', '.join(TABLE_COLUMNS)}; the file has {', '.join(header)}")]
        )
    t_at, a_at = header.index(column), (header.index("at") if "at" in header else None)
    problems = ProblemList(source)
    seen: dict[str, int] = {}
    keys: dict[str, tuple[float, bool | None]] = {}  # table -> (key, whether the time carries a UTC offset)
    kinds: dict[str, int] = {}  # "a time" / "a rank" -> first line with it
    for fields in rows:
        line = rows.line_num
        if not any(f.strip() for f in fields):
            continue
        table = fields[t_at].strip() if t_at < len(fields) else ""
        if not table:
            problems.add(line, column, "expected a table id, found nothing")
            continue
        if table in seen:
            problems.add(line, column, f"table {table!r} is listed twice (first on line {seen[table]})")
            continue
        seen[table] = line
        if known is not None and table not in known:
            problems.add(line, column, f"table {table!r} is not in this election")
        if a_at is None:
            keys[table] = (0.0, None)
            continue
        raw = fields[a_at].strip() if a_at < len(fields) else ""
        key = _key(raw)
        if isinstance(key, str):
            problems.add(line, "at", f"{key}, got {raw!r}")
            continue
        kind = "a rank" if key[1] is None else "a time"
        first = kinds.setdefault(kind, line)
        other = next((k for k in kinds if k != kind), None)
        if other is not None and first == line:
            problems.add(line, "at", f"expected {other} as on line {kinds[other]} (times and ranks cannot be mixed), got {raw!r}")
            continue
        keys[table] = key
    offsets = [(aware, t) for t, (_, aware) in keys.items() if aware is not None]
    if len({aware for aware, _ in offsets}) > 1:  # the first time whose kind differs from the first's
        line = next(seen[t] for aware, t in offsets if aware != offsets[0][0])
        problems.add(line, "at", "expected every time with a UTC offset or every time without one, not both")
    if not seen and not problems.total:
        problems.add(1, column, f"no table is listed under the header: expected {EXPECTED}")
    problems.raise_if_any()
    distinct = sorted({k for k, _ in keys.values()})
    rank = {k: r + 1 for r, k in enumerate(distinct)}
    return {t: rank[k] for t, (k, _) in keys.items()}


def _key(text: str) -> tuple[float, bool | None] | str:
    """(sort key, whether a time carries a UTC offset; None for a rank), or what was expected."""
    if text.lstrip("-").isdigit():
        if text.startswith("-"):
            return "expected a rank of 0 or more"
        return float(int(text)), None
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
