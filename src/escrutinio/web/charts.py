"""Charts drawn on the server as inline SVG: the audit's risk over its rounds.

Why on the server and by hand: a chart of a handful of points needs no plotting library in the
browser (the pages work without JavaScript) and none on the server either; what it needs is the
geometry (a log scale, since a risk falls by factors, not steps) computed once and tested, and a
data table beside it with the same numbers (the chart's text alternative).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Point:
    """One measurement: its round, draws so far, risk (as recorded, and as a number to place),
    decision, and where it sits in pixels."""

    round: int
    draws: int
    risk: str
    decision: str
    x: float
    y: float


@dataclass(frozen=True)
class Tick:
    value: float
    label: str
    at: float


@dataclass(frozen=True)
class RiskChart:
    """A line of the measured risk after each round (log scale), and the risk limit across it."""

    width: int
    height: int
    left: int
    right: int
    top: int
    bottom: int
    points: list[Point]
    limit: float
    limit_y: float
    y_ticks: list[Tick]
    x_ticks: list[Tick]

    @property
    def line(self) -> str:
        """The polyline's ``points`` attribute."""
        return " ".join(f"{p.x:.1f},{p.y:.1f}" for p in self.points)


WIDTH, HEIGHT = 520, 260
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 16, 40


def risk_chart(measurements: Sequence[Mapping[str, Any]], risk_limit: str) -> RiskChart | None:
    """The chart of ``measurements`` (``round``, ``draws``, ``risk``, ``decision`` each, the risk
    a decimal string as the record keeps it) against ``risk_limit``; None before any measurement.

    The vertical axis runs from 1 (no evidence yet) down to the decade below the smallest of the
    risks and the limit, so the limit line and every point are always inside it."""
    rows = [m for m in measurements if m.get("risk") is not None]
    if not rows:
        return None
    limit = float(risk_limit)
    risks = [max(float(m["risk"]), 1e-12) for m in rows]
    floor = 10 ** math.floor(math.log10(min([*risks, limit])) - 1e-9)
    decades = -math.log10(floor)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def y_of(value: float) -> float:
        clamped = min(max(value, floor), 1.0)
        return TOP + plot_h * (-math.log10(clamped)) / decades

    last = max(int(m["round"]) for m in rows)

    def x_of(round_number: int) -> float:
        return LEFT + plot_w * ((round_number - 0.5) / max(last, 1))

    points = [
        Point(int(m["round"]), int(m["draws"]), str(m["risk"]), str(m.get("decision") or ""), x_of(int(m["round"])), y_of(r))
        for m, r in zip(rows, risks, strict=True)
    ]
    y_ticks = [Tick(10**-k, _power_label(k), y_of(10**-k)) for k in range(round(decades) + 1)]
    x_ticks = [Tick(n, str(n), x_of(n)) for n in range(1, last + 1)]
    return RiskChart(WIDTH, HEIGHT, LEFT, RIGHT, TOP, BOTTOM, points, limit, y_of(limit), y_ticks, x_ticks)


def _power_label(k: int) -> str:
    """1, 0.1, 0.01 … written out (a reader of results is not assumed to read 10⁻³)."""
    return "1" if k == 0 else "0." + "0" * (k - 1) + "1"
