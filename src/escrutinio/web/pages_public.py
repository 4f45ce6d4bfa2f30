"""The public pages: the nation and every area, one table, the docket, one case, the stakes.

Each page asks the application the same questions the API answers (the download links point
at those answers) and renders what comes back; nothing is computed here but where things go on
the page. URLs are stable and bookmarkable: ``/`` (the nation), ``/areas/{code}``,
``/tables/{id}``, ``/cases`` (filters in the query), ``/cases/{number}``, ``/stakes``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path
from starlette.responses import Response

from escrutinio.app import Session
from escrutinio.parsing import parse_area, parse_level
from escrutinio.web.maps_slot import render_map
from escrutinio.web.page import Crumb, Page, PageRoute, downloads
from escrutinio.web.reads import figures

router = APIRouter(route_class=PageRoute)

AreaCode = Annotated[str, Path(description="Area code (14 for Lima, 140137 for a district)")]


def area_figures(code: str | None) -> Any:
    """What an area's page shows: the election, the area's results and its lineage, the areas
    (or, below the lowest level, the tables) inside it, and the progress of the count."""

    def compute(session: Session) -> dict[str, Any]:
        contest = session.count.contest()
        country = contest.get("country") or ""
        where = code or country
        lineage = session.count.lineage(where)
        depth = len(lineage) - 1
        levels = contest["levels"]
        below = levels[depth] if depth < len(levels) else "table"
        inside = session.count.results(parse_level(below, "level"), None if where == country else where)
        return {
            "contest": contest,
            "area": session.count.results(None, where)[0],
            "lineage": lineage,
            "below": below,
            "inside": inside,
            "status": session.count.status() if depth == 0 else None,
        }

    return compute


def crumbs_of(page: Any, lineage: list[dict[str, Any]], *, last_is_page: bool = True) -> list[Crumb]:
    """Breadcrumbs from the nation down an area's lineage (the last one the page itself)."""
    out = []
    for i, step in enumerate(lineage):
        label = page.gettext("National") if i == 0 else step["name"]
        href = "/" if i == 0 else f"/areas/{step['area']}"
        out.append(Crumb(label, None if last_is_page and i == len(lineage) - 1 else href))
    return out


async def area_page(page: Page, code: str | None) -> Response:
    where = parse_area(code, "code")
    found = await figures(page.request, ("area", where), area_figures(where))
    data = found.data
    area = data["area"]
    national = len(data["lineage"]) == 1
    below = data["below"]
    links = downloads(page.gettext("Results"), "/results", area=None if national else area["area"])
    if below == "table":
        links += downloads(page.gettext("Tables"), "/results", level="table", area=area["area"])
    else:
        links += downloads(page.gettext("Areas inside"), "/results", level=below, area=None if national else area["area"])
    if national:
        links += downloads(page.gettext("Progress"), "/status")
    map_svg = None
    if below != "table":
        map_svg = render_map(lang=page.lang, area=area["area"], level=below, rows=data["inside"], contest=data["contest"])
    title = page.gettext("Results") if national else area["name"]
    return page.render(
        "area.html",
        found,
        title=title,
        crumbs=crumbs_of(page, data["lineage"]),
        links=links,
        map_svg=map_svg,
        **data,
    )


@router.get("/")
async def national(page: Page) -> Response:
    """The nation: who leads, by how much, how much is counted, and every area of the first level."""
    return await area_page(page, None)


@router.get("/areas/{code}")
async def area(page: Page, code: AreaCode) -> Response:
    """One area: its results, its breadcrumbs, and the areas (or tables) inside it."""
    return await area_page(page, code)
