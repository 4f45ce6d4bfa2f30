"""The slot where a page's map goes: the pages call :func:`render_map`, the maps fill it.

Why a slot: the choropleth maps (SVG drawn on the server from the geography) are their own
module set (:mod:`escrutinio.app.maps` over :mod:`escrutinio.geo`); the pages only say where a
map belongs and with which figures. Without boundaries for the election's country (no
``ESCRUTINIO_GEO``, or another country) the slot is empty and the page shows the same figures
as its data table (which it shows anyway: a map's text alternative).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup

from escrutinio.app import maps
from escrutinio.web.i18n import babel_locale
from escrutinio.web.templating import render


def render_map(
    *, lang: str, area: str, level: str, rows: list[dict[str, Any]], contest: dict[str, Any], choice: str | None
) -> Markup | None:
    """The maps of ``rows`` (the results of every area of ``level`` within ``area``) as inline
    SVG with legends and data tables, in ``lang``: the share of ``choice`` (the national leader:
    the same subject on every level, so a reader going down compares like with like), then
    turnout. None when there is no map for them."""
    drawn = maps.area_maps(rows, contest, level, area, choice=choice)
    if not drawn:
        return None
    context = {"maps": drawn, "level": level, "lang": lang, "locale": babel_locale(lang, contest.get("country"))}
    return render(lang, "partials/map.html", context)
