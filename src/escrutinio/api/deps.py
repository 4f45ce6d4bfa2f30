"""A :class:`~escrutinio.app.Session` per request, opened, used and closed on one worker thread.

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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Annotated, Any, TypeVar

from fastapi import Depends, Request
from starlette.concurrency import run_in_threadpool

from escrutinio.api.errors import UnknownParameter
from escrutinio.app import Principal, Session

T = TypeVar("T")

PUBLIC_ACTOR = Principal.public()
"""The actor of an unauthenticated request (reads only: every write refuses it by role)."""


@dataclass(frozen=True)
class Settings:
    """What ``create_app`` was given, kept on ``app.state.settings``."""

    db: str
    read_db: str | None = None

    @property
    def reads_from(self) -> str:
        """Where public reads go: the replica when there is one, else the primary."""
        return self.read_db or self.db


@dataclass(frozen=True)
class Sessions:
    """Opens sessions on one store for one actor; each :meth:`run` is one session."""

    db: str
    actor: Any = PUBLIC_ACTOR

    def open(self) -> Session:
        return Session(self.db, actor=self.actor)

    def call(self, work: Callable[[Session], T]) -> T:
        """Open a session, do ``work`` with it and close it, on the calling thread."""
        with self.open() as session:
            return work(session)

    async def run(self, work: Callable[[Session], T]) -> T:
        """:meth:`call` on a worker thread (the event loop keeps serving other requests)."""
        return await run_in_threadpool(self.call, work)


def settings(request: Request) -> Settings:
    found = request.app.state.settings
    assert isinstance(found, Settings)
    return found


async def reads(request: Request) -> Sessions:
    """Sessions for the public's reads (on the read replica when there is one)."""
    return Sessions(settings(request).reads_from)


async def writes(request: Request) -> Sessions:
    """Sessions on the primary, as the public; an authenticated route builds its own with the
    principal (``Sessions(settings(request).db, principal)``)."""
    return Sessions(settings(request).db)


def _query_names(dependant: Any) -> set[str]:
    names = {f.alias for f in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


async def known_query(request: Request) -> None:
    """Refuse a query parameter the route does not declare (every route: ``create_app`` makes
    this a dependency of the whole app). Async, as the other dependencies here: FastAPI runs a
    plain ``def`` dependency on a worker thread, a hop that costs more than the check."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _query_names(dependant)
    for name in request.query_params:
        if name not in known:
            raise UnknownParameter(name, sorted(known))


Reads = Annotated[Sessions, Depends(reads)]
Writes = Annotated[Sessions, Depends(writes)]
