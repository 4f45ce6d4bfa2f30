"""The auditor's screen: the current round's retrieval list, and hand-count entries one at a time
or many at once (a CSV pasted or uploaded, as ``escrutinio audit record --file`` takes it).

Every entry goes through ``session.audit`` for the signed-in auditor: a table outside their area
is refused naming the rule; a bad CSV row is named ``source:line:column`` and then nothing is
written; a CSV sent twice (a double click, a reload) adds nothing the second time.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from escrutinio.app import EscrutinioError, Session
from escrutinio.parsing import AuditEntryText, InputError, parse_audit_entry, parse_counts, parse_tally_figure
from escrutinio.web.login import PREFIX, Signed, form_action, refusal_of, refusal_status, said, screen
from escrutinio.web.page import Page, PageRequest, PageRoute
from escrutinio.web.work_pages import render

router = APIRouter(prefix=PREFIX + "/audit", include_in_schema=False, route_class=PageRoute)

ACTS = ("record_audit_entry",)
"""What the screen does: a role that may do none of it is refused on opening (the API's role permits)."""

ENTRY_FIELDS = ("table", "entry", "counts", "ballots", "by")
PASTED = "pasted CSV"
"""How a pasted CSV is named in its problems (``pasted CSV:3:counts: ...``)."""


def _view(session: Session) -> dict[str, Any]:
    """The audit's status and the last round's retrieval list (None before a draw)."""
    status = session.audit.status()
    try:
        retrieval = session.audit.retrieval()
    except EscrutinioError:
        retrieval = None
    contest = session.count.contest()
    return {"status": status, "retrieval": retrieval, "choices": [c["id"] for c in contest["choices"]], "contest": contest}


async def _page(page: PageRequest, who: Signed, *, status_code: int = 200, **context: Any) -> Response:
    try:
        view = await who.run(_view)
    except EscrutinioError as exc:
        view = {"status": None, "retrieval": None, "choices": []}
        context.setdefault("problem", refusal_of(exc))
        status_code = max(status_code, refusal_status(exc))
    context.setdefault("values", {})
    title = page.gettext("Audit hand counts")
    return render(page, "work/audit.html", who, title=title, status_code=status_code, **view, **context)


@router.get("")
@screen(acts=ACTS)
async def audit_screen(page: Page, who: Signed) -> Response:
    """Where the audit stands, the retrieval list, and the entry forms."""
    return await _page(page, who)


@router.post("/entry")
@form_action(acts=ACTS)
async def record_entry(page: Page, who: Signed, form: FormData) -> Response:
    """Record one hand-count entry (1 or 2) of a sampled table."""
    values = {k: str(form.get(k) or "") for k in ENTRY_FIELDS}

    def act(session: Session) -> dict[str, Any]:
        return session.audit.record(_entry(session, values))

    try:
        recorded = await who.run(act)
    except EscrutinioError as exc:
        lines = [line for line in said(exc).split("\n") if line]
        shown = {"bulk_problems": lines} if len(lines) > 1 else {}
        return await _page(page, who, status_code=refusal_status(exc), values=values, problem=refusal_of(exc), **shown)
    return await _page(page, who, status_code=201, recorded=recorded)


def _entry(session: Session, values: dict[str, str]) -> Any:
    """The form's entry, every bad field named at once (each field read by its own parser; the
    entry's own rules, who counted and the table, checked with the figures that did parse)."""
    problems: list[str] = []

    def read(parse: Any, *args: Any) -> Any:
        try:
            return parse(*args)
        except InputError as exc:
            problems.append(said(exc))
            return None

    entry = read(parse_tally_figure, values["entry"], "entry")
    ballots = read(parse_tally_figure, values["ballots"], "ballots")
    counts = read(parse_counts, values["counts"], "counts")
    unit = session.audit.unit()
    text = AuditEntryText(values["table"], values["by"], entry or 1, values["counts"] if counts else "x=0", ballots or 0)
    parsed = read(parse_audit_entry, unit, text)
    if problems:
        raise InputError("\n".join(problems))
    return parsed


@router.post("/entries")
@form_action(acts=ACTS)
async def record_bulk(page: Page, who: Signed, form: FormData) -> Response:
    """Record every row of a hand-count CSV (pasted, or an uploaded file) in one transaction."""
    upload, pasted = form.get("file"), form.get("csv")
    if isinstance(upload, UploadFile) and upload.filename:
        data, source = await upload.read(), upload.filename
    elif isinstance(pasted, str) and pasted.strip():
        data, source = pasted.replace("\r\n", "\n").encode("utf-8"), PASTED
    else:
        problem = {"rule": "invalid", "message": "csv: paste the hand-count CSV or choose its file"}
        return await _page(page, who, status_code=422, problem=problem)
    try:
        recorded = await who.run(lambda s: s.audit.record_csv(data, source))
    except EscrutinioError as exc:
        lines = [line for line in said(exc).split("\n") if line]
        return await _page(
            page,
            who,
            status_code=refusal_status(exc),
            problem=refusal_of(exc),
            bulk_problems=lines,
            pasted=pasted if isinstance(pasted, str) else "",
        )
    return await _page(page, who, status_code=201, bulk={**recorded, "source": source})
