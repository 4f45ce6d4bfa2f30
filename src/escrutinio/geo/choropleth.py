"""Values per area -> a choropleth: coloured, simplified SVG paths and what could not be drawn.

The skin gives the areas' figures keyed by the results' own (RENIEC) codes; this module finds
each one's INEI shape through the correspondence, simplifies the drawn shapes together as one
coverage (shared borders stay shared: no gaps, no overlaps), fits them to a pixel frame and
classes each value into a colour. It returns plain data; the markup and the words (legend,
titles, captions in the reader's language) belong to the skin's template.

Areas that cannot be drawn are returned, not dropped: ``within`` (created after the 2007
boundaries, drawn inside an ancestor's outline), ``abroad`` (voting abroad has no shape) and
``unknown`` (a code the correspondence lacks).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from escrutinio.geo.atlas import Atlas
from escrutinio.geo.correspondence import Correspondence
from escrutinio.geo.palette import SCALES, Scale
from escrutinio.geo.svg import Frame, path_data

WIDTH, HEIGHT = 560, 640
"""The frame a map is fitted into, in CSS pixels (it scales with the page: ``viewBox``)."""

TOLERANCE_PX = 0.75
"""Simplification tolerance, in pixels of the final frame: below what the eye separates."""


@dataclass(frozen=True)
class MapArea:
    """One area as mapped: its results code and name, its value and colour class, and its path
    (empty when it has no shape of its own)."""

    code: str
    name: str
    value: float | None
    colour: str
    klass: int | None
    path: str = ""


@dataclass(frozen=True)
class Choropleth:
    """A map ready for a template: areas drawn in order, the frame, the scale, and the rest."""

    kind: str
    level: str
    width: int
    height: int
    scale: Scale
    areas: list[MapArea]
    backdrop: str = ""
    within: list[MapArea] = field(default_factory=list)
    abroad: list[MapArea] = field(default_factory=list)
    unknown: list[MapArea] = field(default_factory=list)

    @property
    def all_areas(self) -> list[MapArea]:
        """Every area given, drawn or not, in code order: the data table's rows."""
        return sorted([*self.areas, *self.within, *self.abroad, *self.unknown], key=lambda a: a.code)


def choropleth(
    atlas: Atlas,
    codes: Correspondence,
    kind: str,
    level: str,
    parent: str | None,
    values: Mapping[str, tuple[str, float | None]],
) -> Choropleth:
    """The map of ``kind`` for the areas of ``level`` in ``values`` (code -> (name, value)),
    inside ``parent`` (a results code; None for the whole country)."""
    if kind not in SCALES:
        raise ValueError(f"map kind: expected one of {', '.join(SCALES)}, got {kind!r}")
    scale = SCALES[kind]
    shapes = atlas.shapes(level)
    drawn: list[tuple[MapArea, Any]] = []
    within: list[MapArea] = []
    abroad: list[MapArea] = []
    unknown: list[MapArea] = []
    for code, (name, value) in sorted(values.items()):
        area = MapArea(code, name, value, scale.colour(value), scale.classify(value))
        entry = codes.entry(code)
        if codes.abroad(code):
            abroad.append(area)
        elif entry is None:
            unknown.append(area)
        elif entry.own_shape and entry.inei in shapes:
            drawn.append((area, shapes[entry.inei].geometry))
        else:
            within.append(area)
    backdrop_geometry = _backdrop(atlas, codes, parent)
    paths, frame, backdrop = _draw([g for _, g in drawn], backdrop_geometry)
    areas = [MapArea(a.code, a.name, a.value, a.colour, a.klass, p) for (a, _), p in zip(drawn, paths, strict=True)]
    return Choropleth(kind, level, frame.width, frame.height, scale, areas, backdrop, within, abroad, unknown)


def _backdrop(atlas: Atlas, codes: Correspondence, parent: str | None) -> Any:
    """The parent's own outline, drawn beneath its children so that what has no shape reads as
    "inside, not drawn" rather than as a hole; None for the whole country."""
    entry = codes.entry(parent) if parent else None
    if entry is None:
        return None
    level = {2: "department", 4: "province", 6: "district"}[len(entry.inei)]
    shape = atlas.shapes(level).get(entry.inei)
    return shape.geometry if shape else None


def _draw(geometries: Sequence[Any], backdrop: Any) -> tuple[list[str], Frame, str]:
    import shapely

    everything = [*geometries, *([backdrop] if backdrop is not None else [])]
    if not everything:
        return [], Frame(0, 0, 1, 1, 1), ""
    bounds = tuple(shapely.total_bounds(everything))
    frame = Frame.fit(bounds, WIDTH, HEIGHT)  # type: ignore[arg-type]
    tolerance = TOLERANCE_PX / frame.scale
    simple = list(shapely.coverage_simplify(list(geometries), tolerance)) if geometries else []
    paths = [path_data(g, frame) for g in simple]
    under = path_data(shapely.simplify(backdrop, tolerance), frame) if backdrop is not None else ""
    return paths, frame, under
