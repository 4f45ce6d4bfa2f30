"""``/api/v1/health``: the server is up and can read its store, and where the store's log ends.

A load balancer polls it; a results page reads ``events`` to know which head the figures it shows
were computed on; with a read replica (``--read-db``), ``replica`` says how far it is behind.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request

from escrutinio.api.deps import settings

router = APIRouter(tags=["meta"])


@router.get("/health", summary="The server is up; the store's head")
async def health(request: Request) -> dict[str, Any]:
    """``{"status": "ok", "events": N, "head": HASH}`` — the last event of the log the public reads
    come from; 503 (retryable) when that store cannot be reached. With a read replica, also
    ``replica``: ``lag_events`` (events the primary holds and the replica has not replayed),
    ``lag_seconds`` (the age of the oldest event the replica has not replayed; 0 when it is
    not behind), ``lag_bytes`` (WAL not yet replayed) and each server's
    ``primary_events``/``replica_events``; or ``problem``, when the replica is not read now and
    the public reads go to the primary: ``status`` is then ``replica_refused`` (not a replica
    of the primary: promoted, or another's) or ``replica_unavailable`` (cannot be reached)."""
    from escrutinio.api.replica import replica_lag, status

    config = settings(request)
    lag = await replica_lag(config)  # first: it decides where the public reads go
    head = await config.sessions(read=True).run(lambda s: s.log.head())
    return {"status": status(config), **head} | ({"replica": lag} if lag is not None else {})
