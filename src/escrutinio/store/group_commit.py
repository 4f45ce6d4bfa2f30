"""Group commit: appends arriving together share one transaction and one commit.

Why: the hash chain makes the log one serialisation point (each event names the previous
one's hash), so appends take the write lock one at a time, and on a results centre most of
an append's time is its commit (the server's flush of its write-ahead log to disk). With many
clerks keying at once, one committer thread takes every append that is waiting, writes them
in the order they arrived in one transaction (each inside a savepoint, so a refusal of one
rolls back that one alone: :meth:`Store.write_group`) and commits once. Each caller waits on
its own future and gets its own events or its own error, as if it had appended alone.

Nothing accepted is lost or reordered: a caller's result is set only after the commit that
made it durable, and a failed commit fails every caller of the group with the store's
"outcome unknown" error, which a keyed action (every intake action is) resolves by retrying.

On a server, two lanes overlap one group's write with the next group's lock request
(:class:`Committer`).
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from escrutinio.store import timeline
from escrutinio.store.location import sqlite_path

if TYPE_CHECKING:
    import asyncio

    from escrutinio.ledger.events import Event
    from escrutinio.ledger.pending import PendingEvent
    from escrutinio.store.entries import Decider

MAX_GROUP = 256
"""Appends per transaction at most: a bounded transaction keeps the wait of the first short."""

IDLE_SECONDS = 1.0
"""A committer with nothing to do for this long stops (and closes its store); the next append starts one."""

GATHER_SECONDS = 0.015
"""How long a committer that found far fewer appends waiting than its last group held waits for
the others at most (see :meth:`Committer._gather`)."""

SERVER_LANES = 2
"""Lanes of a PostgreSQL store's committer (see :class:`Committer`): one group writing while
the next waits for the lock keeps the server busy; a third would only wait behind them."""


@dataclass(frozen=True)
class GroupRequest:
    """One caller's append waiting in a group commit (keys already checked); with ``decider``,
    its events are decided under the write lock (``store.entries``), ``pending`` is empty."""

    pending: Sequence[PendingEvent]
    actor: str
    expect_seq: int | None
    keys: list[str]
    decider: Decider | None = None


class Turn(Protocol):
    """What a writer tells the committer as a group goes through: the write lock is held
    (:meth:`granted`), the write and its COMMIT are being sent (:meth:`writing`)."""

    def granted(self) -> None: ...

    def writing(self) -> None: ...


class _NoTurn:
    """A write no committer waits on (a plain append)."""

    def granted(self) -> None:
        pass

    def writing(self) -> None:
        pass


NO_TURN: Turn = _NoTurn()


class GroupWriter(Protocol):
    """What a committer writes through: the store (:meth:`Store.write_group`)."""

    def write_group(self, requests: Sequence[GroupRequest], turn: Turn = NO_TURN) -> list[list[Event] | BaseException]: ...

    def close(self) -> None: ...


@dataclass
class _Waiting:
    pending: Sequence[PendingEvent]
    actor: str
    expect_seq: int | None
    keys: list[str]
    decider: Decider | None
    future: Future[list[Event]] | asyncio.Future[list[Event]]
    """What its caller waits on: a thread's future (:meth:`Committer.submit`), or an event
    loop's (:meth:`Committer.submit_soon`), settled with the others of its group at once."""
    timeline: timeline.Timeline | None = None
    """Its request's moments, when they are timed (``store.timeline``)."""
    loop: asyncio.AbstractEventLoop | None = None
    """The event loop of ``future`` when it is a loop's."""


ASKING, GRANTED, WRITING, DONE = range(4)
"""Where a group sent to the store stands: its lock asked for, held, its write and COMMIT sent,
through (committed, refused or failed)."""


class Flight:
    """One group on its way through the store: the writer tells it when the write lock is
    granted (:meth:`granted`) and when the write and its COMMIT go to the server
    (:meth:`writing`); the committer's other lanes wait on those moments."""

    def __init__(self, changed: threading.Condition) -> None:
        self._changed = changed
        self.state = ASKING
        self.granted_at: float | None = None
        """When the lock was granted (``perf_counter``), noted when requests are timed."""

    def granted(self) -> None:
        if timeline.ENABLED:
            self.granted_at = time.perf_counter()
        self._move(GRANTED)

    def writing(self) -> None:
        self._move(WRITING)

    def done(self) -> None:
        self._move(DONE)

    def _move(self, state: int) -> None:
        with self._changed:
            if state > self.state:
                self.state = state
                self._changed.notify_all()


class Committer:
    """The threads ("lanes") that commit the appends to one store made through :func:`committer`.

    One lane: take the appends waiting, write them, answer them, take the next. Every step
    waits for the one before: while the group's lock request and its write travel to the
    server and back, nothing else happens, and while its clients are answered and come back,
    the server has nothing to do. On a results centre that was most of a group's cycle.

    Two lanes (a server's store, :data:`SERVER_LANES`), each with its own connection and
    :class:`GroupWriter`, overlap those waits: while one lane's group holds the write lock,
    the other gathers the next group, and sends its lock request (and the reads that go with
    it, ``store.read_ahead``) as soon as the first sends its write and COMMIT, so the lock is
    granted to it the moment that commit is done, and its reads, run after the lock is
    granted, see what that commit wrote (READ COMMITTED). Two lanes write in turn exactly as
    two server processes sharing the advisory lock do (``serve --workers 2``): each group is
    its own transaction, sealed on the head it reads under the lock.

    Order: a lane takes its group only once the group taken before is granted the lock, so
    groups reach the lock in the order they were taken, and at most one lock request of this
    process waits at the server (two while a group is written apart, below). Nothing any
    client can observe is reordered by the overlap: a client is answered only after its group
    committed, so its next append (or anything it tells another client) is in a group taken
    after that commit. A group whose joint write is refused and is written again apart
    (``Store._group_apart``, each request deciding again on the state under its new lock) may
    commit after the group taken after it: none of its clients has been answered yet, no
    reader saw any of it (it was not committed), and the two groups hold appends of different
    clients that were waiting at the same time, whose order no one could see.

    SQLite keeps one lane: its write lock is a lock on the file, which a second connection
    polls for (there is no server queue to wait in, granting it the moment the commit is
    done), and its commit is a local flush with no round trip to hide.
    """

    def __init__(self, url: str, opener: Callable[[], GroupWriter], lanes: int = 1) -> None:
        self.url = url
        self._opener = opener
        self._lanes = max(1, lanes)
        self._waiting: deque[_Waiting] = deque()
        self._changed = threading.Condition()
        """Guards the queue and the lanes' state; notified when either changes."""
        self._threads: dict[int, threading.Thread] = {}
        self._stopping = False
        self._taking = False
        """A lane is gathering its group (one at a time: groups are taken in turn)."""
        self._newest: Flight | None = None
        """The group taken last, on its way through the store (or through it)."""
        self._last = [1] * self._lanes
        """How many appends each lane's last group held."""

    def waiting(self) -> int:
        """How many appends wait to be taken into a group."""
        with self._changed:
            return len(self._waiting)

    def submit(
        self,
        pending: Sequence[PendingEvent],
        actor: str,
        expect_seq: int | None,
        keys: list[str],
        decider: Decider | None = None,
    ) -> list[Event]:
        """Queue an append and wait for the commit that makes it durable (or for its refusal)."""
        timed = timeline.current() if timeline.ENABLED else None
        future: Future[list[Event]] = Future()
        self._queue(_Waiting(list(pending), actor, expect_seq, keys, decider, future, timed))
        if timed is None:
            return future.result()
        try:
            return future.result()
        finally:
            timed.mark("woken")

    def submit_soon(
        self, pending: Sequence[PendingEvent], actor: str, keys: list[str], decider: Decider | None = None
    ) -> asyncio.Future[list[Event]]:
        """:meth:`submit` from an event loop, without a thread to wait: queue the append and
        return a future of the running loop that holds its events (or its refusal) once the
        commit that makes it durable is done.

        Why: a request handed to a thread only to wait there cost, per sheet entry, a hand-over
        to the thread, a wake-up of it by the committer and a hand-over back to the loop, each
        a wait for the GIL among the server's busy threads (``store.timeline`` measured them at
        about a fifth of an entry's time in the server). The committer settles the futures of a
        group's loop requests together, with one call into their loop."""
        import asyncio  # here: a command, which never calls this, is spared its import

        loop = asyncio.get_running_loop()
        future: asyncio.Future[list[Event]] = loop.create_future()
        timed = timeline.take() if timeline.ENABLED else None
        self._queue(_Waiting(list(pending), actor, None, keys, decider, future, timed, loop))
        return future

    def _queue(self, waiting: _Waiting) -> None:
        if waiting.timeline is not None:
            waiting.timeline.mark("queued")
        with self._changed:
            self._waiting.append(waiting)
            for lane in range(self._lanes):
                if lane not in self._threads:
                    thread = threading.Thread(target=self._run, args=(lane,), name=f"group-commit {lane} {self.url}", daemon=True)
                    self._threads[lane] = thread
                    thread.start()
            self._changed.notify_all()

    def stop(self) -> None:
        """Finish what is queued, then stop the lanes (at exit, or when a test ends)."""
        with self._changed:
            threads, self._stopping = list(self._threads.values()), True
            self._changed.notify_all()
        for thread in threads:
            thread.join()
        with self._changed:
            self._stopping = False

    def _run(self, lane: int) -> None:
        store: GroupWriter | None = None
        try:
            while True:
                taken = self._take(lane)
                if taken is None:
                    return
                if store is None:
                    store = self._opener()
                self._commit(store, *taken)
        finally:
            if store is not None:
                store.close()

    def _take(self, lane: int) -> tuple[list[_Waiting], Flight] | None:
        """This lane's turn and its group: the appends waiting once the group taken before
        holds the lock (at least one, waited for up to IDLE_SECONDS), or None when there is
        nothing to do and the lane should stop."""
        with self._changed:
            while self._taking or (self._newest is not None and self._newest.state < GRANTED):
                self._changed.wait()
            self._taking = True
            try:
                if not self._first(lane):
                    return None
                group = self._gather(self._last[lane])
                self._last[lane] = len(group)
                if timeline.ENABLED:
                    taken = time.perf_counter()
                    for w in group:
                        if w.timeline is not None:
                            w.timeline.mark("taken", taken)
                flight = self._newest = Flight(self._changed)
                return group, flight
            finally:
                self._taking = False
                self._changed.notify_all()

    def _first(self, lane: int) -> bool:
        """Wait (holding ``_changed``) for an append, up to IDLE_SECONDS; False, and the lane
        is gone, when none came (an append queued after that finds the lane gone and starts it)."""
        limit = time.monotonic() + (0.05 if self._stopping else IDLE_SECONDS)
        while not self._waiting:
            left = limit - time.monotonic()
            if left <= 0:
                del self._threads[lane]
                return False
            self._changed.wait(left)
        return True

    def _gather(self, last: int) -> list[_Waiting]:
        """The group (holding ``_changed``, at least one append waiting).

        While the group taken before is on its way to its commit, this one gathers every
        append that arrives, and goes as that group's write and COMMIT go to the server: its
        lock request then waits at the server for that commit, and it holds every client
        answered meanwhile.

        With no group on its way (one lane, or a quiet moment), when fewer than half as many
        are waiting as the last group held, the others are on their way (their clients were
        answered together, by the last commit, and are sending their next appends): the lane
        waits for them, up to GATHER_SECONDS. Why: a group costs about the same whatever its
        size (its round trips), and taking at once the one or two appends that came first
        (answered by the write before the last, so out of step with the rest) made groups
        alternate between those few and all the rest, each costing a whole write: every
        client waited for two writes instead of one. The wait ends as soon as the group is as
        large as the last; it costs a lone writer nothing after its first group (its last
        group held one append)."""
        group: list[_Waiting] = []
        before = self._newest
        while len(group) < MAX_GROUP:
            if self._waiting:
                group.append(self._waiting.popleft())
            elif before is not None and before.state < WRITING and not self._stopping:
                self._changed.wait()
            else:
                break
        wanted = min(last, MAX_GROUP)
        if 2 * len(group) <= wanted and not self._stopping:
            deadline = time.monotonic() + GATHER_SECONDS
            while len(group) < wanted and (left := deadline - time.monotonic()) > 0:
                if self._waiting:
                    group.append(self._waiting.popleft())
                else:
                    self._changed.wait(left)
        return group

    def _commit(self, store: GroupWriter, group: list[_Waiting], flight: Flight) -> None:
        requests = [GroupRequest(w.pending, w.actor, w.expect_seq, w.keys, w.decider) for w in group]
        started = time.perf_counter() if timeline.ENABLED else 0.0
        try:
            results = store.write_group(requests, flight)
        except BaseException as exc:
            results = [exc] * len(group)
        finally:
            flight.done()
        if timeline.ENABLED:
            timeline.group_marks([w.timeline for w in group], started, timeline.asked(), flight.granted_at, time.perf_counter())
        looped: dict[asyncio.AbstractEventLoop, list[tuple[_Waiting, list[Event] | BaseException]]] = {}
        for waiting, result in zip(group, results, strict=True):
            if waiting.loop is not None:
                looped.setdefault(waiting.loop, []).append((waiting, result))
            else:
                _settle([(waiting, result)])
        for loop, settled in looped.items():
            with contextlib.suppress(RuntimeError):  # the loop was closed meanwhile: nobody awaits them any more
                loop.call_soon_threadsafe(_settle, settled)


def _settle(settled: list[tuple[_Waiting, list[Event] | BaseException]]) -> None:
    """Set the futures of these requests: a thread's, on the committer's lane; those made on an
    event loop (:meth:`Committer.submit_soon`), on that loop, all of a group's at once."""
    for waiting, result in settled:
        future = waiting.future
        if future.done():  # its request was cancelled (its client went away)
            continue
        if isinstance(result, BaseException):
            future.set_exception(result)
        else:
            future.set_result(result)
        if waiting.timeline is not None:
            waiting.timeline.mark("settled")


_COMMITTERS: dict[str, Committer] = {}
_REGISTRY = threading.Lock()


def committer(url: str, opener: Callable[[], GroupWriter]) -> Committer:
    """The process's committer for the store at ``url`` (one per store, made on first use;
    ``opener`` opens a lane's own connection to the store): :data:`SERVER_LANES` lanes on a
    server, one on an SQLite file (see :class:`Committer`)."""
    with _REGISTRY:
        found = _COMMITTERS.get(url)
        if found is None:
            lanes = 1 if sqlite_path(url) is not None else SERVER_LANES
            found = _COMMITTERS[url] = Committer(url, opener, lanes)
        return found


def stop_all() -> None:
    """Stop every committer once its queue is empty (registered to run at exit, so an SQLite
    store's write-ahead log is folded back into its file by the committer's close)."""
    with _REGISTRY:
        found = list(_COMMITTERS.values())
    for c in found:
        c.stop()


def _forget_after_fork() -> None:
    """A forked child has no committer threads: it must not wait on its parent's."""
    global _REGISTRY
    _COMMITTERS.clear()
    _REGISTRY = threading.Lock()


atexit.register(stop_all)
if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_after_fork)
