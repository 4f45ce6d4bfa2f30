"""``/api/v1/tables/{table}/entries`` and ``.../image``: clerks key sheets and attach their scans.

Every write carries an ``Idempotency-Key`` header: a client that timed out sends the same
request again and gets the first answer (``already_done: true``), never a second entry. The
answer names the event that recorded the action and where the table's double entry stands:
``awaiting_second_entry``, ``processed`` (with the sheet's state) or ``mismatch`` (with the
fields that differ and the observation case opened).

Scans are public reads by their SHA-256 (the hash the event names), immutable, so any cache
may keep them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Request, Response
from pydantic import Field

from escrutinio.api.auth import acting_for, acting_on_table
from escrutinio.api.bodies import Strict, body_schema, form_file, json_body
from escrutinio.api.deps import Reads, Sessions
from escrutinio.api.documented import ROWS
from escrutinio.api.receipts import written
from escrutinio.api.representation import READ_RESPONSES, FormatQuery, answer, listing
from escrutinio.app import MAX_COUNT, Action, Session

router = APIRouter(tags=["intake"])

TABLE = Path(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$", description="the polling table's id")
KEY = Header(alias="Idempotency-Key", min_length=1, max_length=120, description="the client's key for this action")
IMAGE_BODY = {
    "content": {t: {"schema": {"type": "string", "format": "binary"}} for t in ("image/jpeg", "image/png", "application/pdf")},
    "required": True,
}
Count = Annotated[int, Field(ge=0, le=MAX_COUNT)]
"""A figure of one table's sheet: at most the project's one limit (``MAX_COUNT``), as a file's."""


class SheetEntry(Strict):
    """One clerk's keying of a tally sheet: votes per choice id, then the other lines."""

    votes: dict[Annotated[str, Field(max_length=64)], Count] = Field(
        description="votes per choice id, e.g. {'PL': 115, 'FP': 87}"
    )
    blank: Count
    null: Count
    challenged: Count = 0
    cast: Count = Field(description="ballots cast (ciudadanos que votaron)")


Keyer = Annotated[Sessions, acting_on_table(Action.SUBMIT_SHEET)]
"""Sessions for the bearer token's account, refused at once unless its role keys sheets and the
table the path names lies in its area: both before the body is read (401, 403, then 422)."""
Scanner = Annotated[Sessions, acting_for(Action.ATTACH_IMAGE)]


@router.post(
    "/tables/{table}/entries",
    summary="Key a tally sheet (one of its two entries)",
    status_code=201,
    openapi_extra=body_schema(SheetEntry),
)
async def submit_entry(
    request: Request,
    table: Annotated[str, TABLE],
    clerk: Keyer,
    entry: Annotated[SheetEntry, json_body(SheetEntry)],
    key: Annotated[str, KEY],
    response: Response,
) -> dict[str, Any]:
    """The entry's event and where the table's double entry stands (``state``); a resubmission
    with the same key answers 200 with the first result and ``already_done: true``; ``receipts``
    as every write (``api/receipts.py``)."""
    return _status(await written(request, clerk, entering(table, entry, key), names_its_events=True), response)


def entering(table: str, entry: SheetEntry, key: str) -> Callable[[Session], Any]:
    """The application's action of a sheet entry (this route's, and ``api/hot_writes.py``'s)."""
    return lambda s: s.intake.submit_entry(
        table, entry.votes, blank=entry.blank, null=entry.null, challenged=entry.challenged, cast=entry.cast, key=key
    )


@router.get(
    "/tables/{table}/entries",
    summary="A table's entries and scans, with their clerks and times",
    responses={**READ_RESPONSES, **ROWS},
)
async def entries(request: Request, table: Annotated[str, TABLE], reads: Reads, fmt: FormatQuery = None) -> Response:
    """Each entry and scan, oldest first, with its event, time and clerk; JSON, or CSV (one row
    an entry, ``sheet.votes.PL`` a column) with ``?format=csv`` or ``Accept: text/csv``, as every read."""
    return await answer(request, reads, fmt, listing(lambda s: s.intake.entries(table)))


@router.put(
    "/tables/{table}/image",
    summary="Attach a scan of the sheet (JPEG, PNG or PDF, at most 10 MB)",
    status_code=201,
    openapi_extra={"requestBody": IMAGE_BODY},
)
async def attach_image(
    table: Annotated[str, TABLE], request: Request, key: Annotated[str, KEY], clerk: Scanner, response: Response
) -> dict[str, Any]:
    """The raw bytes of the file as the body; its type is judged by its content, not by the
    ``Content-Type`` header. The answer names the event and the SHA-256 the scan is kept under."""
    return await _attach(request, clerk, table, await request.body(), key, response)


def _status(answer: dict[str, Any], response: Response) -> dict[str, Any]:
    """201 for a new action, 200 for one recorded before under the same key."""
    response.status_code = status_of(answer)
    return answer


def status_of(answer: dict[str, Any]) -> int:
    """201 for a new action, 200 for one recorded before under the same key."""
    return 200 if answer["already_done"] else 201


async def _attach(request: Request, clerk: Sessions, table: str, data: bytes, key: str, response: Response) -> dict[str, Any]:
    return _status(await written(request, clerk, lambda s: s.intake.attach_image(table, data, key)), response)


IMAGE_FORM = {
    "multipart/form-data": {
        "schema": {
            "type": "object",
            "required": ["image"],
            "properties": {
                "image": {"type": "string", "format": "binary", "minLength": 1, "description": "the scan: JPEG, PNG or PDF"}
            },
            "additionalProperties": False,
        }
    }
}


@router.post(
    "/tables/{table}/image",
    summary="Upload a scan of the sheet as a form (field `image`: JPEG, PNG or PDF, at most 10 MB)",
    status_code=201,
    openapi_extra=body_schema(media_types=IMAGE_FORM),
)
async def upload_image(
    table: Annotated[str, TABLE], request: Request, key: Annotated[str, KEY], clerk: Scanner, response: Response
) -> dict[str, Any]:
    """What a browser's file input sends (``multipart/form-data``); the same action as ``PUT``
    with the raw bytes: judged by content, kept by SHA-256, idempotent by key. The clerk's area
    is judged before the form is read (401, 403, then 422)."""
    await clerk.run(lambda s: s.intake.check_area(table, Action.ATTACH_IMAGE))
    return await _attach(request, clerk, table, await form_file(request, "image"), key, response)


SCAN_HEADERS = {"X-Content-Type-Options": "nosniff", "Content-Security-Policy": "default-src 'none'; sandbox"}
"""A scan is served as the type its content was checked to be, never sniffed as another, and runs
nothing if opened in a browser (a PDF's or any file's script: no source allowed, sandboxed)."""
DOWNLOAD = {"Content-Disposition": "attachment", "Content-Type": "application/octet-stream"}
"""Any other kept file (a case's evidence: ``ev.html`` was served as ``text/html``) is bytes to
save, never a page this origin opens."""


@router.get(
    "/images/{sha256}",
    summary="A scan, by its SHA-256",
    responses={200: {"content": {t: {} for t in ("image/jpeg", "image/png", "application/pdf", "application/octet-stream")}}},
    response_class=Response,
)
async def image(
    sha256: Annotated[str, Path(min_length=64, max_length=64, pattern=r"^[0-9a-fA-F]{64}$")], reads: Reads
) -> Response:
    """A scan with its type (checked by content); any other kept file by that hash (a case's
    evidence) as ``application/octet-stream`` to download."""
    data, scan_type = await reads.run(lambda s: s.intake.image(sha256))
    headers = {"ETag": f'"{sha256.lower()}"', "Cache-Control": "public, max-age=31536000, immutable", **SCAN_HEADERS}
    if scan_type is None:
        return Response(data, headers=headers | DOWNLOAD)
    return Response(data, media_type=scan_type, headers=headers)
