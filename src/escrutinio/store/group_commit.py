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
"""

from __future__ import annotations

import atexit
import os
import queue
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from escrutinio.ledger.events import Event
    from escrutinio.ledger.pending import PendingEvent
    from escrutinio.store.entries import Decider

MAX_GROUP = 256
"""Appends per transaction at most: a bounded transaction keeps the wait of the first short."""

IDLE_SECONDS = 1.0
"""A committer with nothing to do for this long stops (and closes its store); the next append starts one."""

GATHER_SECONDS = 0.015
"""How long a committer that found far fewer appends waiting than its last group held waits for
the others at most (see :meth:`Committer._take`)."""


@dataclass(frozen=True)
class GroupRequest:
    """One caller's append waiting in a group commit (keys already checked); with ``decider``,
    its events are decided under the write lock (``store.entries``), ``pending`` is empty."""

    pending: Sequence[PendingEvent]
    actor: str
    expect_seq: int | None
    keys: list[str]
    decider: Decider | None = None


class GroupWriter(Protocol):
    """What a committer writes through: the store (:meth:`Store.write_group`)."""

    def write_group(self, requests: Sequence[GroupRequest]) -> list[list[Event] | BaseException]: ...

    def close(self) -> None: ...


@dataclass
class _Waiting:
    pending: Sequence[PendingEvent]
    actor: str
    expect_seq: int | None
    keys: list[str]
    decider: Decider | None
    future: Future[list[Event]]


class Committer:
    """The one thread that commits the appends to one store made through :func:`committer`."""

    def __init__(self, url: str, opener: Callable[[], GroupWriter]) -> None:
        self.url = url
        self._opener = opener
        self._queue: queue.SimpleQueue[_Waiting] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stopping = False
        self._last = 1
        """How many appends the last group held."""

    def submit(
        self,
        pending: Sequence[PendingEvent],
        actor: str,
        expect_seq: int | None,
        keys: list[str],
        decider: Decider | None = None,
    ) -> list[Event]:
        """Queue an append and wait for the commit that makes it durable (or for its refusal)."""
        waiting = _Waiting(list(pending), actor, expect_seq, keys, decider, Future())
        with self._lock:
            self._queue.put(waiting)
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name=f"group-commit {self.url}", daemon=True)
                self._thread.start()
        return waiting.future.result()

    def stop(self) -> None:
        """Finish what is queued, then stop the thread (at exit, or when a test ends)."""
        with self._lock:
            thread, self._stopping = self._thread, True
        if thread is not None:
            thread.join()
        self._stopping = False

    def _run(self) -> None:
        store: GroupWriter | None = None
        try:
            while True:
                group = self._take()
                if not group:
                    return
                if store is None:
                    store = self._opener()
                self._commit(store, group)
        finally:
            if store is not None:
                store.close()

    def _take(self) -> list[_Waiting]:
        """The appends waiting now (at least one, waiting for it up to IDLE_SECONDS), or none
        when there is nothing to do and the thread should stop.

        When fewer than half as many are waiting as the last group held, the others are on their
        way (their clients were answered together, by the last commit, and are sending their
        next appends): the committer waits for them, up to GATHER_SECONDS. Why: a group costs
        about the same whatever its size (its round trips), and taking at once the one or two
        appends that came first (answered by the write before the last, so out of step with the
        rest) made groups alternate between those few and all the rest, each costing a whole
        write: every client waited for two writes instead of one. The wait ends as soon as the
        group is as large as the last; it costs a lone writer nothing after its first group
        (its last group held one append)."""
        try:
            first = self._queue.get(timeout=0.05 if self._stopping else IDLE_SECONDS)
        except queue.Empty:
            with self._lock:  # an append queued under the lock after this check finds no thread
                if self._queue.empty():
                    self._thread = None
                    return []
            first = self._queue.get()
        group = [first]
        while len(group) < MAX_GROUP:
            try:
                group.append(self._queue.get_nowait())
            except queue.Empty:
                break
        wanted = min(self._last, MAX_GROUP)
        if 2 * len(group) <= wanted and not self._stopping:
            deadline = time.monotonic() + GATHER_SECONDS
            while len(group) < wanted and (left := deadline - time.monotonic()) > 0:
                try:
                    group.append(self._queue.get(timeout=left))
                except queue.Empty:
                    break
        self._last = len(group)
        return group

    def _commit(self, store: GroupWriter, group: list[_Waiting]) -> None:
        requests = [GroupRequest(w.pending, w.actor, w.expect_seq, w.keys, w.decider) for w in group]
        try:
            results = store.write_group(requests)
        except BaseException as exc:
            results = [exc] * len(group)
        for waiting, result in zip(group, results, strict=True):
            if isinstance(result, BaseException):
                waiting.future.set_exception(result)
            else:
                waiting.future.set_result(result)


_COMMITTERS: dict[str, Committer] = {}
_REGISTRY = threading.Lock()


def committer(url: str, opener: Callable[[], GroupWriter]) -> Committer:
    """The process's committer for the store at ``url`` (one per store, made on first use;
    ``opener`` opens the committer's own connection to the store)."""
    with _REGISTRY:
        found = _COMMITTERS.get(url)
        if found is None:
            found = _COMMITTERS[url] = Committer(url, opener)
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
