"""A committer's two lanes take groups in turn: the next group is taken only once the group
before holds the write lock, it gathers while that group writes, and it goes (asks for the
lock) when that group sends its write and COMMIT, while that group is still committing."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

from tests.threads import still, until

from escrutinio.store import group_commit
from escrutinio.store.group_commit import NO_TURN, Committer, GroupRequest, Turn
from escrutinio.store.location import resolve_url


class Refused(Exception):
    pass


class Writer:
    """A group writer that holds each group at each step (lock asked, lock granted, write sent)
    until the test lets it go on, and records the groups' sizes as they reach it."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.steps: list[dict[str, threading.Event]] = [_steps() for _ in range(8)]
        self.fail: set[int] = set()
        """The groups (by number) that fail once granted, before they write."""

    def write_group(self, requests: Sequence[GroupRequest], turn: Turn = NO_TURN) -> list[Any]:
        index = len(self.sizes)
        mine = self.steps[index]
        self.sizes.append(len(requests))
        assert mine["granted"].wait(30)
        turn.granted()
        assert mine["writing"].wait(30)
        if index in self.fail:
            raise Refused
        turn.writing()
        assert mine["done"].wait(30)
        return [[] for _ in requests]

    def close(self) -> None:
        pass


def _steps() -> dict[str, threading.Event]:
    return {"granted": threading.Event(), "writing": threading.Event(), "done": threading.Event()}


def _submit(committer: Committer, n: int) -> list[threading.Thread]:
    threads = [threading.Thread(target=committer.submit, args=([], "clerk", None, [])) for _ in range(n)]
    for t in threads:
        t.start()
    return threads


def test_the_next_group_is_taken_once_the_last_holds_the_lock_and_goes_as_it_commits() -> None:
    writer = Writer()
    committer = Committer("memory", lambda: writer, lanes=2)
    threads = _submit(committer, 1)
    until(lambda: writer.sizes == [1])  # the first group asks for the lock
    threads += _submit(committer, 3)
    until(lambda: committer.waiting() == 3)
    still(lambda: committer.waiting() == 3 and writer.sizes == [1])  # not taken: the first has no lock yet
    writer.steps[0]["granted"].set()
    until(lambda: committer.waiting() == 0)  # taken by the other lane, which gathers...
    threads += _submit(committer, 2)
    until(lambda: committer.waiting() == 0)
    still(lambda: writer.sizes == [1])  # ...while the first group writes: it has not asked for the lock
    writer.steps[0]["writing"].set()
    until(lambda: writer.sizes == [1, 5])  # the first sends its COMMIT: the next asks for the lock
    still(lambda: not writer.steps[0]["done"].is_set())  # while the first is still committing
    for steps in writer.steps:
        for step in steps.values():
            step.set()
    for t in threads:
        t.join(30)
    committer.stop()
    assert writer.sizes == [1, 5]


def test_a_group_that_ends_before_it_writes_lets_the_next_go() -> None:
    """A group that never sends a write (an error once it holds the lock; every key done
    before) is through: the next group asks for the lock instead of waiting for a COMMIT that
    is not coming, and the first group's callers hear the error."""
    writer = Writer()
    committer = Committer("memory", lambda: writer, lanes=2)
    heard: list[BaseException] = []

    def first() -> None:
        try:
            committer.submit([], "clerk", None, [])
        except Refused as exc:
            heard.append(exc)

    threads = [threading.Thread(target=first)]
    threads[0].start()
    until(lambda: writer.sizes == [1])
    writer.fail.add(0)
    writer.steps[0]["granted"].set()
    threads += _submit(committer, 2)
    until(lambda: committer.waiting() == 0)
    still(lambda: writer.sizes == [1])
    writer.steps[0]["writing"].set()  # the first group fails here, before it writes
    until(lambda: writer.sizes == [1, 2])
    for step in writer.steps[1].values():
        step.set()
    for t in threads:
        t.join(30)
    committer.stop()
    assert len(heard) == 1 and writer.sizes == [1, 2]


def test_a_store_on_a_server_gets_two_lanes_and_a_file_one(tmp_path: Any) -> None:
    server = group_commit.committer("postgresql+psycopg://nowhere/lanes", lambda: Writer())
    file = group_commit.committer(resolve_url(str(tmp_path / "lanes.db")), lambda: Writer())
    assert (server._lanes, file._lanes) == (group_commit.SERVER_LANES, 1) and group_commit.SERVER_LANES == 2
