"""Projected shapes -> compact SVG path data in a fitted pixel frame.

Integers on a frame a few hundred pixels wide are as precise as the screen, and relative moves
("l3-2") halve the text again: the whole map of departments stays a few tens of kilobytes.
Neighbours share their vertices after coverage simplification, and the same vertex always rounds
to the same pixel, so no slivers open between them.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Frame:
    """Projected metres -> pixels: ``x_px = (x - left) * scale``, ``y_px = (top - y) * scale``."""

    left: float
    top: float
    scale: float
    width: int
    height: int

    @classmethod
    def fit(cls, bounds: tuple[float, float, float, float], width: int, height: int) -> Frame:
        """The largest frame within ``width`` x ``height`` pixels that holds ``bounds`` unstretched."""
        minx, miny, maxx, maxy = bounds
        dx, dy = max(maxx - minx, 1e-9), max(maxy - miny, 1e-9)
        scale = min(width / dx, height / dy)
        return cls(minx, maxy, scale, max(1, round(dx * scale)), max(1, round(dy * scale)))


def _rings(geometry: Any) -> Iterator[Any]:
    for polygon in getattr(geometry, "geoms", [geometry]):
        if polygon.geom_type != "Polygon" or polygon.is_empty:
            continue
        yield polygon.exterior
        yield from polygon.interiors


def path_data(geometry: Any, frame: Frame) -> str:
    """The ``d`` attribute of one area: one closed subpath per ring, relative moves in pixels."""
    parts: list[str] = []
    px, py = 0, 0
    for ring in _rings(geometry):
        points = _pixels(ring.coords, frame)
        if len(points) < 3:
            continue
        x0, y0 = points[0]
        parts.append(f"M{x0} {y0}" if not parts else f"m{x0 - px} {y0 - py}".replace(" -", "-"))
        step = []
        x, y = x0, y0
        for nx, ny in points[1:]:
            step.append(f"{nx - x} {ny - y}".replace(" -", "-"))
            x, y = nx, ny
        parts.append("l" + " ".join(step).replace(" -", "-") + "z")
        px, py = x0, y0  # after z the pen is back at the subpath's start
    return "".join(parts)


def _pixels(coords: Iterable[tuple[float, float]], frame: Frame) -> list[tuple[int, int]]:
    """Rounded pixels, consecutive repeats and the closing point dropped."""
    out: list[tuple[int, int]] = []
    for x, y in coords:
        p = (round((x - frame.left) * frame.scale), round((frame.top - y) * frame.scale))
        if not out or out[-1] != p:
            out.append(p)
    if len(out) > 1 and out[0] == out[-1]:
        out.pop()
    return out
