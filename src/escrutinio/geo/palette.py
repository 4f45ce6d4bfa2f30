"""Colour classes for choropleths: fixed breaks, colour-blind-safe sequential palettes.

Why fixed breaks and not quantiles: the same colour must mean the same share on every map (a
department's and its districts'), and on election night as more sheets arrive; quantile breaks
would move under the reader's eyes. Why these palettes: viridis and cividis (Nyström & Garrett,
matplotlib) are perceptually uniform, print in grey legibly, and stay ordered for the common
colour-vision deficiencies (cividis is built for them). Each list is the colormap sampled at
i/7 for eight classes; a test holds them to matplotlib's own maps.
"""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass

VIRIDIS = ("#440154", "#46327e", "#365c8d", "#277f8e", "#1fa187", "#4ac16d", "#a0da39", "#fde725")
CIVIDIS = ("#00224e", "#213b6e", "#4c556c", "#6c6e72", "#8e8978", "#b1a570", "#d9c55c", "#fee838")
NO_DATA = "#d9d9d9"
"""Areas with no counted sheet yet: a light neutral grey, outside either palette."""


@dataclass(frozen=True)
class LegendClass:
    """One colour of the legend: values from ``low`` (included) to ``high`` (excluded but in
    the last class, which also holds anything above it)."""

    low: float
    high: float
    colour: str


@dataclass(frozen=True)
class Scale:
    """Breaks (ascending, first the lowest possible value) and one colour per class between them."""

    breaks: tuple[float, ...]
    colours: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(self.colours) != len(self.breaks) - 1:
            raise ValueError(f"{len(self.breaks)} breaks need {len(self.breaks) - 1} colours, got {len(self.colours)}")
        if list(self.breaks) != sorted(set(self.breaks)):
            raise ValueError(f"breaks must rise strictly: {self.breaks}")

    def classify(self, value: float | None) -> int | None:
        """The class index of ``value`` (below the first break: class 0; above the last: the last)."""
        if value is None:
            return None
        return min(max(bisect_right(self.breaks, value) - 1, 0), len(self.colours) - 1)

    def colour(self, value: float | None) -> str:
        index = self.classify(value)
        return NO_DATA if index is None else self.colours[index]

    def legend(self) -> list[LegendClass]:
        return [LegendClass(lo, hi, c) for lo, hi, c in zip(self.breaks, self.breaks[1:], self.colours, strict=False)]


SCALES = {
    # The leader's share of valid votes, in per cent: finer around 50, where an area changes hands.
    "leader": Scale((0, 30, 40, 45, 50, 55, 60, 70, 100), CIVIDIS),
    # Turnout, ballots cast per 100 registered electors of the tables in the count.
    "turnout": Scale((0, 60, 65, 70, 75, 80, 85, 90, 100), VIRIDIS),
}
KINDS = tuple(SCALES)
