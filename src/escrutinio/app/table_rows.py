"""A polling table's figures as JSON and as CSV give them, from the one flat row the count keeps.

Why two shapes: the listing of tables (:meth:`CountService.tables`) is a frame's rows, flat as
their CSV (``v_PL``, ``reasons`` joined with commas, ``final_at_source_despite`` empty when no
rule is broken), which the count reads; a JSON reader expects what every other
results row gives (``votes.PL`` nested, lists as lists, ``ballots_cast``), and a CSV reader the
JSON's keys flattened with dots, as every other CSV (``votes.PL``, ``ballots_cast``). And a table with no
sheet yet has no version to list: its CSV still says what its JSON says (a header, and one row
with its state and electors), never an empty body.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

CHOICE_PREFIX = "v_"
"""How the flat row names a choice's votes (``domain.table_frame.CHOICE_PREFIX``)."""
FLAT_ONLY = {"cast": "ballots_cast"}
"""Flat names the JSON rows of results spell otherwise."""


def _listed(text: str | None) -> list[str]:
    return text.split(",") if text else []


def table_json(row: dict[str, Any], choices: Sequence[str]) -> dict[str, Any]:
    """One row of the tables listing as JSON: the votes under ``votes`` (None while the table has
    no sheet), ``reasons`` and ``final_at_source_despite`` as lists, ``cast`` as ``ballots_cast``."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        if key.startswith(CHOICE_PREFIX) and key[len(CHOICE_PREFIX) :] in choices:
            if "votes" not in out:
                has_sheet = row.get("version") is not None
                out["votes"] = {c: row.get(f"{CHOICE_PREFIX}{c}") for c in choices} if has_sheet else None
        elif key in ("reasons", "final_at_source_despite"):
            out[key] = _listed(value)
        else:
            out[FLAT_ONLY.get(key, key)] = value
    return out


LISTED = ("reasons", "final_at_source_despite")
"""The flat row's comma-joined lists: the JSON's lists, which a CSV joins with ``;``
(``formats.flat.flatten``)."""


def table_csv(rows: Sequence[dict[str, Any]], choices: Sequence[str]) -> list[dict[str, Any]]:
    """Rows of the tables listing as CSV: the JSON row's keys flattened with dots (``votes.PL``,
    ``ballots_cast``), as every other CSV names them, not the flat row's own (``v_PL``, ``cast``).

    Why not ``flatten(table_json(row))``: the same names, but a national listing (86,488 tables,
    published every minute) would build each row twice; renaming the flat row's keys is one pass.
    A table without a sheet keeps its ``votes.PL`` columns, empty (its JSON's ``votes`` is null)."""
    names = {f"{CHOICE_PREFIX}{c}": f"votes.{c}" for c in choices} | FLAT_ONLY
    out = []
    for row in rows:
        flat = {names.get(key, key): value for key, value in row.items()}
        for key in LISTED:
            if key in flat:
                flat[key] = ";".join(_listed(flat[key]))
        out.append(flat)
    return out


def version_rows(table: dict[str, Any], choices: Sequence[str]) -> list[dict[str, Any]]:
    """The CSV of one table (``CountService.table``): a row per version of its sheet, or, before
    any, one row with the columns a version has, holding what is known (the table, its area,
    electors and state)."""
    if table["versions"]:
        return list(table["versions"])
    figures = dict.fromkeys(("ballots_cast", "blank", "null", "challenged"))
    return [
        {
            "table": table["table"],
            "area": table["area"],
            "version": None,
            "state": table["state"],
            "reasons": [],
            "basis": None,
            "electors": table["electors"],
            **figures,
            "votes": dict.fromkeys(choices),
            "event": None,
            "current": None,
            "at": None,
            "actor": None,
            "despite": [],
        }
    ]
