"""The public pages: the nation and every area, one table, the docket, one case, the stakes.

Each page asks the application the same questions the API answers (the download links point
at those answers) and renders what comes back; nothing is computed here but where things go on
the page. URLs are stable and bookmarkable: ``/`` (the nation), ``/areas/{code}``,
``/tables/{id}``, ``/cases`` (filters in the query), ``/cases/{number}``, ``/stakes``.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from starlette.responses import RedirectResponse, Response

from escrutinio.app import Session
from escrutinio.app.count import NotAnArea
from escrutinio.parsing import (
    parse_area,
    parse_case_kind,
    parse_case_number,
    parse_case_status,
    parse_code,
    parse_table_id,
)
from escrutinio.web.maps_slot import render_map
from escrutinio.web.page import Crumb, Page, PageRequest, PageRoute, downloads
from escrutinio.web.reads import derived, figures

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
        # Every area one level down, whatever each is called (the nation's departments and its
        # continents abroad), and the names of their levels, each a listing of the API.
        below_levels, inside = session.count.below(None if where == country else where)
        here = session.count.results(None, where)[0]
        nation = here if depth == 0 else session.count.results(None, country)[0]
        return {
            "contest": contest,
            "area": here,
            "national_leader": nation.get("leader"),
            "lineage": lineage,
            "below": below_levels[0],
            "below_levels": below_levels,
            "inside": inside,
            "status": session.count.status() if depth == 0 else None,
        }

    return compute


def by_place(tables: list[dict[str, Any]]) -> list[tuple[str, list[dict[str, Any]]]]:
    """A district's tables under their polling places (in the order the places first appear;
    one unnamed group when the source names none, as ONPE's open data)."""
    places: dict[str, list[dict[str, Any]]] = {}
    for row in tables:
        places.setdefault(row.get("polling_place") or "", []).append(row)
    return list(places.items())


def crumbs_of(page: PageRequest, lineage: list[dict[str, Any]], *, last_is_page: bool = True) -> list[Crumb]:
    """Breadcrumbs from the nation down an area's lineage (the last one the page itself), each
    area with its kind, which the layout names in the reader's language."""
    out = []
    for i, step in enumerate(lineage):
        label = page.gettext("National") if i == 0 else step["name"]
        href = "/" if i == 0 else f"/areas/{step['area']}"
        kind = None if i == 0 else step.get("kind") or step.get("level")
        out.append(Crumb(label, None if last_is_page and i == len(lineage) - 1 else href, kind))
    return out


async def area_page(page: Page, code: str | None) -> Response:
    where = parse_area(code, "code")
    try:
        found = await figures(page.request, ("area", where), area_figures(where))
    except NotAnArea:  # a table's id where an area's was expected: its own page says it all
        return RedirectResponse(f"/tables/{where}", status_code=303)
    data = found.data
    area = data["area"]
    national = len(data["lineage"]) == 1
    below = data["below"]
    links = downloads(page.gettext("Results"), "/results", area=None if national else area["area"])
    if below == "table":
        links += downloads(page.gettext("Tables"), "/results", level="table", area=area["area"])
    else:
        several = len(data["below_levels"]) > 1  # one listing a level (Peru's departments, then its continents)
        for level in data["below_levels"]:
            listed = downloads(page.gettext("Areas inside"), "/results", level=level, area=None if national else area["area"])
            links += [replace(d, level=level) for d in listed] if several else listed
    if national:
        links += downloads(page.gettext("Progress"), "/status")
    map_svg = None
    if below != "table":
        map_svg = await derived(
            page.request,
            found,
            ("map", area["area"], page.lang),
            lambda: render_map(
                lang=page.lang,
                area=area["area"],
                level=below,
                rows=data["inside"],
                contest=data["contest"],
                choice=data["national_leader"],
            ),
        )
    title = page.gettext("Results") if national else area["name"]
    return page.render(
        "area.html",
        found,
        title=title,
        crumbs=crumbs_of(page, data["lineage"]),
        links=links,
        map_svg=map_svg,
        places=by_place(data["inside"]) if below == "table" else [],
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


TableId = Annotated[str, Path(description="Polling table id as the source writes it (e.g. 052235)")]


def table_figures(table: str) -> Any:
    """A table's page: its sheet with every version and the times, cases and audit draws about
    it, the areas above it, and the election's choices."""

    def compute(session: Session) -> dict[str, Any]:
        found = session.count.table(table)
        return {
            "contest": session.count.contest(),
            "table": found,
            "lineage": session.count.lineage(found["area"]) if found["area"] else [],
        }

    return compute


@router.get("/tables/{table}")
async def table(page: Page, table: TableId) -> Response:
    """One polling table: its sheet's figures, every state it went through with times, its
    scans, and the cases about it."""
    tid = parse_table_id(table, "table")
    found = await figures(page.request, ("table", tid), table_figures(tid))
    data = found.data
    crumbs = [*crumbs_of(page, data["lineage"], last_is_page=False), Crumb(page.gettext("Table %(table)s") % {"table": tid})]
    images = [e for e in data["table"]["intake"] if e.get("sha256")]
    return page.render(
        "table.html",
        found,
        title=page.gettext("Polling table %(table)s") % {"table": tid},
        crumbs=crumbs,
        links=downloads(page.gettext("This table and its history"), f"/tables/{tid}"),
        images=images,
        **data,
    )


def docket_figures(filters: dict[str, Any]) -> Any:
    """The docket as filtered, and the election (for the filer and area names)."""

    def compute(session: Session) -> dict[str, Any]:
        return {"contest": session.count.contest(), "cases": session.cases.listing(**filters)}

    return compute


CASE_KINDS = ("observation", "nullity_request", "challenged_ballots", "appeal", "own_motion")
"""The docket form's kinds of case (the application refuses any other, naming these)."""
CASE_STATES = ("filed", "admitted", "inadmissible", "ruled", "appealed", "final")


@router.get("/cases")
async def docket(
    page: Page,
    kind: Annotated[str | None, Query(description="observation, nullity_request, ...")] = None,
    filer: Annotated[str | None, Query(description="Party or body that filed")] = None,
    status: Annotated[str | None, Query(description="filed, admitted, inadmissible, ruled, appealed, final")] = None,
    area: Annotated[str | None, Query(description="Cases on tables within this area")] = None,
    table: Annotated[str | None, Query(description="Cases on this table")] = None,
) -> Response:
    """The docket: every case with its tables, filer, state and decision; filtered by kind,
    filer, state, area or table (empty fields of the form mean no filter)."""
    given = {"kind": kind or None, "filer": filer or None, "status": status or None, "area": area or None, "table": table or None}
    filters = {
        "kind": parse_case_kind(given["kind"], "kind") if given["kind"] else None,
        "filer": parse_code(given["filer"], "filer", "a party or body") if given["filer"] else None,
        "status": parse_case_status(given["status"], "status") if given["status"] else None,
        "area": parse_area(given["area"], "area"),
        "table": parse_table_id(given["table"], "table") if given["table"] else None,
    }
    key = tuple(sorted((k, str(v)) for k, v in filters.items() if v is not None))
    found = await figures(page.request, ("docket", key), docket_figures(filters))
    return page.render(
        "docket.html",
        found,
        title=page.gettext("Docket"),
        crumbs=[Crumb(page.gettext("National"), "/"), Crumb(page.gettext("Docket"))],
        links=downloads(page.gettext("Docket"), "/cases", **given) + downloads(page.gettext("What is at stake"), "/stakes"),
        given=given,
        kinds=CASE_KINDS,
        states=CASE_STATES,
        **found.data,
    )


CaseNumber = Annotated[str, Path(description="Case number, e.g. NUL-000001")]


@router.get("/cases/{number}")
async def case(page: Page, number: CaseNumber) -> Response:
    """One case: its filing, admissibility, rulings and appeals, each step with its times."""
    wanted = parse_case_number(number, "number")

    def compute(session: Session) -> dict[str, Any]:
        return {"contest": session.count.contest(), "case": session.cases.show(wanted)}

    found = await figures(page.request, ("case", wanted), compute)
    return page.render(
        "case.html",
        found,
        title=page.gettext("Case %(number)s") % {"number": wanted},
        crumbs=[Crumb(page.gettext("National"), "/"), Crumb(page.gettext("Docket"), "/cases"), Crumb(wanted)],
        links=downloads(page.gettext("This case and its history"), f"/cases/{wanted}"),
        **found.data,
    )


@router.get("/stakes")
async def stakes(page: Page) -> Response:
    """What is at stake: the margin against the votes in tables under open cases, and whether
    any set of pending outcomes could change the winner."""

    def compute(session: Session) -> dict[str, Any]:
        return {"contest": session.count.contest(), "stakes": session.stakes.report()}

    found = await figures(page.request, ("stakes",), compute)
    return page.render(
        "stakes.html",
        found,
        title=page.gettext("What is at stake"),
        crumbs=[Crumb(page.gettext("National"), "/"), Crumb(page.gettext("What is at stake"))],
        links=downloads(page.gettext("What is at stake"), "/stakes"),
        **found.data,
    )
