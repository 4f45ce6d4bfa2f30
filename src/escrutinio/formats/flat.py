"""Nested records as flat CSV rows: nested fields named with dots (``votes.PL``), booleans
``true``/``false`` as in JSON.

One spelling for every CSV escrutinio writes: the CLI's ``--format csv`` (``output``) and the
static files ``escrutinio publish`` writes (``app.publish``) flatten the same way, so a
published CSV is byte for byte what the command prints.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from typing import Any

from escrutinio.domain.rows import columns_of


def flatten(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"votes": {"PL": 1}}`` -> ``{"votes.PL": 1}``; a list of scalars joined with ``;``
    (lists of records have no flat form and are left out)."""
    out: dict[str, Any] = {}
    for key, value in row.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            out.update(flatten(value, f"{name}."))
        elif isinstance(value, list):
            if all(not isinstance(v, dict | list) for v in value):
                out[name] = ";".join("" if v is None else str(v) for v in value)
        else:
            out[name] = value
    return out


def write_csv(rows: Sequence[dict[str, Any]], out: Any, empty: Sequence[str] = ()) -> None:
    """Write ``rows`` flattened to the text stream ``out``: one header, the union of every row's
    columns in order of first appearance (a row without a column leaves it empty); with no row,
    the header is ``empty``, else the columns the listing always has (``domain.rows.Rows``), so
    that a reader of an empty listing still finds its header line rather than a blank one."""
    empty = empty or columns_of(rows)
    flat = [flatten(r) for r in rows]
    if flat or not empty:
        write_flat_csv(flat, out)
    else:
        csv.writer(out, lineterminator="\n").writerow(empty)


def write_flat_csv(flat: Sequence[dict[str, Any]], out: Any) -> None:
    """:func:`write_csv` of rows already flat (a caller writing many files from the same rows
    flattens each row once)."""
    columns: dict[str, None] = {}
    for r in flat:
        columns.update(dict.fromkeys(r))
    names = list(columns)
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(names)
    writer.writerows([[_BOOLEANS[v] if v.__class__ is bool else v for v in map(r.get, names)] for r in flat])


_BOOLEANS = {True: "true", False: "false"}
"""How a CSV cell spells a boolean: as JSON does (and polars' CSV writer, ``escrutinio export``),
never Python's ``True``; a row without a column leaves it empty (None is written empty)."""


def csv_bytes(flat: Sequence[dict[str, Any]]) -> bytes:
    """The CSV text of rows already flat (as :func:`write_flat_csv` writes it), UTF-8."""
    out = io.StringIO()
    write_flat_csv(flat, out)
    return out.getvalue().encode("utf-8")
