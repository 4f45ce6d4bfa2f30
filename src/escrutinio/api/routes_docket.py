"""Public reads of the disputes and the audit: the docket, one case, the stakes, the audit status.

The same application calls as ``escrutinio cases list|show``, ``escrutinio stakes`` and
``escrutinio audit status``; the write routes of cases and audit (with roles) are apart, in the
authenticated routers.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from starlette.responses import Response

from escrutinio.api.deps import Reads
from escrutinio.api.documented import NAMED, RECORD, ROWS, one_of
from escrutinio.api.representation import READ_RESPONSES, FormatQuery, View, answer, detailed, listing
from escrutinio.parsing import parse_area, parse_case_kind, parse_case_number, parse_case_status, parse_code, parse_table_id

router = APIRouter(responses=READ_RESPONSES)

CaseNumber = Annotated[str, Path(description="Case number, e.g. NUL-000001"), NAMED]


@router.get("/cases", responses=ROWS, tags=["cases"], summary="The docket, filtered")
async def cases(
    request: Request,
    reads: Reads,
    status: Annotated[str | None, Query(description="Cases in this status"), one_of("case_status")] = None,
    kind: Annotated[str | None, Query(description="Cases of this kind"), one_of("case_kind")] = None,
    filer: Annotated[str | None, Query(description="Party or body that filed"), NAMED] = None,
    rule: Annotated[str | None, Query(description="Refused by this rule: late, no_fee, no_standing, grounds, ..."), NAMED] = None,
    table: Annotated[str | None, Query(description="Cases on this table"), NAMED] = None,
    area: Annotated[
        str | None,
        Query(description="Cases on at least one table within this area (14 for Lima, 140137 for a district); 422 if unknown"),
        NAMED,
    ] = None,
    fmt: FormatQuery = None,
) -> Response:
    """Every case on the docket (``escrutinio cases list``), filtered by status, kind, filer,
    refusal rule, table or area (as the public docket page filters it, so its JSON and CSV
    links keep the page's filter); one row a case."""
    filters = {
        "status": parse_case_status(status, "status") if status is not None else None,
        "kind": parse_case_kind(kind, "kind") if kind is not None else None,
        "filer": parse_code(filer, "filer", "a party or body") if filer is not None else None,
        "rule": parse_code(rule, "rule", "a rule's name") if rule is not None else None,
        "table": parse_table_id(table, "table") if table is not None else None,
        "area": parse_area(area, "area"),
    }
    return await answer(request, reads, fmt, listing(lambda session: session.cases.listing(**filters)))


@router.get("/cases/{number}", responses=RECORD, tags=["cases"], summary="One case and its whole history")
async def case(request: Request, reads: Reads, number: CaseNumber, fmt: FormatQuery = None) -> Response:
    """Filing, admissibility, rulings, appeals and its history, each step with the time it took
    effect and the time the store received it (``escrutinio cases show``). CSV: the history."""
    found = parse_case_number(number, "number")
    return await answer(request, reads, fmt, detailed(lambda session: session.cases.show(found), "history"))


@router.get("/stakes", responses=RECORD, tags=["cases"], summary="What is at stake: open cases against the margin")
async def stakes(request: Request, reads: Reads, fmt: FormatQuery = None) -> Response:
    """The margin against the votes in tables under open cases; whether any combination of
    pending outcomes could change the winner, and the smallest such set (``escrutinio stakes``)."""
    return await answer(request, reads, fmt, lambda session: View(session.stakes.report()))


@router.get("/audit", responses=RECORD, tags=["audit"], summary="Where the audit stands, table by table")
async def audit(request: Request, reads: Reads, fmt: FormatQuery = None) -> Response:
    """The open (or last) audit: its method, risk limit, rounds and measured risk, and each
    sampled table's sheet against its hand count so far (``escrutinio audit status``). CSV: one
    row a sampled table. 404 when no audit was planned."""
    return await answer(request, reads, fmt, detailed(lambda session: session.audit.status(), "tables"))
