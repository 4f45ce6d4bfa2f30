"""A list of tables as people publish them (e.g. the 59 tables a party highlighted): a CSV with
one column of table ids, named MESA_DE_VOTACION (ONPE's name), table or mesa."""

from __future__ import annotations

import io
from collections.abc import Collection
from pathlib import Path

from escrutinio.domain.errors import InputError, Place, Problem
from escrutinio.domain.ids import TableId
from escrutinio.formats.problems import ProblemList
from escrutinio.formats.sniff import TEXT_KINDS, kind_of
from escrutinio.formats.text import decode, read_bytes

COLUMNS = ("MESA_DE_VOTACION", "table", "mesa")


class TableList(list[TableId]):
    """The table ids of a list file, in order, with the file and the column they came from: the
    i-th id is on line i + 2, so a check on an id (a table not in the election) can name its place."""

    source: str = ""
    column: str = ""

    def place(self, index: int) -> tuple[str, int, str]:
        """(file, line, column) of the ``index``-th id."""
        return self.source, index + 2, self.column


def read_table_list(path: Path) -> TableList:
    """The table ids in the file, in order, kept as text (leading zeros matter)."""
    import polars as pl

    source = str(path)
    raw = read_bytes(path)
    kind = kind_of(raw)
    if kind not in TEXT_KINDS:
        raise InputError([Problem(Place(source, 1), f"this looks like {kind}, not a CSV list of tables")])
    text = decode(raw, source, "utf-8", "save it as UTF-8")
    try:
        frame = pl.read_csv(io.StringIO(text), infer_schema=False)
    except pl.exceptions.PolarsError as exc:
        raise InputError([Problem(Place(source), f"cannot read the list of tables ({str(exc).splitlines()[0]})")]) from None
    column = next((c for c in COLUMNS if c in frame.columns), None)
    if column is None:
        raise InputError(
            [Problem(Place(source, 1), f"expected a column {', '.join(COLUMNS)}; the file has {', '.join(frame.columns)}")]
        )
    tables = frame[column].fill_null("").str.strip_chars().to_list()
    problems = ProblemList(source)
    for line, table in enumerate(tables, start=2):
        if not table:
            problems.add(line, column, "expected a table id, found nothing")
    problems.raise_if_any()
    out = TableList(TableId(t) for t in tables)
    out.source, out.column = source, column
    return out


def read_known_tables(path: Path, known: Collection[str], field: str) -> TableList:
    """The table ids of ``path`` (:func:`read_table_list`), each one of ``known`` (the election's
    tables): one that is not is an error naming its line. Every error names the field the file came
    from (``claims: FILE:LINE:FIELD: ...``; a skin words it as its option), so that every command
    refuses a file the same way."""
    try:
        found = read_table_list(path)
        unknown = [i for i, t in enumerate(found) if t not in known]
        if unknown:
            named = [Problem(Place(*found.place(i)), f"table {found[i]!r} is not in this election") for i in unknown[:100]]
            raise InputError(named, len(unknown))
    except InputError as exc:
        problems = [Problem(Place(f"{field}: {p.place.source}", p.place.line, p.place.field), p.message) for p in exc.problems]
        raise InputError(problems, exc.total, field=field) from None
    return found
