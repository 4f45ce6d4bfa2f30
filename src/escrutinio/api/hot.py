"""Public reads answered once per head and shared: the latest answer to each request, kept.

Why: a results page polls the same URL over and over while, on election night, the log moves
every few milliseconds. Computing an answer costs milliseconds of CPU (a snapshot of the store,
the tallies, the encoding) and going through the framework half a millisecond more, so neither
may be paid per request. The application keeps, per exact request (path, query string as sent,
the format its ``Accept`` asks for), the latest answer the route gave and the log head that
answer names (its ETag says so), and:

- :class:`HotReads` answers the request again from it, 200 or 304, before the framework, while
  it is at least as new as the head the shared watcher (``api.head``) knows, which is at most a
  tenth of a second old;
- once the watcher has seen the log move past it, the route computes the answer again, **once**
  for all the requests asking meanwhile (:meth:`HotAnswers.latest`): they wait for that one
  computation and share it, on worker threads of the reads' own (``api.representation``), so a
  read never queues behind the writes.

What keeps this correct: an answer is computed inside one read snapshot of the store and names
the head of that snapshot (its ETag, and the nation's ``log``), so no answer ever names a head
it was not computed at, nor is older than the head it names; it is given only while the
watcher knows no later head. A client that must see its own write asks with ``?at_least=N``
(the write's answer names N): the read then waits for a head holding N (``api/replica.py``).
The bytes and headers given are the ones the route produced. Anything else (another method, a
request with a body, a bad parameter, a read sent to the primary) goes through the
application as before.
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from escrutinio.api.deps import Settings
from escrutinio.api.head import HeadWatch

Key = tuple[str, bytes, bool]
"""(path, raw query string, whether the Accept header asks for CSV)."""


@dataclass(frozen=True)
class Kept:
    """The answer to one request at one head: its body and the headers of a 200 and of a 304."""

    events: int
    """The number of the head it names (what it was computed at)."""
    tag: bytes
    full: list[tuple[bytes, bytes]]
    unchanged: list[tuple[bytes, bytes]]
    body: bytes


def _header(scope: dict[str, Any], wanted: bytes) -> bytes | None:
    for name, value in scope["headers"]:
        if name == wanted:
            return bytes(value)
    return None


def key_of(scope: dict[str, Any]) -> Key:
    """What names a public read's answer, besides the head: the format follows ``?format=``
    (in the query string) or else the Accept header, as ``representation.chosen_format``."""
    accept = _header(scope, b"accept") or b""
    csv = b"text/csv" in accept and b"application/json" not in accept
    return (scope["path"], scope["query_string"], csv)


def matches(if_none_match: bytes | None, tag: bytes) -> bool:
    """As ``representation.matches``: the ETag sent back (weak or not), among others, or ``*``."""
    if not if_none_match:
        return False
    sent = [t.strip().removeprefix(b"W/") for t in if_none_match.split(b",")]
    return b"*" in sent or tag in sent


class HotAnswers:
    """The latest answer of each request, within ``budget`` bytes and ``entries`` requests (the
    least recently asked go first). Used from the event loop only: no lock."""

    def __init__(self, budget: int = 64 * 1024 * 1024, entries: int = 4096) -> None:
        self.budget = budget
        self.entries = entries
        self._kept: OrderedDict[Key, Kept] = OrderedDict()
        self._bytes = 0
        self._computing: dict[Key, asyncio.Future[None]] = {}
        """The requests being computed (:meth:`latest`): the others asking wait for it."""

    def keep(self, scope: dict[str, Any], head: dict[str, Any], response: Response) -> None:
        """Keep ``response`` (a route's 200 with its ETag) as the answer at ``head``."""
        tag = response.headers.get("etag")
        if tag is None or len(response.body) > self.budget // 16:
            return
        headers = {k: v for k, v in response.headers.items() if k in ("cache-control", "vary", "etag")}
        unchanged = Response(status_code=304, headers=headers).raw_headers
        kept = Kept(int(head["events"]), tag.encode(), list(response.raw_headers), unchanged, bytes(response.body))
        key = key_of(scope)
        old = self._kept.get(key)
        if old is not None and old.events > kept.events:
            return  # a later answer is kept already (computed meanwhile): that one stays
        if old is not None:
            del self._kept[key]
            self._bytes -= len(old.body)
        self._kept[key] = kept
        self._bytes += len(kept.body)
        while self._bytes > self.budget or len(self._kept) > self.entries:
            _key, dropped = self._kept.popitem(last=False)
            self._bytes -= len(dropped.body)

    def find(self, key: Key) -> Kept | None:
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
        return found

    async def latest(
        self, scope: dict[str, Any], events: int, compute: Callable[[], Awaitable[tuple[Response, dict[str, Any]]]]
    ) -> Response:
        """The answer to this request at a head of at least ``events``: the kept one when it is,
        else ``compute()`` (the route's answer and the head it names), run once for all the
        requests asking meanwhile, which wait for it and are answered from it."""
        key = key_of(scope)
        loop = asyncio.get_running_loop()
        while True:
            kept = self.find(key)
            if kept is not None and kept.events >= events:
                return respond(kept, _header(scope, b"if-none-match"))
            out = self._computing.get(key)
            if out is None or out.get_loop() is not loop:
                break
            await asyncio.wait([out])  # its failure is its asker's to answer: the others look again
        out = self._computing[key] = loop.create_future()
        try:
            response, head = await compute()
            self.keep(scope, head, response)
            return response
        finally:
            if self._computing.get(key) is out:
                del self._computing[key]
            out.set_result(None)


def respond(kept: Kept, if_none_match: bytes | None) -> Response:
    """A kept answer as a response of its own: 304 when ``If-None-Match`` names it, else 200."""
    if matches(if_none_match, kept.tag):
        response = Response(status_code=304)
        response.raw_headers = list(kept.unchanged)
        return response
    response = Response(kept.body)
    response.raw_headers = list(kept.full)
    return response


class HotReads:
    """ASGI middleware: a GET kept in :class:`HotAnswers` at the watcher's head is answered here."""

    def __init__(self, app: Any, answers: HotAnswers, watch: HeadWatch, settings: Settings) -> None:
        self.app = app
        self.answers = answers
        self.watch = watch
        self.settings = settings

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        kept = self.answers.find(key_of(scope))
        if kept is None or _header(scope, b"content-length") not in (None, b"0") or _header(scope, b"transfer-encoding"):
            await self.app(scope, receive, send)
            return
        try:
            head = self.watch.current() or await self.watch.head(self.settings.sessions(read=True))
        except Exception:  # the store cannot be reached: the route answers that as it does (503)
            head = None
        if head is None or kept.events < head["events"]:  # the log moved past it: the route computes it again
            await self.app(scope, receive, send)
            return
        if matches(_header(scope, b"if-none-match"), kept.tag):
            await send({"type": "http.response.start", "status": 304, "headers": kept.unchanged})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": kept.full})
        await send({"type": "http.response.body", "body": kept.body})
