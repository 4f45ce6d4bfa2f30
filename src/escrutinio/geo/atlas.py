"""The boundaries folder read once: INEI-coded shapes per level, projected for drawing.

The folder is given to the server (``escrutinio serve --geo DIR`` or ``ESCRUTINIO_GEO``), never
copied into the project: its files keep their publisher's licence and provenance beside them.
Expected files (those of ../shared/data/geo-peru): one GeoJSON per level, each feature carrying
its INEI code and name in the properties named in :data:`FILES`.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from escrutinio.domain.errors import EscrutinioError
from escrutinio.geo.correspondence import ShapeName, fold


@dataclass(frozen=True)
class LevelFile:
    """Where one level's shapes are and which properties hold their code and name."""

    file: str
    code: str
    name: str
    parent: str | None  # the property holding the parent's code; None: the code's prefix


FILES = {
    "department": LevelFile("peru_departamental_simple.geojson", "FIRST_IDDP", "NOMBDEP", None),
    "province": LevelFile("peru_provincial_simple.geojson", "FIRST_IDPR", "NOMBPROV", None),
    "district": LevelFile("peru_distrital_simple.geojson", "IDDIST", "NOMBDIST", "IDPROV"),
}
CODE_WIDTH = {"department": 2, "province": 4, "district": 6}


class GeoError(EscrutinioError):
    """The boundaries folder or one of its files is not what a map needs (one line, naming it)."""


@dataclass(frozen=True)
class Shape:
    """One area's boundary, in the projection's metres (see :mod:`.projection`)."""

    code: str
    name: str
    parent: str
    geometry: Any  # shapely Polygon or MultiPolygon
    aliases: tuple[str, ...] = ()  # other names features of the same code carry (a typo upstream)


class Atlas:
    """Shapes by level and INEI code, read lazily from ``directory`` and kept for the process."""

    def __init__(self, directory: str | Path) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise GeoError(f"geo: {self.directory} is not a folder (expected the GeoJSON boundaries, e.g. geo-peru)", field="geo")
        self._levels: dict[str, dict[str, Shape]] = {}

    def shapes(self, level: str) -> dict[str, Shape]:
        """Every area of ``level`` that has a drawable boundary, by INEI code."""
        if level not in self._levels:
            self._levels[level] = self._read(level)
        return self._levels[level]

    @cached_property
    def names(self) -> list[ShapeName]:
        """Every drawable area's folded name under its parent: what the correspondence matches."""
        return [
            ShapeName(s.code, fold(name), s.parent)
            for level in FILES
            for s in self.shapes(level).values()
            for name in (s.name, *s.aliases)
        ]

    def _read(self, level: str) -> dict[str, Shape]:
        import shapely

        from escrutinio.geo.projection import project

        spec = FILES[level]
        path = self.directory / spec.file
        try:
            features = json.loads(path.read_bytes())["features"]
        except FileNotFoundError:
            raise GeoError(f"{path}: not found (the {level} boundaries are expected here)") from None
        except (ValueError, KeyError, TypeError) as exc:
            raise GeoError(f"{path}: not a GeoJSON FeatureCollection ({exc})") from None
        width = CODE_WIDTH[level]
        out: dict[str, Shape] = {}
        for i, feature in enumerate(features):
            props = feature.get("properties") or {}
            code = str(props.get(spec.code) or "")
            if len(code) != width or not code.isdigit():
                raise GeoError(f"{path}: feature {i}: {spec.code}: expected a {width}-digit INEI code, got {code!r}")
            if not feature.get("geometry"):
                continue  # a few small districts lost their outline upstream: drawn with their province's
            parent = str(props[spec.parent]) if spec.parent else code[:-2]
            name = str(props.get(spec.name) or code)
            geometry = shapely.make_valid(project(shapely.geometry.shape(feature["geometry"])))
            if code in out:  # one area in several features (two provinces here): one shape
                first = out[code]
                geometry = shapely.union(first.geometry, geometry)
                out[code] = Shape(code, first.name, parent, geometry, (*first.aliases, name))
            else:
                out[code] = Shape(code, name, parent, geometry)
        return out
