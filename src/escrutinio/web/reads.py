"""The figures a page shows: application calls on one session, kept by the log's head.

Why kept: every figure is a function of the log, so the head and the question name an answer
exactly. A results page opened by thousands (and refreshed by each of them whenever the event
stream says the log moved) costs one computation per head, not one per reader. A session reads
the head before and after computing: if a write landed in between, the answer is shown but not
kept, so a kept answer never mixes two heads.

Why a session per call, opened and closed on one worker thread: an SQLite connection may only
be used on the thread that opened it, and the event loop must keep serving while a district's
tables are read.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from escrutinio.app import Session

T = TypeVar("T")

KEPT = 256
"""Answers kept per process (the most recently used): a few per page, a few hundred pages."""


class Kept:
    """Answers by (head, question), the most recently used last; one computation at a time per
    question, so readers arriving together after a new event wait for the first instead of
    each computing it."""

    def __init__(self, size: int = KEPT) -> None:
        self.size = size
        self._answers: OrderedDict[Hashable, Any] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[Hashable, threading.Lock] = {}

    def answer(self, session: Session, question: Hashable, compute: Callable[[Session], T]) -> tuple[T, dict[str, Any]]:
        """``compute(session)`` at the session's head, or the answer kept for it; and the head."""
        head = session.log.latest()

        def fresh() -> tuple[T, bool]:
            found = compute(session)
            return found, session.log.head()["head"] == head["head"]  # kept only if no write landed

        return self.once((head["head"], question), fresh), head

    def once(self, key: Hashable, compute: Callable[[], tuple[T, bool]]) -> T:
        """The value kept under ``key``, else ``compute()``'s (kept when it says so)."""
        with self._lock:
            if key in self._answers:
                self._answers.move_to_end(key)
                return self._answers[key]  # type: ignore[no-any-return]
            once = self._computing.setdefault(key, threading.Lock())
        with once:
            with self._lock:
                if key in self._answers:
                    return self._answers[key]  # type: ignore[no-any-return]
            found, keep = compute()
            with self._lock:
                self._computing.pop(key, None)
                if keep:
                    self._answers[key] = found
                    while len(self._answers) > self.size:
                        self._answers.popitem(last=False)
        return found


@dataclass(frozen=True)
class Figures:
    """What a page learnt: its ``data`` and the log ``head`` it is exact for (``events``,
    ``head``, and the last event's ``type`` and time ``at``)."""

    data: Any
    head: dict[str, Any]


def reads_from(request: Request) -> str:
    """The store the public's reads go to: the server's read replica when it names one."""
    return str(request.app.state.settings.reads_from)


def kept(request: Request) -> Kept:
    found = getattr(request.app.state, "web_kept", None)
    if found is None:
        found = request.app.state.web_kept = Kept()
    return found


async def figures(request: Request, question: Hashable, compute: Callable[[Session], Any]) -> Figures:
    """The answer to ``question`` (computed by ``compute`` on a public session when not kept)."""
    cache, db = kept(request), reads_from(request)

    def work() -> Figures:
        with Session(db) as session:
            data, head = cache.answer(session, question, compute)
            return Figures(data, head)

    return await run_in_threadpool(work)


async def derived(request: Request, figures: Figures, question: Hashable, compute: Callable[[], T]) -> T:
    """What a page derives from its figures without the store (a map's SVG), computed off the
    event loop and kept by the head the figures are exact for."""
    cache = kept(request)
    return await run_in_threadpool(cache.once, (figures.head["head"], question), lambda: (compute(), True))
