"""Public reads answered before the framework: a request asked again at the same head.

Why: once an answer is kept (``api.representation``), what is left of a read is FastAPI's
routing, dependency solving and parameter checks, about half a millisecond of CPU a request:
more than the answer, and the whole price of a ``304``. A results page polls the same URL over
and over, so the application keeps, per exact request (path, query string as sent, the format
its ``Accept`` asks for), the last answer it gave and the log head that answer names; this
middleware answers the same request again from it, 200 or 304, while the shared head watcher
(``api.head``) still holds that head. The bytes and headers are the ones the route produced.

What keeps this correct: an answer is kept only by the route itself, after it succeeded, for
the head of the server's own watcher (not for a read ``at_least`` sent to the primary); it is
given again only while the watcher names the same head, so it never names a head it was not
computed at, nor one older than the watcher's (a write through this server makes the watcher
look again, and the request goes to the route). Anything else (another method, a request
with a body, a first ask at a new head, a bad parameter) goes through the application as
before.
"""

from __future__ import annotations

from collections import OrderedDict
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

    head: str
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
    """The last answer of each request, within ``budget`` bytes and ``entries`` requests (the
    least recently asked go first). Used from the event loop only: no lock."""

    def __init__(self, budget: int = 64 * 1024 * 1024, entries: int = 4096) -> None:
        self.budget = budget
        self.entries = entries
        self._kept: OrderedDict[Key, Kept] = OrderedDict()
        self._bytes = 0

    def keep(self, scope: dict[str, Any], head: dict[str, Any], response: Response) -> None:
        """Keep ``response`` (a route's 200 with its ETag) as the answer at ``head``."""
        tag = response.headers.get("etag")
        if tag is None or len(response.body) > self.budget // 16:
            return
        headers = {k: v for k, v in response.headers.items() if k in ("cache-control", "vary", "etag")}
        unchanged = Response(status_code=304, headers=headers).raw_headers
        kept = Kept(head["head"], tag.encode(), list(response.raw_headers), unchanged, bytes(response.body))
        key = key_of(scope)
        old = self._kept.pop(key, None)
        if old is not None:
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
        if head is None or head["head"] != kept.head:
            await self.app(scope, receive, send)
            return
        if matches(_header(scope, b"if-none-match"), kept.tag):
            await send({"type": "http.response.start", "status": 304, "headers": kept.unchanged})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": kept.full})
        await send({"type": "http.response.body", "body": kept.body})
