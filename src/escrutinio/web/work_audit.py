"""The auditor's screen: the current round's retrieval list (an auditor of an area sees only its
tables), hand-count entries one at a time or many at once (a CSV pasted or uploaded, as
``escrutinio audit record --file`` takes it), and the resolution of a table whose two entries
differ (``escrutinio audit resolve``).

Every entry and resolution goes through ``session.audit`` for the signed-in auditor: a table
outside their area is refused naming the rule; a bad CSV row is named ``source:line:column`` and
then nothing is written; a CSV sent twice (a double click, a reload) adds nothing the second time;
a resolution of a table whose entries do not differ is refused by the audit's own rules.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fastapi import APIRouter
from starlette.datastructures import FormData, UploadFile
from starlette.responses import Response

from escrutinio.app import EscrutinioError, Session
from escrutinio.parsing import (
    AuditEntryText,
    InputError,
    parse_audit_entry,
    parse_audit_resolution,
    parse_counts,
    parse_tally_figure,
)
from escrutinio.web.login import PREFIX, Signed, form_action, refusal_of, refusal_status, screen
from escrutinio.web.page import Page, PageRequest, PageRoute
from escrutinio.web.work_pages import render

router = APIRouter(prefix=PREFIX + "/audit", include_in_schema=False, route_class=PageRoute)

ACTS = ("record_audit_entry", "resolve_audit_entry")
"""What the screen does: a role that may do none of it is refused on opening (the API's role permits)."""
RECORD_ACTS = ("record_audit_entry",)
RESOLVE_ACTS = ("resolve_audit_entry",)

ENTRY_FIELDS = ("table", "entry", "counts", "ballots", "by")
RESOLUTION_FIELDS = ("table", "counts", "ballots", "by", "reason")
PASTED = "pasted CSV"
"""How a pasted CSV is named in its problems (``pasted CSV:3:counts: ...``)."""


def _view(session: Session, area: str | None) -> dict[str, Any]:
    """The audit's status and the last round's retrieval list within ``area`` (the signed-in
    auditor's; None: all of it), each table with where its double entry stands (None before a draw)."""
    status = session.audit.status()
    try:
        retrieval = session.audit.retrieval(area=area)
    except EscrutinioError:
        retrieval = None
    contest = session.count.contest()
    by_table = {row["table"]: row["status"] for row in status["tables"] if "position" not in row}
    return {
        "status": status,
        "retrieval": retrieval,
        "entry_status": by_table,
        "choices": [c["id"] for c in contest["choices"]],
        "contest": contest,
    }


async def _page(page: PageRequest, who: Signed, *, status_code: int = 200, **context: Any) -> Response:
    try:
        view = await who.run(lambda s: _view(s, who.principal.area))
    except EscrutinioError as exc:
        view = {"status": None, "retrieval": None, "entry_status": {}, "choices": []}
        context.setdefault("problem", refusal_of(exc))
        status_code = max(status_code, refusal_status(exc))
    context.setdefault("values", {})
    context.setdefault("resolving", {})
    title = page.gettext("Audit hand counts")
    return render(page, "work/audit.html", who, title=title, status_code=status_code, **view, **context)


@router.get("")
@screen(acts=ACTS)
async def audit_screen(page: Page, who: Signed) -> Response:
    """Where the audit stands, the retrieval list, and the entry forms."""
    return await _page(page, who)


@dataclass(frozen=True)
class SingleForm:
    """One of the screen's one-table forms: its fields, how its text is read, what it records,
    and the names the page gets what was written (``shown``) and what was typed (``kept``) under."""

    fields: tuple[str, ...]
    parse: Callable[..., Any]
    write: Callable[[Session, Any], dict[str, Any]]
    shown: str
    kept: str


ENTRY = SingleForm(ENTRY_FIELDS, parse_audit_entry, lambda s, entry: s.audit.record(entry), "recorded", "values")
RESOLUTION = SingleForm(
    RESOLUTION_FIELDS, parse_audit_resolution, lambda s, resolution: s.audit.resolve(resolution), "resolved", "resolving"
)


@router.post("/entry")
@form_action(acts=RECORD_ACTS)
async def record_entry(page: Page, who: Signed, form: FormData) -> Response:
    """Record one hand-count entry (1 or 2) of a sampled table."""
    return await _written(page, who, form, ENTRY)


@router.post("/resolution")
@form_action(acts=RESOLVE_ACTS)
async def resolve(page: Page, who: Signed, form: FormData) -> Response:
    """Settle a table whose two entries differ: the count that stands, who settled it and why."""
    return await _written(page, who, form, RESOLUTION)


async def _written(page: PageRequest, who: Signed, form: FormData, single: SingleForm) -> Response:
    """What ``single`` records, for the signed-in auditor: the page with it (201), or with the
    refusal and every problem it names, the form keeping what was typed."""
    values = {k: str(form.get(k) or "") for k in single.fields}
    try:
        written = await who.run(lambda s: single.write(s, _typed(s, values, single.parse)))
    except EscrutinioError as exc:
        lines = [line for line in str(exc).split("\n") if line]
        problems = {"bulk_problems": lines} if len(lines) > 1 else {}
        kept = {single.kept: values}
        return await _page(page, who, status_code=refusal_status(exc), problem=refusal_of(exc), **kept, **problems)
    return await _page(page, who, status_code=201, **{single.shown: written})


def _typed(session: Session, values: dict[str, str], parse: Any) -> Any:
    """The form's entry (``parse_audit_entry``) or resolution (``parse_audit_resolution``), every
    bad field named at once (each field read by its own parser; the entry's own rules, who
    counted, why, and the table, checked with the figures that did parse)."""
    problems: list[str] = []

    def read(parse: Any, *args: Any) -> Any:
        try:
            return parse(*args)
        except InputError as exc:
            problems.append(str(exc))
            return None

    entry = read(parse_tally_figure, values["entry"], "entry") if "entry" in values else None
    ballots = read(parse_tally_figure, values["ballots"], "ballots")
    counts = read(parse_counts, values["counts"], "counts")
    unit = session.audit.unit()
    figures = values["counts"] if counts else "x=0"  # the other rules are still checked when the counts are bad
    text = AuditEntryText(values["table"], values["by"], entry or 1, figures, ballots or 0, reason=values.get("reason"))
    parsed = read(parse, unit, text)
    if problems:
        raise InputError("\n".join(problems))
    return parsed


@router.post("/entries")
@form_action(acts=RECORD_ACTS)
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
        lines = [line for line in str(exc).split("\n") if line]
        return await _page(
            page,
            who,
            status_code=refusal_status(exc),
            problem=refusal_of(exc),
            bulk_problems=lines,
            pasted=pasted if isinstance(pasted, str) else "",
        )
    return await _page(page, who, status_code=201, bulk={**recorded, "source": source})
