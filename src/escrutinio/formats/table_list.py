"""A list of tables as people publish them: a CSV with a column of table ids (the 59 tables a party
highlighted, given as ``--claims``; the actas a TREP snapshot held, given as ``--order``).

Why one reader for every such list: the claims list and the count order are the same kind of file
(a header naming the table column, one row per table), and two readers drifted apart: one took
the header ``Número Mesa`` (the TREP file) and the other refused it, and ragged rows, a header
naming a column twice and a quote left open passed one of them silently. Here the header and the
rows are read once, strictly, and every fault is named ``file:line:field`` with what was expected;
what a row means (a rank, a claim) is the caller's.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from escrutinio.domain.errors import InputError, Place, Problem
from escrutinio.domain.ids import TableId, table_key
from escrutinio.formats.problems import ProblemList
from escrutinio.formats.sniff import TEXT_KINDS, kind_of
from escrutinio.formats.text import decode, read_bytes

COLUMNS = ("MESA_DE_VOTACION", "table", "mesa", "Número Mesa")
"""The names a list's table column goes by: ONPE's, ours, the short Spanish one and the Bolivian
OEP's (its TREP files). The first of them the header holds, in any case, is the table column."""
EXPECTED = "a header line with a column of table ids and one row per table"


@dataclass(frozen=True)
class ListedRow:
    """One row of a list: its line, its table id (stripped) and its other columns by header name."""

    line: int
    table: str
    fields: dict[str, str] = field(default_factory=dict)


@dataclass
class ListedRows:
    """The rows of a list file, the column the ids came from, and the problems found so far (a
    caller adds its own, such as a bad ``at``, and raises them all at once)."""

    source: str
    column: str
    header: list[str]
    rows: list[ListedRow]
    problems: ProblemList


def read_listed_rows(path: Path, expected: str = EXPECTED) -> ListedRows:
    """The rows of a list of tables; a file that cannot be read as one is an InputError naming
    ``file:line:field`` and ``expected`` (what such a file holds)."""
    source = str(path)
    if not path.is_file():
        what = "a directory" if path.is_dir() else "file not found"
        raise InputError([Problem(Place(source), f"{what}: expected a CSV file: {expected}")])
    raw = read_bytes(path)
    kind = kind_of(raw)
    if kind not in TEXT_KINDS:
        raise InputError([Problem(Place(source, 1), f"this looks like {kind}, not a CSV list of tables")])
    text = decode(raw, source, "utf-8", "save it as UTF-8")
    lines = _strict_rows(text, source)
    header = [h.strip() for h in lines[0][1]] if lines else []
    problems = ProblemList(source)
    seen: dict[str, int] = {}
    for i, name in enumerate(header, start=1):
        if name in seen:
            problems.add(1, name, f"the header names column {name!r} twice (columns {seen[name]} and {i}): expected each once")
        seen.setdefault(name, i)
    # A header's case is not its name (``TABLE``, ``Mesa``), as any CSV reader that matches names takes it.
    folded = {h.casefold(): h for h in reversed(header)}
    column = next((folded[c.casefold()] for c in COLUMNS if c.casefold() in folded), None)
    if column is None:
        problems.add(1, None, f"expected a column {', '.join(COLUMNS)}; the file has {', '.join(header)}")
    problems.raise_if_any()
    assert column is not None
    t_at = header.index(column)
    rows: list[ListedRow] = []
    for line, fields in lines[1:]:
        if not fields or (len(fields) > 1 and not any(f.strip() for f in fields)):
            continue  # a blank line (a lone "" is a row whose table id is empty)
        if len(fields) != len(header):
            where = header[len(fields)] if len(fields) < len(header) else f"field {len(header) + 1}"
            problems.add(
                line, where, f"expected {len(header)} fields as the header has ({', '.join(header)}), found {len(fields)}"
            )
            continue
        table = fields[t_at].strip()
        if not table:
            problems.add(line, column, "expected a table id, found nothing")
            continue
        rows.append(ListedRow(line, table, {h: v.strip() for h, v in zip(header, fields, strict=True) if h != column}))
    return ListedRows(source, column, header, rows, problems)


def _strict_rows(text: str, source: str) -> list[tuple[int, list[str]]]:
    """(line, fields) of every CSV row, read strictly: a quote left open is an error naming the line
    and column it opened at (a lenient reader takes the rest of the file as one field)."""
    reader = csv.reader(io.StringIO(text), strict=True)
    out: list[tuple[int, list[str]]] = []
    header: list[str] = []
    while True:
        start = reader.line_num + 1
        try:
            fields = next(reader)
        except StopIteration:
            return out
        except csv.Error as exc:
            raw = text.splitlines()[start - 1] if start <= len(text.splitlines()) else ""
            index = raw[: raw.find('"')].count(",") if '"' in raw else None
            name = header[index].strip() if index is not None and index < len(header) else None
            why = "a quote is left open" if "end of data" in str(exc) or '"' in raw else str(exc)
            raise InputError(
                [Problem(Place(source, start, name), f"{why}: expected each quoted field to end with a closing quote")]
            ) from None
        if not out:
            header = fields
        out.append((start, fields))


class TableList(list[TableId]):
    """The table ids of a list file, in order, with the file, the column and the line of each: a
    check on an id (a table not in the election) can name its place."""

    source: str = ""
    column: str = ""
    lines: list[int]

    def place(self, index: int) -> tuple[str, int, str]:
        """(file, line, column) of the ``index``-th id."""
        return self.source, self.lines[index], self.column


def read_table_list(path: Path) -> TableList:
    """The table ids in the file, in order, kept as text (leading zeros matter). A table listed twice
    is kept twice: what a repeat means is the caller's (stakes weighs it once and says so)."""
    listed = read_listed_rows(path)
    if not listed.rows and not listed.problems.total:  # a header alone lists nothing: refused as --order refuses it
        listed.problems.add(1, listed.column, f"no table is listed under the header: expected {EXPECTED}")
    listed.problems.raise_if_any()
    out = TableList(TableId(r.table) for r in listed.rows)
    out.source, out.column, out.lines = listed.source, listed.column, [r.line for r in listed.rows]
    return out


class KnownTables:
    """The election's tables, found by the id a list writes (:func:`~escrutinio.domain.ids.table_key`:
    ``52235`` finds ``052235``). Every reader of a list of tables matches through this, so that
    ``--order`` and ``--claims`` (in ``forensics`` and ``stakes``) take the same ids."""

    def __init__(self, known: Collection[str]) -> None:
        self._by_key: dict[str, list[str]] = {}
        for table in known:
            self._by_key.setdefault(table_key(table), []).append(table)

    def find(self, table: str) -> TableId | None:
        """The election's id of the listed ``table``; None when it names no table, or more than one
        once leading zeros are dropped (:meth:`why_not` says which)."""
        found = self._by_key.get(table_key(table), [])
        return TableId(found[0]) if len(found) == 1 else None

    def ambiguous(self, table: str) -> bool:
        """Whether ``table`` names more than one of the election's tables once leading zeros are dropped
        (a reader that takes unknown tables still refuses these: it cannot say which was meant)."""
        return len(self._by_key.get(table_key(table), [])) > 1

    def why_not(self, table: str) -> str:
        """Why :meth:`find` found no one table for ``table``. Ambiguous even when written exactly as
        one of them: a list that went through a spreadsheet cannot say which it meant."""
        found = sorted(self._by_key.get(table_key(table), []))
        if not found:
            return f"table {table!r} is not in this election"
        named = " and ".join(repr(t) for t in found[:3]) + (f" and {len(found) - 3} more" if len(found) > 3 else "")
        return (
            f"table {table!r} matches {len(found)} tables of this election once leading zeros are dropped "
            f"({named}): expected an id that names one table"
        )


def read_known_tables(path: Path, known: Collection[str], field: str) -> TableList:
    """The table ids of ``path`` (:func:`read_table_list`), each matched to one of ``known`` (the
    election's tables, :class:`KnownTables`: ``52235`` is ``052235``) and returned as the election
    writes it; one that matches none, or two, is an error naming its line. Every error names the
    field the file came from (``claims: FILE:LINE:FIELD: ...``; a skin words it as its option), so
    that every command refuses a file the same way."""
    try:
        found = read_table_list(path)
        tables = KnownTables(known)
        named: list[Problem] = []
        for i, listed in enumerate(found):
            table = tables.find(listed)
            if table is None:
                named.append(Problem(Place(*found.place(i)), tables.why_not(listed)))
            else:
                found[i] = table
        if named:
            raise InputError(named[:100], len(named))
    except InputError as exc:
        problems = [Problem(Place(f"{field}: {p.place.source}", p.place.line, p.place.field), p.message) for p in exc.problems]
        raise InputError(problems, exc.total, field=field) from None
    return found
