"""A listing's rows with the columns it always has, so that an empty listing's CSV keeps its header.

Why a list that knows its columns: a CSV's header is the union of its rows' keys, so a listing
with no row (a docket filtered to nothing, a table with no entry yet) printed nothing at all,
not even the header a reader of the CSV looks for. The code that makes a listing's rows knows
the columns each row starts with; it says them once here, and every CSV writer (the API's
``?format=csv``, the CLI's ``--format csv``, ``formats.flat.write_csv``) writes them for an
empty one. JSON is unchanged: it is a list.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any


class Rows(list[dict[str, Any]]):
    """Rows (dicts) and ``columns``: the header of the listing's CSV when it has no row."""

    columns: tuple[str, ...]

    def __init__(self, rows: Iterable[dict[str, Any]] = (), columns: Sequence[str] = ()) -> None:
        super().__init__(rows)
        self.columns = tuple(columns)


def columns_of(rows: Sequence[dict[str, Any]]) -> tuple[str, ...]:
    """The columns a listing always has (none for a plain list)."""
    return rows.columns if isinstance(rows, Rows) else ()
