"""How a public read is answered: JSON or CSV, an ETag from the log head, 304, cache headers.

Why the log head: every figure the API publishes is a function of the event log, so the log's
last event and the request (path, query, format) name an answer exactly. A client that sends the
ETag back (``If-None-Match``) gets ``304 Not Modified`` for the price of one indexed query; and
the encoded answer is kept in memory under its ETag, so a thousand pages polling the national
results between two events cost one computation, not a thousand.

Each answer names the head it was computed at in its ``Escrutinio-Head`` header
(:data:`HEAD_HEADER`), as its ETag names it by number.

The head comes from the app's shared watcher (``api.head``: at most a tenth of a second old),
so a 304 or a kept answer costs no query at all. An answer not yet kept is computed inside one
read snapshot of the store (``session.snapshot``): every figure is of the head the snapshot
yields, the one its ETag names, even while writes land (during intake they land every
millisecond: an answer checked against the head after the fact was almost never keepable).
The latest answer to each request is kept by ``api.hot``, given again while the watcher knows
no later head, and computed again once for all the requests asking when it does; those
computations run on worker threads of their own (:data:`READERS`), never queued behind writes.
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any

import anyio
import orjson
from fastapi import Query, Request
from starlette.responses import Response

from escrutinio.api.deps import Sessions, settings
from escrutinio.api.hot import HotAnswers
from escrutinio.app import Session
from escrutinio.output import csv_text
from escrutinio.parsing import InputError

FORMATS = {"json": "application/json", "csv": "text/csv; charset=utf-8"}

FormatQuery = Annotated[
    str | None,
    Query(
        alias="format",
        description="json or csv (default: from the Accept header, else json)",
        json_schema_extra={"enum": list(FORMATS)},
    ),
]

LIVE = 5
"""Seconds a shared cache (a CDN, a browser) may keep a live figure before revalidating."""
READERS = 4
"""Worker threads that compute public reads at once, apart from the ones the requests share
(``api.deps.WORKERS``): a read waits for at most these, never for the writes' threads."""

READ_RESPONSES: dict[int | str, dict[str, Any]] = {
    304: {"description": "Not modified: the log has not moved since the ETag sent in If-None-Match"},
}
"""What a read answered here may answer besides a read's (``api/documented.py``) and its 200."""


@dataclass(frozen=True)
class View:
    """What a read computed: ``data`` (the JSON) and ``rows`` (the CSV; ``[data]`` when None),
    the same pair the CLI's ``--format json|csv`` prints."""

    data: Any
    rows: list[dict[str, Any]] | None = None
    """An empty listing's CSV header is its ``domain.rows.Rows``' columns (``formats.flat``)."""


Read = Callable[[Session], Any]


def listing(read: Read) -> Callable[[Session], View]:
    """A read that returns rows: the JSON is the list, the CSV one line a row."""
    return lambda session: View(rows := read(session), rows)


def detailed(read: Read, key: str) -> Callable[[Session], View]:
    """A read that returns one object: the JSON is the object, the CSV the rows under ``key``."""
    return lambda session: View(data := read(session), data[key])


def chosen_format(request: Request, fmt: str | None) -> str:
    """``?format=`` when given (json or csv), else CSV when the Accept header asks for it."""
    if fmt is not None:
        if fmt not in FORMATS:
            raise InputError(f"format: expected one of {', '.join(FORMATS)}, got {fmt!r}")
        return fmt
    accept = request.headers.get("accept", "")
    return "csv" if "text/csv" in accept and "application/json" not in accept else "json"


def encode(view: View, fmt: str) -> bytes:
    if fmt == "csv":
        rows = view.rows if view.rows is not None else [view.data]
        return csv_text(rows).encode()
    return orjson.dumps(view.data, option=orjson.OPT_NON_STR_KEYS)


def etag(head: dict[str, Any], request: Request, fmt: str) -> str:
    """``"EVENTS-DIGEST"``: the log's last event, then a digest of its hash and the request."""
    query = "&".join(f"{k}={v}" for k, v in sorted(request.query_params.multi_items()))
    digest = hashlib.sha256(f"{head['head']}|{request.url.path}|{query}|{fmt}".encode()).hexdigest()[:20]
    return f'"{head["events"]}-{digest}"'


HEAD_HEADER = "Escrutinio-Head"
"""The response header that names the log head an answer was computed at: ``<events> <hash>``
(the number of events, then the hash the log ends at: ``/health``'s ``events`` and ``head``).
Every read answered here carries it, whatever its body's shape (a listing has no room for it,
and a CSV none at all), and an answer kept for the polled reads (``api.hot``) keeps it."""


def named_head(head: dict[str, Any]) -> str:
    """:data:`HEAD_HEADER`'s value for ``head`` (``{"events", "head"}``)."""
    return f"{head['events']} {head['head']}"


def matches(if_none_match: str | None, tag: str) -> bool:
    if not if_none_match:
        return False
    sent = [t.strip().removeprefix("W/") for t in if_none_match.split(",")]
    return "*" in sent or tag in sent


class AnswerCache:
    """Encoded answers by ETag, the most recently used first, within ``budget`` bytes (one table
    listing of a national election is tens of megabytes: an answer over a quarter of the budget
    is not kept); each is computed once even when many requests for it arrive together."""

    def __init__(self, budget: int = 128 * 1024 * 1024) -> None:
        self.budget = budget
        self._answers: OrderedDict[str, bytes] = OrderedDict()
        self._bytes = 0
        self._lock = threading.Lock()
        self._computing: dict[str, threading.Lock] = {}

    def get(self, tag: str) -> bytes | None:
        with self._lock:
            found = self._answers.get(tag)
            if found is not None:
                self._answers.move_to_end(tag)
            return found

    def put(self, tag: str, body: bytes) -> None:
        if len(body) > self.budget // 4:
            return
        with self._lock:
            if tag not in self._answers:
                self._answers[tag] = body
                self._bytes += len(body)
            while self._bytes > self.budget:
                _tag, dropped = self._answers.popitem(last=False)
                self._bytes -= len(dropped)

    def once(self, tag: str) -> threading.Lock:
        """The lock the computation of ``tag`` holds: the first request computes, the others wait
        for it and then find the answer kept."""
        with self._lock:
            return self._computing.setdefault(tag, threading.Lock())

    def done(self, tag: str) -> None:
        with self._lock:
            self._computing.pop(tag, None)


def _computed(
    session: Session, cache: AnswerCache, request: Request, fmt: str, compute: Callable[[Session], View]
) -> tuple[bytes, str, dict[str, Any]]:
    """On one worker thread, in one snapshot of the store: (body, ETag, the head both are of)."""
    with session.snapshot() as (events, digest):
        head = {"events": events, "head": digest}
        tag = etag(head, request, fmt)
        try:
            with cache.once(tag):
                found = cache.get(tag)
                if found is not None:
                    return found, tag, head
                body = encode(compute(session), fmt)
                cache.put(tag, body)
                return body, tag, head
        finally:
            cache.done(tag)


def readers(request: Request) -> anyio.CapacityLimiter:
    """The app's :data:`READERS` threads for public reads (one limiter per event loop: asyncio's
    primitives belong to the loop they were first used in)."""
    loop = asyncio.get_running_loop()
    found = getattr(request.app.state, "readers", None)
    if found is None or found[0] is not loop:
        found = request.app.state.readers = (loop, anyio.CapacityLimiter(READERS))
    limiter: anyio.CapacityLimiter = found[1]
    return limiter


async def answer(
    request: Request, reads: Sessions, fmt: str | None, compute: Callable[[Session], View], *, max_age: int = LIVE
) -> Response:
    """Answer a public read: ``compute`` runs on a session only when no kept answer fits."""
    kind = chosen_format(request, fmt)
    cache: AnswerCache = request.app.state.answers
    headers = {"Cache-Control": f"public, max-age={max_age}", "Vary": "Accept"}
    # The watcher of the server ``reads`` goes to (``api/replica.py`` may send a read to the primary).
    other = getattr(request.state, "head_watch", None)
    head = await (other or request.app.state.head_watch).head(reads)
    tag = etag(head, request, kind)
    if matches(request.headers.get("if-none-match"), tag):
        return Response(status_code=304, headers={**headers, "ETag": tag, HEAD_HEADER: named_head(head)})

    async def computed() -> tuple[Response, dict[str, Any]]:
        """At today's head, in one snapshot: the answer and the head it names. A kept answer is
        computed again by this (``api.hot``) for as long as it is asked for: on the store the
        public reads from *then* (``settings.reads_from``), which is the primary once the
        replica is no longer read (promoted, or gone: ``api/replica.py``)."""
        now = reads if other is not None else settings(request).sessions(read=True)
        body, tag, at = await now.run(lambda s: _computed(s, cache, request, kind, compute), limiter=readers(request))
        named = {"ETag": tag, HEAD_HEADER: named_head(at)}
        return Response(body, media_type=FORMATS[kind], headers={**headers, **named}), at

    if other is None:  # the app's own watcher: the latest answer kept (``api.hot``), or computed once for all
        hot: HotAnswers = request.app.state.hot_answers
        return await hot.latest(request.scope, int(head["events"]), computed)
    body = cache.get(tag)
    if body is not None:  # kept under the tag of ``head``: computed at it
        return Response(body, media_type=FORMATS[kind], headers={**headers, "ETag": tag, HEAD_HEADER: named_head(head)})
    return (await computed())[0]
