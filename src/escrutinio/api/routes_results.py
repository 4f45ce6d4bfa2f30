"""Public reads of the count: results by area and level, progress, one table, what changed.

Each answer is what the CLI prints with ``--format json`` (or ``csv``): the same application
call, the same rows (``escrutinio results --level department --format json`` and
``GET /api/v1/results?level=department`` hold the same figures).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from escrutinio.api.deps import Reads
from escrutinio.api.documented import EVENT_NUMBER, NAMED, RECORD, ROWS
from escrutinio.api.representation import READ_RESPONSES, FormatQuery, View, answer
from escrutinio.app import Session
from escrutinio.parsing import parse_area, parse_event_number, parse_level, parse_table_id

router = APIRouter(tags=["results"], responses=READ_RESPONSES)

TableId = Annotated[str, Path(description="Polling table id as the source writes it (e.g. 052235)"), NAMED]


@router.get("/results", responses=ROWS, summary="Results of the nation, an area, or every area of a level")
async def results(
    request: Request,
    reads: Reads,
    level: Annotated[
        str | None,
        Query(description="A level by the election's name (department, continent abroad...), national or table"),
    ] = None,
    area: Annotated[str | None, Query(description="Area code (14 for Lima, 140137 for a district)"), NAMED] = None,
    fmt: FormatQuery = None,
) -> Response:
    """The nation (no parameter), one area (``area`` alone) in full, or every area ``level``
    names (within ``area``) one row each: tables by state, ballots, votes, shares, leader and
    margin. A level lists the areas of its name (Peru's ``department`` its departments,
    ``continent`` its continents abroad); with ``area``, a level not under that area is a 422
    naming ``level`` or ``area`` and what would answer (``GET /contest`` names the levels).
    The nation's row also names the log head its figures were computed on."""
    lv, code = parse_level(level, "level"), parse_area(area, "area")
    return await answer(request, reads, fmt, lambda session: View(*session.count.results_json_csv(lv, code)))


@router.get("/status", responses=RECORD, summary="Progress: sheets received, in the count, accounted for")
async def status(request: Request, reads: Reads, fmt: FormatQuery = None) -> Response:
    """Sheets received, in the count and accounted for; electors accounted for; sheets by state
    and by reason; sheets final at source despite a rule (``escrutinio status``)."""
    return await answer(request, reads, fmt, lambda session: View(session.count.status()))


@router.get("/contest", responses=RECORD, summary="The election and its choices")
async def contest(request: Request, reads: Reads, fmt: FormatQuery = None) -> Response:
    """The election, its levels and its choices, as a results page names them."""
    return await answer(request, reads, fmt, lambda session: View(session.count.contest()), max_age=3600)


@router.get("/tables/{table}", responses=RECORD, summary="One polling table and the history of its sheet")
async def table(request: Request, reads: Reads, table: TableId, fmt: FormatQuery = None) -> Response:
    """Its roll entry and state; every version of its sheet with the event, time and actor that
    recorded it; its cases and audit draws (``escrutinio table ID``). CSV: one row a version."""
    tid = parse_table_id(table, "table")

    def compute(session: Session) -> View:
        found = session.count.table(tid)
        return View(found, session.count.table_rows(found))

    return await answer(request, reads, fmt, compute)


CHANGES_PAGE = 1000
"""The most events one ``/changes`` answer covers, and its default: a page behind by a whole
night follows ``next_since`` rather than asking one reader for megabytes at once."""


@router.get("/changes", responses=RECORD, summary="What changed after event N, a page of events at a time")
async def changes(
    request: Request,
    reads: Reads,
    since: Annotated[str | None, Query(description="Event number: what changed after it (0: everything)"), EVENT_NUMBER] = None,
    limit: Annotated[
        int, Query(ge=1, le=CHANGES_PAGE, description=f"At most this many events (default and maximum {CHANGES_PAGE})")
    ] = CHANGES_PAGE,
    fmt: FormatQuery = None,
) -> Response:
    """Sheets recorded, cases acted on and the tallies that moved in the first ``limit`` events
    after event ``since`` (a live page polls with the last number it saw; ``/events`` says when
    to). ``next_since`` is the ``since`` of the next page and ``more`` whether there is one: a
    client follows pages until ``more`` is false."""
    after = parse_event_number(since if since is not None else 0, "since")

    def compute(session: Session) -> View:
        found = session.count.changes(after, limit)
        return View(found.to_dict(), found.rows())

    return await answer(request, reads, fmt, compute, max_age=0)
