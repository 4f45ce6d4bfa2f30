"""The threads that run the API's sessions: calls handed over from the event loop, results handed
back to it, for the least the loop can spend on each.

Why not the standard library's ``ThreadPoolExecutor`` through ``loop.run_in_executor``: per call,
it takes a lock, makes a work item and a ``concurrent.futures.Future`` with its condition
variable, chains that future to an asyncio one (a callback, a copy of its state, a second
hand-over to the loop) and looks whether to start a thread; with two requests a sheet on
election night, that was a twentieth of the server's time. Here a call is one put on a
lock-free queue, and its result one ``call_soon_threadsafe`` setting the asyncio future the
request awaits.

Semantics kept from the executor: at most ``count`` calls run at once (the others wait their
turn in order); an exception, any ``BaseException``, is the awaiting request's; a request
cancelled while its call runs is the caller's to handle (``api.deps.Sessions.run`` waits for
the call to end); the threads of a process are made at its first call (a server process forked
by ``serve --workers`` makes its own: the parent's are not copied by a fork).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import queue
import threading
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from escrutinio.app.serving import timeline

T = TypeVar("T")

Job = tuple[asyncio.AbstractEventLoop, "asyncio.Future[Any]", Callable[[], Any]]


class Threads:
    """``count`` threads named ``name-N`` running the calls :meth:`run` hands them."""

    def __init__(self, count: int, name: str) -> None:
        self._jobs: queue.SimpleQueue[Job] = queue.SimpleQueue()
        for n in range(count):
            threading.Thread(target=self._work, name=f"{name}-{n}", daemon=True).start()

    def run(self, call: Callable[[], T]) -> asyncio.Future[T]:
        """A future of the running loop holding what ``call()`` returns (or raises), once one of
        the threads has run it."""
        loop = asyncio.get_running_loop()
        future: asyncio.Future[T] = loop.create_future()
        if timeline.ENABLED and (timed := timeline.take()) is not None:
            call = partial(timeline.running, timed, call)
        self._jobs.put((loop, future, call))
        return future

    def _work(self) -> None:
        while True:
            loop, future, call = self._jobs.get()
            try:
                value = call()
            except BaseException as exc:  # the request's to answer, as an executor's future holds it
                _hand_back(loop, _fail, future, exc)
            else:
                _hand_back(loop, _done, future, value)
            del loop, future, call  # nothing of a finished call stays referenced while the thread waits


def _hand_back(loop: asyncio.AbstractEventLoop, settle: Callable[..., None], *args: Any) -> None:
    with contextlib.suppress(RuntimeError):  # the loop was closed meanwhile: nobody awaits it any more
        loop.call_soon_threadsafe(settle, *args)


def _done(future: asyncio.Future[Any], value: Any) -> None:
    if not future.done():
        future.set_result(value)


def _fail(future: asyncio.Future[Any], exc: BaseException) -> None:
    if not future.done():
        if isinstance(exc, StopIteration):  # a future refuses to hold one: it would hang, unsettled
            exc = RuntimeError(f"the call raised StopIteration: {exc!r}")
        future.set_exception(exc)


_MADE: dict[str, Threads] = {}


def threads(count: int, name: str) -> Threads:
    """This process's threads ``name`` (``count`` of them), made at the first call."""
    found = _MADE.get(name)
    if found is None:
        found = _MADE[name] = Threads(count, name)
    return found


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_MADE.clear)  # a forked process has none of its parent's threads
