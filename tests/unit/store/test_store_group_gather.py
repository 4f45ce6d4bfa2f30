"""The committer gathers a group's stragglers: when far fewer appends wait than its last group
held, the others are on their way (answered together by the last commit) and are waited for,
so that groups do not alternate between the one or two that came first and all the rest."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import pytest
from tests.threads import until

from escrutinio.store import group_commit
from escrutinio.store.group_commit import NO_TURN, Committer, GroupRequest, Turn


class Writer:
    """A group writer that records each group's size and holds the first two until released."""

    def __init__(self) -> None:
        self.sizes: list[int] = []
        self.release = [threading.Event(), threading.Event()]

    def write_group(self, requests: Sequence[GroupRequest], turn: Turn = NO_TURN) -> list[Any]:
        self.sizes.append(len(requests))
        if len(self.sizes) <= len(self.release):
            self.release[len(self.sizes) - 1].wait(30)
        return [[] for _ in requests]

    def close(self) -> None:
        pass


def _submit(committer: Committer, n: int) -> list[threading.Thread]:
    threads = [threading.Thread(target=committer.submit, args=([], "clerk", None, [])) for _ in range(n)]
    for t in threads:
        t.start()
    return threads


def test_a_lone_append_after_a_full_group_waits_for_the_others(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(group_commit, "GATHER_SECONDS", 30.0)
    writer = Writer()
    committer = Committer("memory", lambda: writer)
    threads = _submit(committer, 1)  # taken alone, held by the writer
    until(lambda: len(writer.sizes) == 1)
    threads += _submit(committer, 4)  # queue behind it: the next group holds the four
    until(lambda: committer.waiting() == 4)
    writer.release[0].set()
    until(lambda: len(writer.sizes) == 2)
    threads += _submit(committer, 1)  # comes first, alone, while the four are written
    until(lambda: committer.waiting() == 1)
    writer.release[1].set()
    until(lambda: committer.waiting() == 0)
    threading.Event().wait(0.2)  # a committer that did not wait would have written it alone by now
    threads += _submit(committer, 3)  # the rest of the last group's clients
    for t in threads:
        t.join(30)
    committer.stop()
    assert writer.sizes == [1, 4, 4]


def test_a_lone_writer_is_not_kept_waiting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(group_commit, "GATHER_SECONDS", 30.0)
    writer = Writer()
    for e in writer.release:
        e.set()
    committer = Committer("memory", lambda: writer)
    for _ in range(3):
        done = _submit(committer, 1)[0]
        done.join(20)
        assert not done.is_alive()  # one append, then another: none waits for a group that is not coming
    committer.stop()
    assert writer.sizes == [1, 1, 1]
