"""Palettes and classes: the colours are matplotlib's own colour-blind-safe maps, and every value
falls in exactly one class of its legend."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from escrutinio.geo.palette import CIVIDIS, NO_DATA, SCALES, VIRIDIS, Scale


@pytest.mark.parametrize(("name", "colours"), [("viridis", VIRIDIS), ("cividis", CIVIDIS)])
def test_palettes_are_matplotlibs_maps_sampled_evenly(name: str, colours: tuple[str, ...]) -> None:
    import matplotlib
    from matplotlib.colors import to_hex

    cmap = matplotlib.colormaps[name]
    assert colours == tuple(to_hex(cmap(i / (len(colours) - 1))) for i in range(len(colours)))


def test_palettes_run_dark_to_light_so_more_reads_as_more() -> None:
    from matplotlib.colors import to_rgb

    for scale in SCALES.values():
        lightness = [sum(to_rgb(c)) for c in scale.colours]
        assert lightness == sorted(lightness)


def test_classes_at_the_breaks() -> None:
    scale = SCALES["leader"]
    assert scale.classify(None) is None and scale.colour(None) == NO_DATA
    assert scale.classify(0) == 0
    assert scale.classify(49.999) == 3
    assert scale.classify(50) == 4  # a break opens its class
    assert scale.classify(100) == 7  # the top closes the last class
    assert scale.classify(104.5) == 7  # turnout over 100 stays on the map, in the top class
    assert scale.classify(-1) == 0


@given(st.floats(min_value=0, max_value=100, allow_nan=False))
def test_every_value_lies_in_its_legend_class(value: float) -> None:
    for scale in SCALES.values():
        legend = scale.legend()
        k = scale.classify(value)
        assert k is not None
        assert legend[k].low <= value and (value < legend[k].high or k == len(legend) - 1)
        assert scale.colour(value) == legend[k].colour


def test_a_scale_needs_one_colour_per_class_and_rising_breaks() -> None:
    with pytest.raises(ValueError, match="3 breaks need 2 colours"):
        Scale((0, 1, 2), ("#000",))
    with pytest.raises(ValueError, match="rise strictly"):
        Scale((0, 2, 1), ("#000", "#111"))
