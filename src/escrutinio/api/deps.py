"""A :class:`~escrutinio.app.Session` per request, opened, used and closed on one worker thread.

Sessions of one app share what stays true across requests (``store.shared``: the schema check,
the election's definition, the decoded roll): a request pays for its own queries only, not for
setting up a store from nothing, and the figures are no less current for it.

Why a runner rather than a ``Depends`` that yields a session: FastAPI runs a dependency's setup,
the route and the teardown on whichever worker threads are free, and an SQLite connection may
only be used (and closed) on the thread that opened it. :meth:`Sessions.run` opens the session,
calls the application and closes it inside one call on one thread, off the event loop, so a
slow read never stalls the server and no connection outlives its request.

Routes take ``reads: Reads`` (the public's reads: the read replica when ``--read-db`` names one)
or ``writes: Writes`` (the primary) and call ``await reads.run(lambda s: s.count.results(...))``.
The authentication dependency (``api/auth.py``) decides the actor; until a route asks for one,
the actor is the public.
"""

from __future__ import annotations

import asyncio
import contextlib
import weakref
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, Query, Request

from escrutinio.api.documented import EVENT_NUMBER
from escrutinio.api.errors import RepeatedParameter, UnknownParameter
from escrutinio.api.threads import threads
from escrutinio.app import Principal, Session
from escrutinio.app.serving import Shared

T = TypeVar("T")

PUBLIC_ACTOR = Principal.public()
"""The actor of an unauthenticated request (reads only: every write refuses it by role)."""

WORKERS = 32
"""Threads that run sessions at once (requests beyond wait their turn): a session mostly waits
on the store, so more threads than cores keep the cores busy; the store's connection pool is
sized to them (:func:`escrutinio.store.engine.size_pools`), or threads would queue for a
connection while the database idles."""
PAGES = 8
"""Of those, the threads of the pages (``web/``: anyio's, through ``run_in_threadpool``); the
others run the API's sessions (:meth:`Sessions.run`), so that together they stay within
:data:`WORKERS`."""


@dataclass(frozen=True)
class Settings:
    """What ``create_app`` was given, kept on ``app.state.settings``."""

    db: str
    read_db: str | None = None
    shared: dict[str, Shared] = field(default_factory=dict, compare=False, repr=False)
    """Each store's state shared by this app's sessions (the primary's, the replica's)."""
    replica_problem: list[str] = field(default_factory=list, compare=False, repr=False)
    """Why ``read_db`` is not read now, as ``/health``'s status then the reason (empty: it is
    read): not a replica of ``db``, or not reachable while ``db`` is. Meanwhile public reads go
    to the primary (``api/replica.py``, which looks again every second)."""
    replica_checked: list[float] = field(default_factory=lambda: [0.0], compare=False, repr=False)
    """When (``time.monotonic``) ``api/replica.py`` last looked at the replica."""

    def __post_init__(self) -> None:
        from escrutinio.app.serving import size_pools

        for url in {self.db, self.reads_from}:
            self.shared[url] = Shared(url)
        size_pools(WORKERS)

    @property
    def reads_from(self) -> str:
        """Where public reads go: the replica when there is one, else the primary."""
        return self.db if self.replica_problem else self.read_db or self.db

    def sessions(self, actor: Principal = PUBLIC_ACTOR, *, read: bool = False) -> Sessions:
        """Sessions on the primary for ``actor``; with ``read``, the public's on the replica."""
        url = self.reads_from if read else self.db
        return Sessions(url, actor, self.shared[url])


@dataclass(frozen=True)
class Sessions:
    """Opens sessions on one store for one actor; each :meth:`run` is one session."""

    db: str
    actor: Any = PUBLIC_ACTOR
    shared: Shared | None = None

    def open(self) -> Session:
        return Session(self.db, actor=self.actor, shared=self.shared)

    def call(self, work: Callable[[Session], T]) -> T:
        """Open a session, do ``work`` with it and close it, on the calling thread."""
        with self.open() as session:
            return work(session)

    async def run(self, work: Callable[[Session], T], *, limiter: anyio.CapacityLimiter | None = None) -> T:
        """:meth:`call` on one of the API's session threads (the event loop keeps serving other
        requests); with ``limiter``, on a thread of its own rather than one the requests share (a
        read every request waits for must not queue behind them).

        Why not anyio's threads for the requests (FastAPI's): handing a call to one of them cost
        the event loop more than a third of what it spent on a sheet entry (the capacity
        limiter, the cancel scope, the asking which event loop runs, each time); ours
        (``api.threads``) cost a queue's put and a future. A request whose client goes away
        still waits here for its call to end (as it did), so no session is left running
        unawaited."""
        if limiter is not None:
            return await anyio.to_thread.run_sync(self.call, work, limiter=limiter)
        loop = asyncio.get_running_loop()
        if loop not in _LIMITED:  # once per event loop: the pages' threads (anyio's) within the bound
            anyio.to_thread.current_default_thread_limiter().total_tokens = PAGES
            _LIMITED.add(loop)
        running = threads(WORKERS - PAGES, "session").run(partial(self.call, work))
        try:
            return await asyncio.shield(running)
        except asyncio.CancelledError:
            with contextlib.suppress(BaseException):
                await running  # the call ends (its session closed) before the cancellation goes on
            raise


_LIMITED: weakref.WeakSet[asyncio.AbstractEventLoop] = weakref.WeakSet()
"""The event loops whose anyio threads (FastAPI's and the pages' ``run_in_threadpool``) are
limited to :data:`PAGES`: the store's connection pools are sized to :data:`WORKERS` threads
(:func:`escrutinio.store.engine.size_pools`), and a page may open a session on one."""


def settings(request: Request) -> Settings:
    found = request.app.state.settings
    assert isinstance(found, Settings)
    return found


AtLeast = Annotated[
    str | None,
    Query(description="Event number the answer must include (read your writes): waits for the replica, else the primary"),
    EVENT_NUMBER,
]


async def reads(request: Request, at_least: AtLeast = None) -> Sessions:
    """Sessions for the public's reads (on the read replica when there is one); ``at_least``:
    on a server holding that event (``api/replica.py``)."""
    from escrutinio.api.replica import look_again, reads_holding

    look_again(settings(request))
    if at_least is None:
        return settings(request).sessions(read=True)
    from escrutinio.parsing import parse_event_number

    return await reads_holding(request, settings(request), parse_event_number(at_least, "at_least"))


async def writes(request: Request) -> Sessions:
    """Sessions on the primary, as the public; an authenticated route builds its own with the
    principal (``settings(request).sessions(principal)``)."""
    return settings(request).sessions()


def _query_names(dependant: Any) -> set[str]:
    names = {f.alias for f in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


ONCE_HEADERS = {"authorization": "authorization", "idempotency-key": "Idempotency-Key"}
"""Headers a request names one of (by the field its errors name them with): sent twice, which one
counted would be the server's guess (who is acting, which action a resend repeats)."""


async def known_query(request: Request) -> None:
    """Refuse a query parameter the route does not declare, or one sent twice, and a header of
    :data:`ONCE_HEADERS` sent twice (every route: ``create_app`` makes this a dependency of the
    whole app). Async, as the other dependencies here: FastAPI runs a plain ``def`` dependency on
    a worker thread, a hop that costs more than the check."""
    for header, field_name in ONCE_HEADERS.items():
        sent = request.headers.getlist(header)
        if len(sent) > 1:
            raise RepeatedParameter(field_name, sent, secret=header == "authorization")
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _query_names(dependant)
    params = request.query_params
    for name in params:
        if name not in known:
            raise UnknownParameter(name, sorted(known))
    if len(params.multi_items()) > len(params):  # a name sent twice: FastAPI would take the last quietly
        name = next(n for n in params if len(params.getlist(n)) > 1)
        raise RepeatedParameter(name, params.getlist(name))


Reads = Annotated[Sessions, Depends(reads)]
Writes = Annotated[Sessions, Depends(writes)]
