"""Maps of results: the leader's share and turnout of each area, as choropleths ready to draw.

Why here: which figure a map shows (the share among valid votes of one choice, the same on
every level: the pages give the national leader, so a department's map and its provinces' colour
the same candidate; ballots cast per registered elector of the tables in the count), which boundaries draw which results
(the geography folder the server was given, the country's code correspondence) and what to do
without them (no map; the page's table stays) are the same for the web pages and any report.
The skins get :class:`~escrutinio.geo.choropleth.Choropleth` values and write the markup.

The boundaries folder is a setting, never part of the project: ``ESCRUTINIO_GEO`` (``escrutinio
serve --geo DIR`` sets it), e.g. ../shared/data/geo-peru.
"""

from __future__ import annotations

import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from escrutinio.geo.atlas import Atlas
    from escrutinio.geo.choropleth import Choropleth

GEO_ENV = "ESCRUTINIO_GEO"
KINDS = ("leader", "turnout")
COUNTRIES = {"PE"}
"""Countries whose boundaries and code correspondence escrutinio knows (Peru's, from INEI)."""


@dataclass(frozen=True)
class AreaMap:
    """One map of the areas inside a parent: what it shows (``kind``; for ``leader`` the choice
    whose share is mapped) and the choropleth itself."""

    kind: str
    choice: Mapping[str, Any] | None
    choropleth: Choropleth


def geo_directory() -> Path | None:
    """The boundaries folder this process was given, or None (then pages show no map)."""
    value = os.environ.get(GEO_ENV)
    return Path(value) if value else None


def use_geo_directory(path: str) -> None:
    """Draw this process's maps from ``path`` (``serve --geo``); refused unless it is a folder."""
    from escrutinio.domain.errors import EscrutinioError

    if not Path(path).is_dir():
        raise EscrutinioError(f"geo: {path} is not a folder (expected GeoJSON boundaries, e.g. geo-peru)", field="geo")
    os.environ[GEO_ENV] = str(Path(path).resolve())


@cache
def atlas(directory: str) -> Atlas:
    """The boundaries of ``directory``, read once per process and kept (a few MB of shapes)."""
    from escrutinio.geo.atlas import Atlas

    return Atlas(directory)


def leader(rows: Sequence[Mapping[str, Any]]) -> str | None:
    """The choice with most votes over ``rows`` (every area inside a parent: the parent's
    leader, since an area's votes are its parts' votes); None before any vote is counted."""
    totals: dict[str, int] = {}
    for row in rows:
        for choice, votes in (row.get("votes") or {}).items():
            totals[choice] = totals.get(choice, 0) + int(votes)
    if not totals or max(totals.values()) == 0:
        return None
    return max(sorted(totals), key=lambda c: totals[c])


def values(kind: str, rows: Sequence[Mapping[str, Any]], choice: str | None) -> dict[str, tuple[str, float | None]]:
    """Each area's value for a map of ``kind``, by area code (None: nothing counted there yet)."""
    out: dict[str, tuple[str, float | None]] = {}
    for row in rows:
        value: float | None = None
        if kind == "leader":
            if choice is not None and row.get("valid"):
                value = 100 * int((row.get("votes") or {}).get(choice, 0)) / int(row["valid"])
        elif kind == "turnout":
            electors = int(row.get("electors_in_count") or 0)
            value = 100 * int(row.get("ballots_cast") or 0) / electors if electors else None
        else:
            raise ValueError(f"map kind: expected one of {', '.join(KINDS)}, got {kind!r}")
        out[str(row["area"])] = (str(row.get("name") or row["area"]), value)
    return out


def area_maps(
    rows: Sequence[Mapping[str, Any]],
    contest: Mapping[str, Any],
    level: str,
    parent: str | None,
    *,
    kinds: Sequence[str] = KINDS,
    directory: Path | None = None,
    choice: str | None = None,
) -> list[AreaMap]:
    """The maps of ``rows`` (the results of every area of ``level`` inside ``parent``; None or
    the country's code for the whole country): one per kind, or none without boundaries for
    this country. ``choice`` is whose share the ``leader`` map shows (default: the leader over
    ``rows``); a page passes the national leader so the colour means the same at every level."""
    from escrutinio.geo.choropleth import choropleth
    from escrutinio.geo.correspondence import load

    folder = directory or geo_directory()
    country = str(contest.get("country") or "")
    if folder is None or country not in COUNTRIES or not rows:
        return []
    shapes = atlas(str(folder))
    choice_id = choice if choice is not None else leader(rows)
    choices = {c["id"]: c for c in contest.get("choices") or []}
    inside = None if parent in (None, country) else parent
    out = []
    for kind in kinds:
        drawn = choropleth(shapes, load(), kind, level, inside, values(kind, rows, choice_id))
        if drawn.areas:  # abroad alone (continents, countries, cities) has nothing to draw
            out.append(AreaMap(kind, choices.get(choice_id or "", {"id": choice_id}) if kind == "leader" else None, drawn))
    return out
