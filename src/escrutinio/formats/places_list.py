"""Where each table's polling place is, read from a CSV a person gives (``--places``): a reader.

Why a file: the count-order projection takes a polling place with nothing counted from its nearest
counted place when it knows where places are (``forensics/count_order.py``), and no tally sheet says
where its place is. Bolivia's final cómputo carries each acta's recinto as ``lat`` and ``lon``
(whose origin its PROVENANCE.md cannot say). So the coordinates come from a list like the count
order's: a table column (the names every list of tables takes,
:data:`~escrutinio.formats.table_list.COLUMNS`) and ``latitude``/``longitude`` (or ``lat``/``lon``),
in degrees; other columns are ignored, so the cómputo is taken as it is.

Why an empty cell is allowed: a place whose position nobody knows is a fact of the file (the
projection falls back to like-sized places there), while a coordinate that is no number, or off the
globe, is a fault the file should fix. A table given two different positions is refused: a table sits
in one place, and choosing either would hide a join that went wrong.
"""

from __future__ import annotations

import math
from collections.abc import Collection
from dataclasses import dataclass, field
from pathlib import Path

from escrutinio.formats.table_list import COLUMNS, KnownTables, read_listed_rows

LATITUDE_NAMES = ("latitude", "lat")
LONGITUDE_NAMES = ("longitude", "lon")
EXPECTED = (
    f"a header line with a table column ({', '.join(COLUMNS)}) and latitude and longitude (or lat and lon, "
    "in degrees; an empty cell is an unknown place), one row per table"
)


@dataclass(frozen=True)
class Places:
    """Table id -> (latitude, longitude) in degrees (NaN where the file leaves them empty), the file's
    name, and how many of its tables are not in the election (their coordinates are not used)."""

    source: str
    coordinates: dict[str, tuple[float, float]] = field(default_factory=dict)
    not_in_election: int = 0


def read_places(path: Path, known: Collection[str] | None = None) -> Places:
    """The coordinates of each listed table; every malformed row is an error naming ``file:line:field``.

    The file is read as every list of tables is (:func:`~escrutinio.formats.table_list.read_listed_rows`:
    its header in any case, ragged rows, quotes, gzip). With ``known`` (the election's tables) each id
    is matched as ``--order`` matches it (:class:`~escrutinio.formats.table_list.KnownTables`:
    ``52235`` is ``052235``) and the coordinates are keyed by the election's id; a table not in the
    election is counted, not refused (a file of places can cover more than one contest's tables), and
    an id that matches two of its tables is an error.
    """
    listed = read_listed_rows(path, EXPECTED)
    problems = listed.problems
    folded = {h.casefold(): h for h in reversed(listed.header)}
    for names in (LATITUDE_NAMES, LONGITUDE_NAMES):  # both spellings: which one holds the place?
        if all(n in folded for n in names):
            both = " and ".join(folded[n] for n in names)
            problems.add(1, folded[names[1]], f"the header has both {both}: expected one column for each coordinate")
            problems.raise_if_any()
    lat_name = next((folded[n] for n in LATITUDE_NAMES if n in folded), None)
    lon_name = next((folded[n] for n in LONGITUDE_NAMES if n in folded), None)
    if lat_name is None or lon_name is None:
        wanted = " and ".join(
            " or ".join(names) for names, got in ((LATITUDE_NAMES, lat_name), (LONGITUDE_NAMES, lon_name)) if got is None
        )
        problems.add(1, None, f"expected a column {wanted}; the file has {', '.join(listed.header)}")
        problems.raise_if_any()
    assert lat_name is not None and lon_name is not None
    found: dict[str, tuple[float, float]] = {}
    first_line: dict[str, int] = {}
    unknown: set[str] = set()
    tables = KnownTables(known) if known is not None else None
    for row in listed.rows:
        where = _coordinates(row.fields.get(lat_name, ""), row.fields.get(lon_name, ""), lat_name, lon_name)
        if isinstance(where, _Bad):
            problems.add(row.line, where.field, where.message)
            continue
        lat, lon = where
        table = row.table
        if tables is not None:  # matched as --order matches (``52235`` is ``052235``), keyed by the election's id
            match = tables.find(table)
            if match is None:
                if tables.ambiguous(table):  # two of its tables: which is meant?
                    problems.add(row.line, listed.column, tables.why_not(table))
                unknown.add(table)
                continue
            table = match
        before = found.get(table)
        if before is not None and not math.isnan(before[0]) and not math.isnan(lat) and before != (lat, lon):
            problems.add(
                row.line,
                lat_name,
                f"table {table!r} is given two places' coordinates: {before[0]}, {before[1]} on line "
                f"{first_line[table]} and {lat}, {lon} here: expected one place per table",
            )
            continue
        if before is None or math.isnan(before[0]):
            found[table], first_line[table] = (lat, lon), row.line
    if not listed.rows and not problems.total:
        problems.add(1, listed.column, f"no table is listed under the header: expected {EXPECTED}")
    problems.raise_if_any()
    return Places(path.name, found, len(unknown))


@dataclass(frozen=True)
class _Bad:
    """A cell that cannot be taken: its column and what was expected there."""

    field: str
    message: str


def _coordinates(lat: str, lon: str, lat_name: str, lon_name: str) -> tuple[float, float] | _Bad:
    """(latitude, longitude) in degrees, NaN for both when both cells are empty; or why a cell cannot
    be taken."""
    if not lat and not lon:
        return math.nan, math.nan
    values: list[float] = []
    for text, name, bound in ((lat, lat_name, 90.0), (lon, lon_name, 180.0)):
        if not text:
            other = lon_name if name == lat_name else lat_name
            return _Bad(name, f"expected a {name} beside the {other}, or both empty (an unknown place), found nothing")
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not math.isfinite(value):
            return _Bad(name, f"expected a number of degrees (a dot for decimals), got {text!r}")
        if abs(value) > bound:
            return _Bad(name, f"expected degrees from {-bound:g} to {bound:g}, got {text!r}")
        values.append(value)
    return values[0], values[1]
