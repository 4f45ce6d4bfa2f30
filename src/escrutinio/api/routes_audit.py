"""``/api/v1/audit``: the risk-limiting audit's writes, each for the authenticated principal.

Plan, seed, draw, measure and report act on the whole audit (a national auditor's or the
administrator's); hand-count entries and resolutions act on one table (an auditor of its area).
Entries come one at a time (JSON) or many at once (the hand-count CSV as the body, recorded in
one transaction, idempotent by content). Each route parses with :mod:`escrutinio.parsing` and
calls ``session.audit``. A role that may not take the route's step is refused (403) before the
body is read, and so is an account limited to an area on a step of the whole audit; the
application then checks the area of the table acted on (403 naming the rule).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request
from pydantic import BeforeValidator, Field, WithJsonSchema

from escrutinio.api.auth import acting_for
from escrutinio.api.bodies import Empty, Strict, body_schema, json_body
from escrutinio.api.deps import Sessions
from escrutinio.api.documented import one_of
from escrutinio.api.receipts import written
from escrutinio.app import Action

router = APIRouter(tags=["audit"])


Planner = Annotated[Sessions, acting_for(Action.PLAN_AUDIT, whole_election=True)]
Seeder = Annotated[Sessions, acting_for(Action.SEED_AUDIT, whole_election=True)]
Drawer = Annotated[Sessions, acting_for(Action.DRAW_AUDIT, whole_election=True)]
Recorder = Annotated[Sessions, acting_for(Action.RECORD_AUDIT_ENTRY)]
Resolver = Annotated[Sessions, acting_for(Action.RESOLVE_AUDIT_ENTRY)]
Measurer = Annotated[Sessions, acting_for(Action.MEASURE_AUDIT, whole_election=True)]
Reporter = Annotated[Sessions, acting_for(Action.REPORT_AUDIT, whole_election=True)]


def _number_as_text(value: Any) -> Any:
    """A JSON number as the text the parser reads (``0.05``); a boolean stays refused."""
    return str(value) if isinstance(value, int | float) and not isinstance(value, bool) else value


SHARE_TEXT = r"^(0?\.0{0,3}[1-9][0-9]*|1/([2-9]|[1-9][0-9]{1,3}|10000))$"
"""A risk limit as text, as the document states it: a decimal or a ``1/N`` from 0.0001
(``audit.risk.MIN_RISK_LIMIT``) up to 1 (the parser takes any fraction in that range; the
document names the common ones)."""
Share = Annotated[
    str,
    BeforeValidator(_number_as_text),
    WithJsonSchema(
        {"anyOf": [{"type": "number", "minimum": 0.0001, "exclusiveMaximum": 1}, {"type": "string", "pattern": SHARE_TEXT}]}
    ),
]
"""A risk limit from 0.0001 up to 1 as a string (so that ``1/20`` can be written) or as a JSON number."""


class PlanBody(Strict):
    risk_limit: Share = Field(description='The risk limit, a share: a JSON number (0.05) or a string ("0.05", "1/20")')
    method: Annotated[str, one_of("audit_method")] = Field(description="The audit method (macro, bravo, ...)")
    max_rounds: int | None = Field(None, ge=1, le=100)


class SeedBody(Strict):
    seed: str = Field(
        description="The seed read out at the public ceremony (20 digits or more)", json_schema_extra={"pattern": "^[0-9]{20,}$"}
    )
    ceremony: str = ""


class EntryBody(Strict):
    table: str
    by: str = Field(description="Who counted (or read) it")
    entry: int | None = Field(None, description="1 or 2: the double entry's first or second")
    counts: str | None = Field(None, description="Tables: hand-counted votes, PL=115,FP=87,null=18")
    ballots: int | None = Field(None, description="Tables: ballots counted")
    position: int | None = Field(None, description="Ballots: the ballot's number in the table")
    vote: str | None = Field(None, description="Ballots: the vote read")
    reason: str | None = Field(None, description="Resolutions: why (what the recount showed)")


@router.post(
    "/audit/plan",
    summary="Start an audit: the pair, the method, the risk limit, the frozen manifest",
    openapi_extra=body_schema(PlanBody),
)
async def plan(request: Request, acting: Planner, body: Annotated[PlanBody, json_body(PlanBody)]) -> dict[str, Any]:
    """Records the plan at once (``audit.planned``): the API has no preview, so the body takes no
    ``record`` (the CLI's ``audit plan`` previews the sizes unless given ``--record``). Refused
    with 409 ``count_open`` while tables are pending, with no sheet yet (an audit checks the
    reported outcome), with 409 ``audit_open`` while an audit is open, and with 422 for a risk limit
    below 0.0001 (a full hand count is then the audit)."""
    from escrutinio.parsing import parse_audit_method, parse_risk_limit

    risk, method = parse_risk_limit(body.risk_limit, "risk_limit"), parse_audit_method(body.method, "method")
    rounds = {"max_rounds": body.max_rounds} if body.max_rounds else {}
    return await written(request, acting, lambda s: s.audit.plan(risk, method=method, **rounds))


@router.post("/audit/seed", summary="Record the public ceremony's seed, once", openapi_extra=body_schema(SeedBody))
async def seed(request: Request, acting: Seeder, body: Annotated[SeedBody, json_body(SeedBody)]) -> dict[str, Any]:
    return await written(request, acting, lambda s: s.audit.seed(body.seed, body.ceremony))


Nothing = Annotated[Empty, json_body(Empty)]
"""The body of a step that takes no field: a field sent is refused, never ignored."""


@router.post("/audit/draw", summary="Draw the next round: its retrieval lists", openapi_extra=body_schema(Empty))
async def draw(request: Request, acting: Drawer, _body: Nothing) -> dict[str, Any]:
    return await written(request, acting, lambda s: s.audit.draw())


@router.post("/audit/entries", summary="Record one hand-count entry (or ballot reading)", openapi_extra=body_schema(EntryBody))
async def record(request: Request, acting: Recorder, body: Annotated[EntryBody, json_body(EntryBody)]) -> dict[str, Any]:
    from escrutinio.parsing import AuditEntryText, parse_audit_entry

    text = AuditEntryText(body.table, body.by, body.entry, body.counts, body.ballots, body.position, body.vote)
    return await written(request, acting, lambda s: s.audit.record(parse_audit_entry(s.audit.unit(), text)))


CSV_BODY = {"text/csv": {"schema": {"type": "string", "description": "table,entry,counts,ballots,by (or the ballot columns)"}}}


@router.post(
    "/audit/entries.csv",
    summary="Record every row of a hand-count CSV in one transaction",
    openapi_extra=body_schema(media_types=CSV_BODY),
)
async def record_csv(request: Request, acting: Recorder) -> dict[str, Any]:
    """The CSV is the body, read once the caller may record entries."""
    csv = await request.body()
    return await written(request, acting, lambda s: s.audit.record_csv(csv, "body"))


@router.post(
    "/audit/resolutions", summary="Settle a table's (ballot's) two differing entries", openapi_extra=body_schema(EntryBody)
)
async def resolve(request: Request, acting: Resolver, body: Annotated[EntryBody, json_body(EntryBody)]) -> dict[str, Any]:
    from escrutinio.parsing import AuditEntryText, parse_audit_resolution

    text = AuditEntryText(body.table, body.by, None, body.counts, body.ballots, body.position, body.vote, body.reason)
    return await written(request, acting, lambda s: s.audit.resolve(parse_audit_resolution(s.audit.unit(), text)))


@router.post("/audit/measure", summary="Measure the risk over every draw so far", openapi_extra=body_schema(Empty))
async def measure(request: Request, acting: Measurer, _body: Nothing) -> dict[str, Any]:
    return await written(request, acting, lambda s: s.audit.measure())


@router.post("/audit/report", summary="Issue the audit's final report", openapi_extra=body_schema(Empty))
async def report(request: Request, acting: Reporter, _body: Nothing) -> dict[str, Any]:
    return await written(request, acting, lambda s: s.audit.report())
