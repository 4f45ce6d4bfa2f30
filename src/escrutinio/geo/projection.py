"""Lambert azimuthal equal-area, centred on Peru.

Why equal-area: a choropleth asks the eye to weigh coloured surfaces, so a projection that
inflates some regions (Mercator far from the equator, plain longitude/latitude away from it)
misleads. Peru spans 0°–18.4° S and 68.7°–81.3° W; centred at 9.2° S 75° W the distortion of
shape stays within a few per cent over the whole country, and areas are exact. PROJ (pyproj) does
the arithmetic.
"""

from __future__ import annotations

from functools import cache
from typing import Any

CENTRE_LON, CENTRE_LAT = -75.0, -9.2
CRS = f"+proj=laea +lat_0={CENTRE_LAT} +lon_0={CENTRE_LON} +datum=WGS84 +units=m +no_defs"


@cache
def _transformer() -> Any:
    from pyproj import Transformer

    return Transformer.from_crs("EPSG:4326", CRS, always_xy=True)


def forward(lon: Any, lat: Any) -> tuple[Any, Any]:
    """Longitude/latitude (degrees, scalars or arrays) -> metres east and north of the centre."""
    return _transformer().transform(lon, lat)


def project(geometry: Any) -> Any:
    """A shapely geometry in longitude/latitude, projected."""
    import numpy as np
    import shapely

    def move(xy: Any) -> Any:
        x, y = forward(xy[:, 0], xy[:, 1])
        return np.column_stack([x, y])

    return shapely.transform(geometry, move)
