"""The audit page: where the risk-limiting audit stands, its risk over the rounds, its sample.

``/audit`` (HTML), and the same figures as data: ``/audit/status.json`` (everything the page
shows) and ``/audit/sample.csv`` (every sampled table or ballot). The status is read from the
public record like any results page (kept per log head), so the page needs no login.
"""

from __future__ import annotations

import csv
import io
from typing import Any

from fastapi import APIRouter
from starlette.responses import JSONResponse, Response

from escrutinio.app import NotFound, Session
from escrutinio.web.charts import risk_chart
from escrutinio.web.page import Download, Page, PageRoute
from escrutinio.web.reads import figures

router = APIRouter(route_class=PageRoute)

SAMPLE_SHOWN = 100
"""Sampled tables listed on the page (those not in agreement first); all are in the CSV."""


def audit_figures(session: Session) -> dict[str, Any]:
    """The audit's status (None when the record holds no audit) and the election's choices."""
    contest = session.count.contest()
    try:
        status = session.audit.status()
    except NotFound:
        status = None
    return {"contest": contest, "audit": status}


def audit_context(status: dict[str, Any] | None, contest: dict[str, Any], *, links: bool) -> dict[str, Any]:
    """What ``partials/audit_body.html`` needs: the status, its chart, the choices' names."""
    chart = risk_chart(status.get("measurements") or [], status["risk_limit"]) if status else None
    names = {c["id"]: c.get("candidate") or c.get("name") or c["id"] for c in contest.get("choices") or []}
    return {"audit": status, "chart": chart, "names": names, "table_links": links, "limit": SAMPLE_SHOWN, "contest": contest}


@router.get("/audit")
async def audit_page(page: Page) -> Response:
    """The audit: its plan, the risk after each round (a chart and its table), the sample."""
    found = await figures(page.request, ("audit",), audit_figures)
    data = found.data
    links = [
        Download(page.gettext("Audit status"), "JSON", "/audit/status.json"),
        Download(page.gettext("Sampled tables"), "CSV", "/audit/sample.csv"),
    ]
    return page.render(
        "audit.html",
        found,
        title=page.gettext("Risk-limiting audit"),
        links=links,
        **audit_context(data["audit"], data["contest"], links=True),
    )


@router.get("/audit/status.json")
async def audit_status_json(page: Page) -> Response:
    """Everything the audit page shows, as JSON (null before an audit is planned)."""
    found = await figures(page.request, ("audit",), audit_figures)
    return JSONResponse(found.data["audit"])


@router.get("/audit/sample.csv")
async def audit_sample_csv(page: Page) -> Response:
    """Every sampled table (or ballot) with its sheet and hand count, one row each."""
    found = await figures(page.request, ("audit",), audit_figures)
    rows = (found.data["audit"] or {}).get("tables") or []
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    return Response(out.getvalue(), media_type="text/csv; charset=utf-8")
