"""Every event the store is asked to append is held to the domain's field limits first.

The limits are the domain's (domain/limits.py); this module knows where each field sits in
each event: the columns of a bulk event's frame (tables, sheets, areas), and the fields named
by their key anywhere in a small event's data (a case's number, filer and tables; an audit
entry's table). Every other string of a small event is free text. A refusal is one
:class:`InputError` line naming the field, the same on SQLite and PostgreSQL, and the append
writes nothing.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import polars as pl

from escrutinio.domain import limits as lim
from escrutinio.domain.election import Election
from escrutinio.domain.limits import check_all, check_length
from escrutinio.ledger.events import EventType

Limit = tuple[int, str]
"""(the most characters, what the field is called in a refusal)"""

TABLE: Limit = (lim.TABLE_ID, "table id")
AREA: Limit = (lim.AREA_CODE, "area code")

BULK: dict[str, tuple[str, dict[str, Limit]]] = {
    EventType.AREAS_REGISTERED: (
        "areas",
        {"code": AREA, "kind": (lim.ID, "area kind"), "name": (lim.NAME, "area name"), "parent": AREA},
    ),
    EventType.TABLES_REGISTERED: ("tables", {"table": TABLE, "area": AREA, "polling_place": (lim.NAME, "polling place")}),
    EventType.SHEETS_RECORDED: (
        "sheets",
        {"table": TABLE, "state": (lim.SHORT, "sheet state"), "reasons": (lim.NAME, "reasons"), "basis": (lim.BASIS, "basis")},
    ),
}
"""Bulk events: where their rows are in the data, and the limit of each text column."""

KEYED: dict[str, Limit] = {
    "table": TABLE,
    "tables": TABLE,
    "area": AREA,
    "number": (lim.CASE_NUMBER, "case number"),
    "choice": (lim.CHOICE_ID, "choice id"),
    "filer": (lim.ID, "filer"),
    "resolution": (lim.ID, "resolution"),
    "fee_receipt": (lim.ID, "fee receipt"),
    "grounds": (lim.GROUNDS, "grounds"),
}
"""Fields of small events, by their key wherever they sit (a case summary's ``tables`` is one
comma-joined string of table ids)."""

UNCHECKED = frozenset({EventType.ELECTION_DEFINED})
"""Events whose text is a whole document (the election definition); its ids are checked by
:func:`check_election` once it is read."""


def check_event(type_: str, data: dict[str, Any], frame: pl.DataFrame | None, actor: str) -> None:
    """Refuse an event with a field over its limit (before it is sealed)."""
    check_length(actor, lim.ACTOR, "actor")
    if type_ in BULK:
        where, columns = BULK[type_]
        for column, (limit, what) in columns.items():
            if frame is not None and column in frame.columns:
                _check_series(frame[column], limit, what)
            elif isinstance(data.get(where), dict) and column in data[where]:
                check_all(data[where][column], limit, what)
        return
    if type_ in UNCHECKED:
        return
    for key, value in _strings(data):
        limit, what = KEYED.get(key, (lim.TEXT, "text"))
        if key == "tables" and "," in value:
            check_all(value.split(","), limit, what)
        else:
            check_length(value, limit, what if key in KEYED else f"{key} (text)")


def check_election(election: Election) -> None:
    """The ids an election definition brings that the store keeps in bounded columns."""
    check_all(election.contest.choice_ids, lim.CHOICE_ID, "choice id")


def _check_series(series: pl.Series, limit: int, what: str) -> None:
    if series.dtype != pl.String or series.is_empty():
        return
    lengths = series.str.len_chars()
    longest = lengths.max()
    if longest is not None and longest > limit:  # type: ignore[operator]
        check_length(series.filter(lengths == longest)[0], limit, what)


def _strings(value: Any, key: str = "") -> Iterator[tuple[str, str]]:
    """Every string in a JSON-like value, with the key it sits under (a list's items under the list's)."""
    if isinstance(value, str):
        yield key, value
    elif isinstance(value, dict):
        for k, v in value.items():
            yield from _strings(v, str(k))
    elif isinstance(value, list | tuple):
        for v in value:
            yield from _strings(v, key)
