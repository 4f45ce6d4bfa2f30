"""``/api/v1/cases``: the docket's writes, each for the authenticated principal.

File a claim (a party representative's nullity request, a judge's own-motion case, a clerk's
observation), rule (a dispute-body judge), appeal (a representative), decide an appeal (an
appeals judge), finalise. Each route parses its body with :mod:`escrutinio.parsing` and calls
``session.cases``. A role that may take none of a route's actions is refused (403) before the
body is read; the application then checks the scope (403 naming the rule) and the claim rules
(a refused filing is recorded as inadmissible, with its rule). A ``key`` makes a write
idempotent: sent twice, recorded once.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Request, Response
from pydantic import Field

from escrutinio.api.auth import acting_for, acting_on_case
from escrutinio.api.bodies import Strict, body_schema, json_body
from escrutinio.api.deps import Sessions
from escrutinio.api.documented import NAMED, one_of
from escrutinio.api.receipts import written
from escrutinio.app import Action

router = APIRouter(tags=["cases"])

Filer = Annotated[Sessions, acting_for(Action.FILE_CLAIM, Action.OPEN_OWN_MOTION, Action.OPEN_OBSERVATION, doing="file a case")]
"""Who may file some kind of case; which kind the principal may file is the application's check."""
Ruler = Annotated[Sessions, acting_on_case(Action.RULE)]
Appellant = Annotated[Sessions, acting_on_case(Action.APPEAL)]
AppealsJudge = Annotated[Sessions, acting_on_case(Action.DECIDE_APPEAL)]
Finaliser = Annotated[Sessions, acting_for(Action.FINALISE, whole_election=True)]

Key = Field(None, min_length=1, description="Idempotency key: the same action sent again with the same key is recorded once")


class FilingBody(Strict):
    tables: list[str] = Field(min_length=1, max_length=10_000, description="The tables the case is about")
    filer: str = Field(description="Who files: a party (a choice of the contest) for a nullity request")
    kind: Annotated[str, one_of("case_kind")] = Field("nullity_request", description="The kind of case")
    grounds: str = Field("", description="The grounds (this election's, e.g. LOE art. 363 a to d)")
    fee_receipt: str | None = Field(None, description="The fee's receipt, when a fee is due")
    requested: Annotated[str, one_of("effect")] | None = Field(None, description="The effect asked for; the kind's if none")
    key: str | None = Key


class DecisionBody(Strict):
    resolution: Annotated[str, NAMED] = Field(description="The resolution's number")
    effect: Annotated[str, one_of("effect")] = Field(description="What the decision does; confirm or reverse on appeal")
    figures: str | None = Field(None, description="count_corrected: PL=..,FP=..,blank=..,null=..,challenged=..,cast=..")
    decided: str | None = Field(None, description="decide_challenged: ballots per choice or null, PL=1,null=2")
    instead: str | None = Field(None, description="reverse: the decision that stands instead")
    reasoning: str = ""
    body: str | None = Field(None, description="The deciding body; the case's own if none")
    key: str | None = Key


class AppealBody(Strict):
    filer: str = Field(description="The appealing party (a choice of the contest)")
    key: str | None = Key


class KeyBody(Strict):
    key: str | None = Key


def _post(path: str, summary: str, body: type[Strict]) -> Any:
    """A write route whose body (``body``, read after the caller is checked) is documented."""
    return router.post(path, summary=summary, openapi_extra=body_schema(body))


Filing = Annotated[FilingBody, json_body(FilingBody)]
Deciding = Annotated[DecisionBody, json_body(DecisionBody)]
Appealing = Annotated[AppealBody, json_body(AppealBody)]
Keyed = Annotated[KeyBody, json_body(KeyBody)]


@router.post(
    "/cases",
    summary="File a case: a nullity request, an own-motion case or an observation",
    status_code=201,
    openapi_extra=body_schema(FilingBody),
)
async def file_case(request: Request, acting: Filer, body: Filing, response: Response) -> dict[str, Any]:
    """The case's receipt: 201 for a new case (a created resource, as a sheet's entry), 200 for
    one recorded before under the same ``key``."""
    from escrutinio.api.routes_intake import status_of
    from escrutinio.parsing import parse_case_kind, parse_effect_kind, parse_table_id

    kind = parse_case_kind(body.kind, "kind")
    requested = parse_effect_kind(body.requested, "requested") if body.requested else None
    tables = [parse_table_id(t, "tables") for t in body.tables]
    answer = await written(
        request,
        acting,
        lambda s: s.cases.file(
            tables=tables,
            filer=body.filer,
            kind=kind,
            grounds=body.grounds,
            fee_receipt=body.fee_receipt,
            requested=requested,
            key=body.key,
        ),
    )
    response.status_code = status_of(answer)
    return answer


def _decision(session: Any, body: DecisionBody) -> Any:
    from escrutinio.app.cases import Decision
    from escrutinio.parsing import parse_effect

    choices = session.election().contest.choice_ids
    effect = parse_effect(body.effect, choices, figures=body.figures, decided=body.decided, instead=body.instead)
    return Decision(body.resolution, effect, body.reasoning, body.body)


@_post("/cases/{number}/ruling", "Rule on a case (its dispute body's judge)", DecisionBody)
async def rule(request: Request, number: str, acting: Ruler, body: Deciding) -> dict[str, Any]:
    return await written(request, acting, lambda s: s.cases.rule(number, _decision(s, body), key=body.key))


@_post("/cases/{number}/appeal", "Appeal the decision on a case (a party's representative)", AppealBody)
async def appeal(request: Request, number: str, acting: Appellant, body: Appealing) -> dict[str, Any]:
    return await written(request, acting, lambda s: s.cases.appeal(number, filer=body.filer, key=body.key))


@_post("/cases/{number}/appeal-decision", "Decide an appeal (the appeals body's judge)", DecisionBody)
async def decide(request: Request, number: str, acting: AppealsJudge, body: Deciding) -> dict[str, Any]:
    return await written(request, acting, lambda s: s.cases.decide(number, _decision(s, body), key=body.key))


@_post("/cases/finalise", "Make final every ruling whose appeal window closed with no appeal", KeyBody)
async def finalise(request: Request, acting: Finaliser, body: Keyed) -> dict[str, Any]:
    return await written(request, acting, lambda s: s.cases.finalise(key=body.key))
