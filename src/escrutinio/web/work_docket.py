"""The judge's screen: the docket of their body and area (``session.cases.worklist``) and the
ruling form of one case (a first-instance ruling, or an appeal's decision when it is appealed).

The ruling goes through ``session.cases.rule`` / ``decide`` for the signed-in judge: a judge of
another body or area is refused by the application, and the page shows the rule.
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.responses import Response

from escrutinio.app import EscrutinioError, Session
from escrutinio.parsing import parse_case_number, parse_effect
from escrutinio.web.login import PREFIX, Signed, form_action, refusal_of, refusal_status, refused, screen
from escrutinio.web.page import Page, PageRequest, PageRoute
from escrutinio.web.work_pages import render

router = APIRouter(prefix=PREFIX + "/docket", include_in_schema=False, route_class=PageRoute)

ACTS = ("rule", "decide_appeal")
"""What the screen does: a role that may do none of it is refused on opening (the API's role permits)."""

FIELDS = ("resolution", "effect", "figures", "decided", "instead", "reasoning")
EFFECTS = ("annul", "dismiss", "count_as_is", "count_corrected", "decide_challenged")
APPEAL_EFFECTS = ("confirm", "reverse")


@router.get("")
@screen(acts=ACTS)
async def docket(page: Page, who: Signed) -> Response:
    """The open cases the signed-in judge may decide."""
    try:
        rows, contest = await who.run(lambda s: (s.cases.worklist(), s.count.contest()))
    except EscrutinioError as exc:
        rows, contest, problem, status = [], None, refusal_of(exc), refusal_status(exc)
    else:
        problem, status = None, 200
    title = page.gettext("Docket: the cases you may decide")
    return render(page, "work/docket.html", who, title=title, status_code=status, rows=rows, problem=problem, contest=contest)


def _case(session: Session, number: str) -> dict[str, Any]:
    contest = session.count.contest()
    return {"case": session.cases.show(number), "choices": [c["id"] for c in contest["choices"]], "contest": contest}


async def _case_page(page: PageRequest, who: Signed, number: str, *, status_code: int = 200, **context: Any) -> Response:
    try:
        view = await who.run(lambda s: _case(s, number))
    except EscrutinioError as exc:
        return refused(page, who, exc)
    appealed = view["case"]["status"] == "appealed"
    context.setdefault("values", {})
    context.setdefault("key", secrets.token_urlsafe(12))
    effects = APPEAL_EFFECTS if appealed else EFFECTS
    title = page.gettext("Case %(number)s") % {"number": view["case"]["number"]}
    shown = {"appealed": appealed, "effects": effects, **view, **context}
    return render(page, "work/ruling.html", who, title=title, status_code=status_code, **shown)


@router.get("/{number}")
@screen(acts=ACTS)
async def case_form(page: Page, who: Signed, number: str) -> Response:
    try:
        found = parse_case_number(number, "number")
    except EscrutinioError as exc:
        return refused(page, who, exc)
    return await _case_page(page, who, found)


@router.post("/{number}")
@form_action(acts=ACTS)
async def decide(page: Page, who: Signed, form: FormData, number: str) -> Response:
    """Rule on the case (or decide its appeal) for the signed-in judge."""
    from escrutinio.app.cases import Decision

    values = {k: str(form.get(k) or "") for k in FIELDS}
    key = str(form.get("key") or "") or secrets.token_urlsafe(12)

    def act(session: Session) -> dict[str, Any]:
        found = parse_case_number(number, "number")
        choices = session.election().contest.choice_ids
        effect = parse_effect(
            values["effect"],
            choices,
            figures=values["figures"].strip() or None,
            decided=values["decided"].strip() or None,
            instead=values["instead"].strip() or None,
        )
        decision = Decision(values["resolution"].strip(), effect, values["reasoning"].strip())
        appealed = session.cases.show(found)["status"] == "appealed"
        written = (session.cases.decide if appealed else session.cases.rule)(found, decision, key=key)
        return written.to_dict()

    try:
        written = await who.run(act)
    except EscrutinioError as exc:
        return await _case_page(
            page, who, number, status_code=refusal_status(exc), values=values, problem=refusal_of(exc), key=key
        )
    return await _case_page(page, who, number, status_code=201, written=written)
