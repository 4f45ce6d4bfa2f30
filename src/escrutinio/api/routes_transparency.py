"""``/api/v1/heads``, ``/api/v1/proofs`` and ``/api/v1/receipts``: the transparency log over HTTP.

What a clerk, a party or a witness fetches to check the log without the store: the signed heads
(with their cosignatures), a receipt for an event, and the consistency proof between two heads
(``escrutinio receipt verify`` and a witness need it to join an older head to a newer one).
All public reads.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from escrutinio.api.deps import Reads
from escrutinio.app import Conflict, RuleError, Session
from escrutinio.parsing import MAX_EVENT_NUMBER

router = APIRouter(tags=["transparency"])

Size = Annotated[int, Query(ge=0, le=MAX_EVENT_NUMBER)]
"""A size of the log (a number of events): bounded, so a huge one is a 422, not the database's overflow."""


@router.get("/heads", summary="Every signed head, oldest first, with its cosignatures")
async def heads(reads: Reads) -> list[dict[str, Any]]:
    return await reads.run(lambda s: [h.to_dict() for h in s.transparency.heads()])


@router.get("/heads/latest", summary="The latest signed head (what a witness cosigns)")
async def latest_head(reads: Reads) -> dict[str, Any]:
    return await reads.run(lambda s: s.transparency.head().to_dict())


@router.get("/heads/{size}", summary="The head signed at this log size")
async def head(reads: Reads, size: Annotated[int, Path(ge=1, le=MAX_EVENT_NUMBER)]) -> dict[str, Any]:
    return await reads.run(lambda s: s.transparency.head(size).to_dict())


@router.get("/proofs/consistency", summary="The proof that the log at `first` events is a prefix of it at `second`")
async def consistency(reads: Reads, first: Size, second: Size) -> dict[str, Any]:
    return await reads.run(lambda s: s.transparency.consistency_proof(first, second))


@router.get("/receipts/{seq}", summary="The receipt of event `seq` in the latest signed head")
async def receipt(reads: Reads, seq: Annotated[int, Path(ge=1, le=MAX_EVENT_NUMBER)]) -> dict[str, Any]:
    """404 for an event the log does not hold; 409 ``no_signed_head`` for one no signed head
    covers yet (ask again once one is signed: the request was right, the log not there yet)."""
    return await reads.run(lambda s: _receipt(s, seq))


def _receipt(session: Session, seq: int) -> dict[str, Any]:
    try:
        return session.log.receipt(seq).to_dict()
    except RuleError as exc:
        conflict = Conflict("no_signed_head", f"seq: {exc}", "seq")
        conflict.what, conflict.step = exc.what, exc.step  # the step it tells, in the API's words (api/errors.py)
        raise conflict from None
