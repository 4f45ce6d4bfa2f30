"""The party representative's filing screen: a nullity request, checked before it is filed.

The form shows the election's claim rules first (deadline, fee per table, grounds, the store's
clock that filings are judged on). *Check* asks the application what filing it now would meet
(``session.cases.check``: the principal's own access, then every claim rule) and shows each
problem beside its field; *File* checks again and files only when nothing is wrong: a filing
that breaks a rule would still be recorded, as inadmissible, so the person decides knowingly
(the box "file anyway" records it so).
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter
from starlette.datastructures import FormData
from starlette.responses import Response

from escrutinio.app import EscrutinioError
from escrutinio.parsing import parse_table_list
from escrutinio.web.login import PREFIX, Signed, form_action, refusal_of, refusal_status, screen
from escrutinio.web.page import Page, PageRequest, PageRoute
from escrutinio.web.work_pages import render

router = APIRouter(prefix=PREFIX + "/claims", include_in_schema=False, route_class=PageRoute)

ACTS = ("file_claim",)
"""What the screen does: a role that may do none of it is refused on opening (the API's role permits)."""

FIELDS = ("tables", "filer", "grounds", "fee_receipt")


async def _page(page: PageRequest, who: Signed, *, status_code: int = 200, **context: Any) -> Response:
    rules = await who.run(lambda s: s.cases.rules())
    own = who.principal.party
    if own:  # a representative files for their own party only: the list offers no other
        rules = {**rules, "parties": [p for p in rules["parties"] if p == own]}
    context.setdefault("values", {"filer": who.principal.party or ""})
    context.setdefault("key", secrets.token_urlsafe(12))
    problems = context.pop("problems", [])
    whole = [p for p in problems if p.get("access") and not p.get("field")]  # the role itself: the page's refusal box
    if whole and "problem" not in context:
        context["problem"] = {"rule": whole[0]["rule"], "message": whole[0]["message"]}
    by_field: dict[str, list[str]] = {}
    for p in problems:
        by_field.setdefault(p.get("field") or "filing", []).append(f"{p['rule']}: {p['message']}")
    return render(
        page,
        "work/claims.html",
        who,
        title=page.gettext("File a claim: nullity request"),
        status_code=status_code,
        rules=rules,
        problems=problems,
        by_field=by_field,
        **context,
    )


@router.get("")
@screen(acts=ACTS)
async def claim_form(page: Page, who: Signed) -> Response:
    """The filing form under the election's claim rules."""
    return await _page(page, who)


@router.post("")
@form_action(acts=ACTS)
async def check_or_file(page: Page, who: Signed, form: FormData) -> Response:
    """``step=check``: the problems, nothing written; ``step=file``: file when none (or anyway)."""
    values = {k: str(form.get(k) or "") for k in FIELDS}
    key = str(form.get("key") or "") or secrets.token_urlsafe(12)
    try:
        tables = parse_table_list(values["tables"], "tables")
    except EscrutinioError as exc:
        problem = {"rule": "invalid", "field": "tables", "access": False, "message": str(exc).removeprefix("tables: ")}
        return await _page(page, who, status_code=422, values=values, problems=[problem], key=key)
    filing = {
        "tables": tables,
        "filer": values["filer"].strip(),
        "grounds": values["grounds"].strip(),
        "fee_receipt": values["fee_receipt"].strip() or None,
    }
    checked = await who.run(lambda s: s.cases.check(**filing))
    problems = checked["problems"]
    anyway = form.get("anyway") == "yes"
    refused = any(p["access"] for p in problems)  # the application would refuse it whole: never "anyway"
    if form.get("step") != "file" or (problems and not anyway) or refused:
        status = 200 if not problems else 403 if refused else 422
        return await _page(page, who, status_code=status, values=values, problems=problems, checked=checked, key=key)
    try:
        written = await who.run(lambda s: s.cases.file(**filing, key=key))
    except EscrutinioError as exc:
        return await _page(page, who, status_code=refusal_status(exc), values=values, problem=refusal_of(exc), key=key)
    return await _page(page, who, status_code=201, filed=written.to_dict())
