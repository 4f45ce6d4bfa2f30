"""``/api/v1/health``: the server is up and can read its store, and where the store's log ends.

A load balancer polls it; a results page reads ``events`` to know which head the figures it shows
were computed on.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter

from escrutinio.api.deps import Reads

router = APIRouter(tags=["meta"])


@router.get("/health", summary="The server is up; the store's head")
async def health(reads: Reads) -> dict[str, Any]:
    """``{"status": "ok", "events": N, "head": HASH}`` — the last event of the log the public reads
    come from; 503 (retryable) when that store cannot be reached."""
    head = await reads.run(lambda s: s.log.head())
    return {"status": "ok", **head}
