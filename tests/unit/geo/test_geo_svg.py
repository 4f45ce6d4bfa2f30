"""Path data: fitted unstretched, compact relative moves, holes kept, repeats dropped."""

from __future__ import annotations

from shapely.geometry import MultiPolygon, Polygon

from escrutinio.geo.svg import Frame, path_data


def test_fit_keeps_the_aspect_within_the_box() -> None:
    tall = Frame.fit((0, 0, 100, 200), 560, 640)
    assert (tall.width, tall.height) == (320, 640)
    wide = Frame.fit((0, 0, 400, 100), 560, 640)
    assert (wide.width, wide.height) == (560, 140)


def test_a_square_with_a_hole_and_a_second_island() -> None:
    frame = Frame.fit((0, 0, 10, 10), 10, 10)
    square = Polygon([(0, 0), (10, 0), (10, 10), (0, 10)], holes=[[(4, 4), (6, 4), (6, 6), (4, 6)]])
    d = path_data(square, frame)
    # y grows downwards in SVG: (0, 0) is the bottom-left corner, pixel (0, 10)
    assert d == "M0 10l10 0 0-10-10 0zm4-4l2 0 0-2-2 0z"
    island = MultiPolygon([square, Polygon([(8, 8), (9, 8), (9, 9)])])
    assert path_data(island, frame).endswith("m4-4l1 0 0-1z")


def test_points_that_round_together_are_dropped_and_slivers_vanish() -> None:
    frame = Frame.fit((0, 0, 100, 100), 10, 10)
    ragged = Polygon([(0, 0), (1, 0), (2, 0.1), (100, 0), (100, 100), (0, 100)])
    assert path_data(ragged, frame) == "M0 10l10 0 0-10-10 0z"
    assert path_data(Polygon([(0, 0), (1, 0), (1, 1)]), frame) == ""
