"""A list of tables as people publish them (e.g. the 59 tables a party highlighted): a CSV with
one column of table ids, named MESA_DE_VOTACION (ONPE's name), table or mesa."""

from __future__ import annotations

from pathlib import Path

from escrutinio.domain.errors import InputError, Place, Problem
from escrutinio.domain.ids import TableId

COLUMNS = ("MESA_DE_VOTACION", "table", "mesa")


def read_table_list(path: Path) -> list[TableId]:
    """The table ids in the file, in order, kept as text (leading zeros matter)."""
    import polars as pl

    try:
        frame = pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise InputError([Problem(Place(str(path)), f"cannot read the list of tables ({str(exc).splitlines()[0]})")]) from None
    column = next((c for c in COLUMNS if c in frame.columns), None)
    if column is None:
        raise InputError([Problem(Place(str(path), 1), f"expected a column {', '.join(COLUMNS)}")])
    tables = frame[column].fill_null("").str.strip_chars()
    empty = [i + 2 for i, t in enumerate(tables.to_list()) if not t]
    if empty:
        raise InputError([Problem(Place(str(path), empty[0], column), "expected a table id, found nothing")])
    return [TableId(t) for t in tables.to_list()]
