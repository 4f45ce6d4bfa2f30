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
- once the watcher has seen the log move past it, the answer is computed again, **once**, in
  the background (:meth:`HotAnswers.refresh`), on worker threads of the reads' own
  (``api.representation``), by the :class:`Keeper` for every answer asked for in the last
  seconds (or by the first request that finds it behind), at most four times a second
  (:data:`EVERY_ANSWER`), while the kept answer is still
  given, for at most ``lag`` seconds after its computation began (:data:`LAG`); only an answer
  older than that makes the requests wait, and they then share the one computation.

Why not wait for the new answer as soon as the log moves: on election night it moves every few
milliseconds, so the kept answer was stale at every look of the watcher and the requests of
each tenth of a second went through the framework and waited for a computation, itself slowed
by the writes sharing the cores (reads p50 0.1 s, p99 0.3 s with 200 readers during intake).
Given meanwhile, the kept answer is at most ``lag`` seconds behind the log, and it says which
head it is of.

What keeps this correct: an answer is computed inside one read snapshot of the store and names
the head of that snapshot (its ETag, and the nation's ``log``), so no answer ever names a head
it was not computed at, nor is older than the head it names; it is given while the watcher
knows no later head, and for at most ``lag`` seconds after its computation began once it does.
A client that must see its own write asks with ``?at_least=N`` (the write's answer names N):
the read then waits for a head holding N (``api/replica.py``).
The bytes and headers given are the ones the route produced. Anything else (another method, a
request with a body, a bad parameter, a read sent to the primary) goes through the
application as before.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.responses import Response

from escrutinio.api.deps import Settings
from escrutinio.api.head import HeadWatch

Key = tuple[str, bytes, bool]
"""(path, raw query string, whether the Accept header asks for CSV)."""

Compute = Callable[[], Awaitable[tuple[Response, dict[str, Any]]]]
"""How a route computes an answer again: the response and the head it names."""

LAG = 1.0
"""Seconds after its computation began during which a kept answer is still given once the log
has moved past it, while the new one is computed (a results page is cached 5 s downstream)."""
EVERY_ANSWER = 0.25
"""Seconds at least between two computations of one answer behind the kept one: each costs
milliseconds of CPU that the writes want (on a two-core machine, recomputed at each look of
the head watcher, the two answers of a results page cost a tenth of a core)."""
WANTED = 10.0
"""Seconds after it was last asked for during which an answer is kept fresh (:class:`Keeper`)."""
MOST = 32
"""Answers at most computed again at once by the keeper (the most recently asked for)."""
EVERY = 0.05
"""Seconds between two looks of the keeper at the log's head (``api.head``)."""


@dataclass(frozen=True)
class Kept:
    """The answer to one request at one head: its body and the headers of a 200 and of a 304."""

    events: int
    """The number of the head it names (what it was computed at)."""
    tag: bytes
    full: list[tuple[bytes, bytes]]
    unchanged: list[tuple[bytes, bytes]]
    body: bytes
    made: float = 0.0
    """When its computation began (``time.monotonic()``): it is at most this old."""
    again: Compute | None = None
    """How to compute it again (the route's computation), for :meth:`HotAnswers.refresh`."""


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
    least recently asked go first), each given for at most ``lag`` seconds once the log has moved
    past it and computed again behind it at most every ``every`` seconds. Used from the event
    loop only: no lock."""

    def __init__(
        self, budget: int = 64 * 1024 * 1024, entries: int = 4096, lag: float = LAG, every: float = EVERY_ANSWER
    ) -> None:
        self.budget = budget
        self.entries = entries
        self.lag = lag
        self.every = every
        self._kept: OrderedDict[Key, Kept] = OrderedDict()
        self._bytes = 0
        self._computing: dict[Key, asyncio.Future[None]] = {}
        """The requests being computed (:meth:`latest`): the others asking wait for it."""
        self._refreshing: set[asyncio.Task[None]] = set()
        """The computations begun by :meth:`refresh` (held here: the loop keeps only weak ones)."""
        self._asked: dict[Key, float] = {}
        """When each kept answer was last asked for (``time.monotonic()``)."""

    def keep(
        self, scope: dict[str, Any], head: dict[str, Any], response: Response, *, made: float = 0.0, again: Compute | None = None
    ) -> None:
        """Keep ``response`` (a route's 200 with its ETag) as the answer at ``head``, computed
        from ``made`` on (``time.monotonic()``), computed again by ``again``."""
        self._keep_at(key_of(scope), head, response, made, again)

    def _keep_at(self, key: Key, head: dict[str, Any], response: Response, made: float, again: Compute | None) -> None:
        tag = response.headers.get("etag")
        if tag is None or len(response.body) > self.budget // 16:
            return
        headers = {k: v for k, v in response.headers.items() if k in ("cache-control", "vary", "etag", "escrutinio-head")}
        unchanged = Response(status_code=304, headers=headers).raw_headers
        kept = Kept(int(head["events"]), tag.encode(), list(response.raw_headers), unchanged, bytes(response.body), made, again)
        old = self._kept.get(key)
        if old is not None and old.events > kept.events:
            return  # a later answer is kept already (computed meanwhile): that one stays
        if old is not None:
            del self._kept[key]
            self._bytes -= len(old.body)
        self._kept[key] = kept
        self._bytes += len(kept.body)
        self._asked.setdefault(key, time.monotonic())  # first kept: asked for now
        while self._bytes > self.budget or len(self._kept) > self.entries:
            dropped_key, dropped = self._kept.popitem(last=False)
            self._bytes -= len(dropped.body)
            self._asked.pop(dropped_key, None)

    def find(self, key: Key) -> Kept | None:
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
            self._asked[key] = time.monotonic()
        return found

    def wanted(self, within: float = WANTED, most: int = MOST) -> list[tuple[Key, Kept]]:
        """The kept answers asked for within the last ``within`` seconds, the most recently asked
        first, ``most`` at most."""
        since = time.monotonic() - within
        recent = sorted(((at, key) for key, at in self._asked.items() if at >= since), reverse=True)[:most]
        return [(key, self._kept[key]) for _at, key in recent if key in self._kept]

    def usable(self, kept: Kept, events: int) -> bool:
        """Whether ``kept`` may answer while the log's head is ``events``: it is of that head, or
        it was computed less than ``lag`` seconds ago."""
        return kept.events >= events or time.monotonic() - kept.made < self.lag

    async def renewed(self, key: Key) -> Kept | None:
        """The answer kept once the computation of ``key`` in progress ends (None: none is)."""
        out = self._computing.get(key)
        if out is None or out.get_loop() is not asyncio.get_running_loop():
            return None
        await asyncio.wait([out])
        return self.find(key)

    def refresh(self, key: Key, kept: Kept, events: int) -> None:
        """Compute ``kept`` again in the background when the log's head ``events`` is past it,
        unless it is being computed already or its computation began less than ``every``
        seconds ago."""
        loop = asyncio.get_running_loop()
        busy = self._computing.get(key)
        if kept.events >= events or kept.again is None or (busy is not None and busy.get_loop() is loop):
            return
        if time.monotonic() - kept.made < min(self.every, self.lag):
            return  # computed a moment ago: the keeper looks again
        out = self._computing[key] = loop.create_future()
        again = kept.again

        async def compute() -> None:
            made = time.monotonic()
            try:
                response, head = await again()
                if response.status_code == 200:
                    self._keep_at(key, head, response, made, again)
            except Exception:
                pass  # the answer kept stays given while young; then the route computes it, and fails, in line
            finally:
                if self._computing.get(key) is out:
                    del self._computing[key]
                out.set_result(None)

        task = loop.create_task(compute())
        self._refreshing.add(task)
        task.add_done_callback(self._refreshing.discard)

    async def latest(self, scope: dict[str, Any], events: int, compute: Compute) -> Response:
        """The answer to this request at a head of at least ``events`` (or one :meth:`usable`
        meanwhile): the kept one when it is, else the one being computed (waited for), else
        ``compute()`` (the route's answer and the head it names), run once for all the requests
        asking meanwhile, which wait for it and are answered from it."""
        key = key_of(scope)
        kept = self.find(key)
        if kept is None or not self.usable(kept, events):
            kept = await self.renewed(key)  # a failure is its asker's to answer: the others compute
        if kept is not None and self.usable(kept, events):
            return respond(kept, _header(scope, b"if-none-match"))
        loop = asyncio.get_running_loop()
        out = self._computing[key] = loop.create_future()
        try:
            made = time.monotonic()
            response, head = await compute()
            self.keep(scope, head, response, made=made, again=compute)
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


class Keeper:
    """Keeps the answers being asked for fresh: a task that looks at the log's head every
    :data:`EVERY` seconds and has every answer asked for within :data:`WANTED` seconds that
    the log has moved past computed again (:meth:`HotAnswers.refresh`); it ends once none is.

    Why not only when a request finds its answer behind: the pages of a results site poll at
    the same rhythm, and they fall into step (a slow moment holds them all, then they ask
    together): each burst then found the answer of the burst before, a poll period old, and
    waited for a new one. Refreshed as the log moves, the answer a burst finds is at most a
    head look and one computation old."""

    def __init__(self, answers: HotAnswers, watch: HeadWatch, settings: Settings) -> None:
        self.answers = answers
        self.watch = watch
        self.settings = settings
        self._task: asyncio.Task[None] | None = None

    def start(self) -> None:
        """Make sure the task runs (on this event loop)."""
        loop = asyncio.get_running_loop()
        if self._task is None or self._task.done() or self._task.get_loop() is not loop:
            self._task = loop.create_task(self._keep())

    async def _keep(self) -> None:
        from escrutinio.api.replica import look_again

        while self.answers.wanted():
            await asyncio.sleep(EVERY)
            look_again(self.settings)  # the polled reads come here, not through ``deps.reads``
            try:
                head = await self.watch.head(self.settings.sessions(read=True))
            except Exception:
                continue  # the store cannot be reached now: the requests tell it (503), the keeper looks again
            events = int(head["events"])
            for key, kept in self.answers.wanted():
                self.answers.refresh(key, kept, events)


class HotReads:
    """ASGI middleware: a GET kept in :class:`HotAnswers` at the watcher's head is answered here."""

    def __init__(self, app: Any, answers: HotAnswers, watch: HeadWatch, settings: Settings) -> None:
        self.app = app
        self.answers = answers
        self.watch = watch
        self.settings = settings
        self.keeper = Keeper(answers, watch, settings)

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope["method"] != "GET":
            await self.app(scope, receive, send)
            return
        key = key_of(scope)
        kept = self.answers.find(key)
        if kept is not None:
            self.keeper.start()
        if kept is None or _header(scope, b"content-length") not in (None, b"0") or _header(scope, b"transfer-encoding"):
            await self.app(scope, receive, send)
            return
        try:
            head = self.watch.current() or await self.watch.head(self.settings.sessions(read=True))
        except Exception:  # the store cannot be reached: the route answers that as it does (503)
            head = None
        kept = self.answers.find(key) or kept  # computed again while the head was read: the new one
        if head is None:
            await self.app(scope, receive, send)
            return
        events = int(head["events"])
        self.answers.refresh(key, kept, events)
        if not self.answers.usable(kept, events):  # too old: wait for the one being computed
            kept = await self.answers.renewed(key)
            if kept is None or not self.answers.usable(kept, events):  # it failed: the route answers
                await self.app(scope, receive, send)
                return
        if matches(_header(scope, b"if-none-match"), kept.tag):
            await send({"type": "http.response.start", "status": 304, "headers": kept.unchanged})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": 200, "headers": kept.full})
        await send({"type": "http.response.body", "body": kept.body})
