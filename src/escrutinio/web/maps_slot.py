"""The slot where a page's map goes: the pages call :func:`render_map`, the maps fill it.

Why a slot: the choropleth maps (SVG drawn on the server from the geography) are their own
module set; the pages only say where a map belongs and with which figures. Until a map module
answers, the slot is empty and the page shows the same figures as its data table (which it
shows anyway: a map's text alternative).
"""

from __future__ import annotations

from typing import Any

from markupsafe import Markup


def render_map(*, lang: str, area: str, level: str, rows: list[dict[str, Any]], contest: dict[str, Any]) -> Markup | None:
    """The map of ``rows`` (the results of every area of ``level`` within ``area``) as inline
    SVG with its legend, in ``lang``; None when there is no map for them.

    The maps module replaces this body; its signature is the agreement with the pages."""
    return None
