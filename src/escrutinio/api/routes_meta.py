"""``/api/v1/health``: the server is up and can read its store, and where the store's log ends.

A load balancer polls it; a results page reads ``events`` to know which head the figures it shows
were computed on; with a read replica (``--read-db``), ``replica`` says how far it is behind.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from escrutinio.api.deps import Reads, settings

router = APIRouter(tags=["meta"])


@router.get("/health", summary="The server is up; the store's head")
async def health(request: Request, reads: Reads) -> dict[str, Any]:
    """``{"status": "ok", "events": N, "head": HASH}`` — the last event of the log the public reads
    come from; 503 (retryable) when that store cannot be reached. With a read replica, also
    ``replica``: ``lag_events`` (events the primary holds and the replica has not replayed),
    ``lag_seconds`` (since the replica last replayed, while it is behind; 0 when it is not),
    ``lag_bytes`` (WAL not yet replayed) and each server's ``primary_events``/``replica_events``."""
    from escrutinio.api.replica import replica_lag

    head = await reads.run(lambda s: s.log.head())
    lag = await replica_lag(settings(request))
    status = "replica_refused" if lag is not None and "problem" in lag else "ok"  # its reads go to the primary
    return {"status": status, **head} | ({"replica": lag} if lag is not None else {})
