"""The clerk's intake screen: key a table's tally sheet (one of its two independent entries) and
attach its scanned image.

The page says before keying whether this is the table's first or second entry (and whose the
first was); after, what the double entry made of it: awaiting the second entry, processed (the
sheet's state), or a mismatch naming the fields the two entries differ on and the observation
case that sent the sheet to the dispute body. Each form carries an idempotency key made when the
form is drawn, so a double click or a resubmitted page records the entry once.
"""

from __future__ import annotations

import secrets
from typing import Annotated, Any

from fastapi import APIRouter, Query
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from escrutinio.app import EscrutinioError, Session
from escrutinio.parsing import parse_table_id, parse_tally_figure
from escrutinio.web.login import PREFIX, Signed, form_action, refusal_of, refusal_status, screen
from escrutinio.web.page import Page, PageRequest, PageRoute
from escrutinio.web.work_pages import render

router = APIRouter(prefix=PREFIX + "/intake", include_in_schema=False, route_class=PageRoute)

ACTS = ("submit_sheet", "attach_image")
"""What the screen does: a role that may do none of it is refused on opening (the API's role permits)."""

LINES = ("blank", "null", "challenged", "cast")
"""The sheet's lines after the votes per choice, in the order the paper form has them."""


def _table_view(session: Session, table: str | None) -> dict[str, Any]:
    """The contest's choices, and the table's entries and scans so far."""
    contest = session.election().contest
    choices = [{"id": c.id, "name": c.candidate or c.name or c.party} for c in contest.choices]
    contest = session.count.contest()  # the page's times in the election's zone
    if not table:
        return {"choices": choices, "contest": contest, "entries": [], "images": []}
    rows = session.intake.entries(table)
    return {
        "choices": choices,
        "contest": contest,
        "entries": [r for r in rows if r["type"] == "sheet.entered"],
        "images": [r for r in rows if r["type"] == "sheet.image_attached"],
    }


async def _page(page: PageRequest, who: Signed, table: str | None, *, status_code: int = 200, **context: Any) -> Response:
    try:
        view = await who.run(lambda s: _table_view(s, table))
    except EscrutinioError as exc:
        problem = context.pop("problem", None) or refusal_of(exc)
        view = await who.run(lambda s: _table_view(s, None))
        status_code, context = refusal_status(exc), {"problem": problem}
    context.setdefault("key", secrets.token_urlsafe(12))
    context.setdefault("values", {})
    context.setdefault("errors", {})
    title = page.gettext("Tally sheet intake")
    return render(page, "work/intake.html", who, title=title, status_code=status_code, table=table, **view, **context)


@router.get("")
@screen(acts=ACTS)
async def intake_form(page: Page, who: Signed, asked: Annotated[str | None, Query(alias="table")] = None) -> Response:
    """The entry form (for the table in ``?table=``, with its entries so far)."""
    try:
        table = parse_table_id(asked, "table") if asked else None
    except EscrutinioError as exc:
        return await _page(page, who, None, status_code=422, errors={"table": str(exc)})
    if table:
        try:
            await who.run(lambda s: s.intake.check_entry(table))
        except EscrutinioError as exc:  # the table takes no entry of this clerk's: why, and no form
            return await _page(page, who, None, status_code=refusal_status(exc), problem=refusal_of(exc))
    return await _page(page, who, table)


def _figures(form: FormData, choices: list[str]) -> tuple[dict[str, int], dict[str, int], dict[str, str]]:
    """The votes and the other lines as typed, each parsed; problems by field."""
    votes: dict[str, int] = {}
    lines: dict[str, int] = {}
    errors: dict[str, str] = {}
    for name, into in [*((f"votes.{c}", votes) for c in choices), *((line, lines) for line in LINES)]:
        text = form.get(name)
        try:
            into[name.removeprefix("votes.")] = parse_tally_figure(text if isinstance(text, str) else None, name)
        except EscrutinioError as exc:
            errors[name] = str(exc)
    return votes, lines, errors


@router.post("")
@form_action(acts=ACTS)
async def submit(page: Page, who: Signed, form: FormData) -> Response:
    """Record the signed-in clerk's entry of the sheet; show where the double entry stands."""
    values = {k: v for k, v in form.items() if isinstance(v, str) and k != "csrf"}
    key = str(form.get("key") or "")
    try:
        table = parse_table_id(str(form.get("table") or ""), "table")
    except EscrutinioError as exc:
        return await _page(page, who, None, status_code=422, values=values, errors={"table": str(exc)}, key=key)
    choices = await who.run(lambda s: list(s.election().contest.choice_ids))
    votes, lines, errors = _figures(form, choices)
    if errors:
        return await _page(page, who, table, status_code=422, values=values, errors=errors, key=key)
    try:
        receipt = await who.run(
            lambda s: s.intake.submit_entry(
                table,
                votes,
                blank=lines["blank"],
                null=lines["null"],
                challenged=lines["challenged"],
                cast=lines["cast"],
                key=key or secrets.token_urlsafe(12),
            )
        )
    except EscrutinioError as exc:
        status = refusal_status(exc)
        return await _page(page, who, table, status_code=status, values=values, problem=refusal_of(exc), key=key)
    return await _page(page, who, table, status_code=200 if receipt.already_done else 201, receipt=receipt.to_dict())


@router.post("/image")
@form_action(acts=ACTS)
async def attach_image(page: Page, who: Signed, form: FormData) -> Response:
    """Keep the scan of the table's sheet (JPEG, PNG or PDF, judged by its bytes; at most 10 MB)."""
    upload = form.get("image")
    try:
        table = parse_table_id(str(form.get("table") or ""), "table")
    except EscrutinioError as exc:
        return await _page(page, who, None, status_code=422, errors={"table": str(exc)})
    if not isinstance(upload, UploadFile) or not upload.filename:
        return await _page(page, who, table, status_code=422, errors={"image": "image: choose the scanned sheet's file"})
    data = await upload.read()
    key = str(form.get("key") or "") or secrets.token_urlsafe(12)
    try:
        receipt = await who.run(lambda s: s.intake.attach_image(table, data, key))
    except EscrutinioError as exc:
        return await _page(page, who, table, status_code=refusal_status(exc), problem=refusal_of(exc))
    return await _page(page, who, table, status_code=200 if receipt.already_done else 201, image=receipt.to_dict())
