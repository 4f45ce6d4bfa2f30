"""The projection: centred on Peru, north up, east right, and equal-area (what a choropleth needs)."""

from __future__ import annotations

import pytest

from escrutinio.geo.projection import CENTRE_LAT, CENTRE_LON, forward, project


def test_the_centre_is_the_origin_north_up_east_right() -> None:
    x0, y0 = forward(CENTRE_LON, CENTRE_LAT)
    assert abs(x0) < 1e-6 and abs(y0) < 1e-6
    assert forward(CENTRE_LON, CENTRE_LAT + 1)[1] > 0  # north is up
    assert forward(CENTRE_LON + 1, CENTRE_LAT)[0] > 0  # east is right


@pytest.mark.parametrize(("lon", "lat"), [(-81.0, -4.0), (-75.0, -9.0), (-69.5, -17.5), (-70.0, -0.5)])
def test_areas_are_true_across_the_country(lon: float, lat: float) -> None:
    """A one-degree cell keeps its area on the ellipsoid (PROJ's geodesic) anywhere in Peru."""
    from pyproj import Geod
    from shapely.geometry import box

    cell = box(lon, lat, lon + 1, lat + 1)
    true_area = abs(Geod(ellps="WGS84").geometry_area_perimeter(cell.segmentize(0.01))[0])
    assert project(cell.segmentize(0.01)).area == pytest.approx(true_area, rel=1e-4)


def test_shapes_keep_their_form_near_the_centre() -> None:
    """A small cell near the centre stays square (conformal enough there to read as on the ground)."""
    from shapely.geometry import box

    b = project(box(-75.05, -9.25, -74.95, -9.15).segmentize(0.01)).bounds
    assert (b[2] - b[0]) / (b[3] - b[1]) == pytest.approx(1.0, rel=0.01)
