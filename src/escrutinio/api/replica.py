"""Read your writes over a streaming replica: ``?at_least=N`` on every public read.

A client that has seen event N (its own write's answer names it, ``/changes`` and ``/events``
name heads) asks any read with ``?at_least=N``. The rule, the same as ``session.replica.reads``
(``app/replica.py``): the read is answered by a server that holds event N, never by one behind.

- the public's store (the replica with ``--read-db``) already holds N: it answers, as usual;
- the replica is behind: the read **waits** for it to replay N, up to :data:`WAIT` seconds
  (replay on a healthy replica takes milliseconds), then **falls back to the primary**, which
  holds every accepted event. A lagging replica slows such a read down by at most ``WAIT``;
  it never fails it nor serves it figures older than N. (The alternative, a 503 to retry, would
  push the wait onto every client and cost the same primary read when it retried.)
- no server holds N (the log is shorter: a number from another store, or mistyped): 409 naming
  ``at_least`` and the rule ``not_recorded``.

Each server has its own head watcher (``api.head``): an answer is named by (and cached under)
the head of the server that computed it, so the kept answers of the replica and of the primary
never mix. ``/health`` reports the replica's lag (:func:`replica_lag`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import Any

from fastapi import Request
from starlette.concurrency import run_in_threadpool

from escrutinio.app import Conflict, Session, StoreError

# Nothing of ``api.deps`` or ``api.head`` is imported here: ``deps.reads`` calls this module, so
# the settings come as an argument and a head watcher is made as the app's own is (no cycle).

WAIT = 2.0
"""Seconds a read asking for ``at_least`` waits for the replica before the primary answers."""
POLL = 0.02
"""Seconds between two looks at the replica's head while a read waits."""


def _watch(request: Request, name: str) -> Any:
    """The app's head watcher ``name``, made (of the kind of the app's own) on first use."""
    found = getattr(request.app.state, name, None)
    if found is None:
        found = type(request.app.state.head_watch)()
        setattr(request.app.state, name, found)
    return found


async def _holds(watch: Any, sessions: Any, wanted: int) -> int:
    """The server's head as the watcher knows it, looked at afresh when it seems behind ``wanted``."""
    events = int((await watch.head(sessions))["events"])
    if events < wanted:
        watch.forget()
        events = int((await watch.head(sessions))["events"])
    return events


async def reads_holding(request: Request, config: Any, wanted: int, *, wait: float = WAIT) -> Any:
    """Sessions on a server that holds event ``wanted`` (see the module's docstring); the answer
    is then named by that server's head (``request.state.head_watch``). ``config``: the app's
    ``api.deps.Settings``."""
    from escrutinio.app import StoreUnavailable

    public = config.sessions(read=True)
    watch = request.app.state.head_watch
    deadline = time.monotonic() + (wait if config.read_db else 0.0)
    events = 0
    while True:
        try:
            events = await _holds(watch, public, wanted)
        except StoreUnavailable:
            if public.db == config.db:
                raise  # the primary itself: retry
            break  # the replica cannot be reached: the primary answers
        if events >= wanted:
            return public
        if time.monotonic() >= deadline:
            break
        await asyncio.sleep(POLL)
    if config.read_db:
        primary = config.sessions()
        primary_watch = _watch(request, "primary_head_watch")
        events = await _holds(primary_watch, primary, wanted)
        if events >= wanted:
            request.state.head_watch = primary_watch
            return primary
    raise Conflict("not_recorded", f"at_least: the log has {events} events; event {wanted} is not recorded in it", "at_least")


REFUSED = "replica_refused"
"""``/health``'s status while the read store is not a streaming replica of the primary's store."""
UNAVAILABLE = "replica_unavailable"
"""``/health``'s status while the replica cannot be reached (the primary can)."""
CHECK_EVERY = 1.0
"""Seconds between two looks at whether the replica is still one and can be reached."""


def _lag(db: str, read_db: str, problem: list[str]) -> dict[str, Any]:
    """The replica's lag; ``problem`` (the app's ``Settings.replica_problem``: the status, then
    why) says why the replica is not read now, public reads then going to the primary: it is
    not a replica of the primary (promoted, another server's), or it cannot be reached while the
    primary can. Emptied once the replica is one again and answers."""
    from escrutinio.app import StoreUnavailable
    from escrutinio.app.serving import without_addresses  # /health is public: no server's address

    with Session(db, read_db=read_db) as session:
        try:
            lag = session.replica.lag()
        except StoreUnavailable as exc:
            session.log.head()  # the primary answers (else that is the failure to tell: 503)
            problem[:] = [UNAVAILABLE, without_addresses(str(exc).split("\n")[0])]
            return {"problem": problem[1]}
        except StoreError as exc:  # not a streaming replica of the primary's store: no lag to tell
            problem[:] = [REFUSED, without_addresses(str(exc).split("\n")[0])]
            return {"problem": problem[1]}
    problem.clear()
    seconds = lag.lag_seconds
    return {
        "lag_events": lag.lag_events,
        "lag_seconds": round(seconds, 3) if seconds is not None else None,
        "lag_bytes": lag.lag_bytes,
        "primary_events": lag.primary_events,
        "replica_events": lag.replica_events,
    }


def status(config: Any) -> str:
    """``/health``'s status: ``ok``, or why the replica is not read (:data:`REFUSED`, :data:`UNAVAILABLE`)."""
    problem = list(config.replica_problem)
    return problem[0] if problem else "ok"


_checking: set[asyncio.Task[Any]] = set()


def look_again(config: Any) -> None:
    """Have :func:`replica_lag` look, in the background, whether the replica is still one and
    answers, at most once per :data:`CHECK_EVERY` seconds; every public read calls this.

    Why here and not only in ``/health``: a replica promoted (or gone) while nobody polls
    ``/health`` went on being read: its figures froze at the head it had when it parted, and
    the answers kept for the polled reads were computed again and again from it, forever
    behind the head the server named elsewhere. Now the reads leave it within a second (and
    come back once it is a replica again)."""
    if config.read_db is None:
        return
    now = time.monotonic()
    if now - config.replica_checked[0] < CHECK_EVERY:
        return
    config.replica_checked[0] = now

    async def check() -> None:
        with contextlib.suppress(Exception):  # the primary is down: the reads themselves say so (503)
            await replica_lag(config)

    task = asyncio.get_running_loop().create_task(check())
    _checking.add(task)
    task.add_done_callback(_checking.discard)


async def replica_lag(config: Any) -> dict[str, Any] | None:
    """How far the read replica is behind the primary (None without ``--read-db``): events not
    yet replayed, seconds since it last replayed a transaction while it is behind (0 when it has
    every event), WAL bytes not yet replayed, and each server's event count; ``problem`` instead
    when the read store is not a streaming replica of the primary. ``config``: the app's
    ``api.deps.Settings``."""
    if config.read_db is None:
        return None
    return await run_in_threadpool(_lag, config.db, config.read_db, config.replica_problem)
