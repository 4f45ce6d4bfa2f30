"""Entries decided by the group commit, under the write lock (``store/entries.py``), on SQLite and
PostgreSQL: entries of one table in one group decide in turn, as if written one after the
other; a key resubmitted in the same group is the first action's; an entry that opens an
observation case is decided again outside and opens it; and a process killed between an
entry's decision and its commit leaves nothing, so the resubmission with the same key records
it once."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.domain.errors import RuleError
from escrutinio.domain.ids import TableId
from escrutinio.domain.roles import Principal, Role
from escrutinio.domain.sheet import TallySheet
from escrutinio.store import group_commit, read_ahead
from escrutinio.store.engine import lock_for_write, writing
from escrutinio.store.store import Store


def sheet(table: str = "000001", pl: int = 115, fp: int = 87, null: int = 18, cast: int = 220) -> TallySheet:
    return TallySheet(TableId(table), (pl, fp), 0, null, 0, cast)


def clerk(url: str, name: str) -> Session:
    return Session(url, Principal(name, Role.CLERK))


@pytest.fixture
def roll(db_url: str, tmp_path: Path) -> str:
    with Session(db_url, "admin") as s:
        s.intake.register_roll(write(tmp_path / "a.csv"), "peru-2021-runoff")
    yield db_url
    group_commit.stop_all()


def in_one_group(url: str, monkeypatch: pytest.MonkeyPatch, works: list[Callable[[], Any]]) -> tuple[list[Any], list[int]]:
    """Run ``works`` (each one submission) so that they queue, in this order, behind an append
    that waits for the write lock another writer holds, then are written as one group: their
    results (or errors) and the sizes of the groups written."""
    sizes: list[int] = []
    entered = threading.Event()
    real = Store.write_group

    def spy(self: Store, requests: Any, *turn: Any) -> Any:
        sizes.append(len(requests))
        entered.set()
        return real(self, requests, *turn)

    monkeypatch.setattr(Store, "write_group", spy)
    results: list[Any] = [None] * len(works)

    def run(i: int) -> None:
        try:
            results[i] = works[i]()
        except BaseException as exc:
            results[i] = exc

    with clerk(url, "dora") as s:
        store = s.store
        committer = group_commit.committer(store.url, lambda: Store(store.url))
        threads = [threading.Thread(target=lambda: s.intake.submit_sheet(sheet("000003"), "first"))]
        with writing(store.engine) as conn, conn.begin():
            lock_for_write(conn)
            threads[0].start()
            assert entered.wait(60)  # the committer holds that append, waiting for the lock
            for i in range(len(works)):
                threads.append(threading.Thread(target=run, args=(i,)))
                threads[-1].start()
                for _ in range(6000):
                    if committer.waiting() == i + 1:
                        break
                    threading.Event().wait(0.01)
        for t in threads:
            t.join()
    return results, sizes


def test_entries_of_one_table_in_one_group_decide_in_turn(roll: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    with clerk(roll, "ana") as a, clerk(roll, "beto") as b, clerk(roll, "carla") as c:
        works = [
            lambda: a.intake.submit_sheet(sheet(), "k"),
            lambda: b.intake.submit_sheet(sheet(), "k"),  # the second entry, on the first's, in the same write
            lambda: c.intake.submit_sheet(sheet(), "k"),  # a third: refused, nothing of it written
            lambda: a.intake.submit_sheet(sheet("000002"), "k2"),
            lambda: b.intake.submit_sheet(sheet("000002"), "k2"),
        ]
        (first, second, third, other1, other2), sizes = in_one_group(roll, monkeypatch, works)
    assert sizes == [1, 5]  # the five were written together
    assert (first.entry, first.state) == (1, "awaiting_second_entry")
    assert (second.entry, second.state, second.sheet_state) == (2, "processed", "counted")
    assert isinstance(third, RuleError) and getattr(third, "rule", None) == "entries_complete"
    assert (other1.state, other2.state) == ("awaiting_second_entry", "processed")
    assert second.event == first.event + 1 and other1.event == second.event + 2  # in the order they queued
    with Session(roll) as s:
        entries = s.intake.entries("000001")
        assert [(e["entry"], e["clerk"], e["event"]) for e in entries] == [
            (1, "clerk:ana", first.event),
            (2, "clerk:beto", second.event),
        ]
        assert entries[1]["first"] == first.event
        assert s.count.results()[0]["votes"] == {"PL": 230, "FP": 174}
        s.log.export(tmp_path / "log.jsonl")
        assert s.log.verify(tmp_path / "log.jsonl").ok


def test_the_same_clerk_twice_in_one_group_is_refused_and_a_repeated_key_is_the_first_action(
    roll: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    with clerk(roll, "ana") as a:
        works = [
            lambda: a.intake.submit_sheet(sheet(), "k1"),
            lambda: a.intake.submit_sheet(sheet(), "k2"),  # the same clerk: not an independent entry
            lambda: a.intake.submit_sheet(sheet(), "k1"),  # the first action again: its answer
        ]
        (first, same, again), _ = in_one_group(roll, monkeypatch, works)
    assert first.state == "awaiting_second_entry" and not first.already_done
    assert isinstance(same, RuleError) and getattr(same, "rule", None) == "same_clerk"
    assert again.already_done and again.event == first.event
    with Session(roll) as s:
        assert [e["entry"] for e in s.intake.entries("000001")] == [1]


def test_a_mismatch_in_a_group_opens_its_observation_case(roll: str, monkeypatch: pytest.MonkeyPatch) -> None:
    with clerk(roll, "ana") as a, clerk(roll, "beto") as b:
        works = [
            lambda: a.intake.submit_sheet(sheet(), "k"),
            lambda: b.intake.submit_sheet(sheet(pl=117), "k"),
            lambda: a.intake.submit_sheet(sheet("000002", cast=221), "k2"),
            lambda: b.intake.submit_sheet(sheet("000002", cast=221), "k2"),
        ]
        (_, mismatch, _, observed), _ = in_one_group(roll, monkeypatch, works)
    assert (mismatch.state, mismatch.differs, mismatch.sheet_state) == ("mismatch", ["votes.PL"], "observed")
    assert (observed.state, observed.reasons) == ("processed", ["arithmetic_error"])
    assert mismatch.case is not None and observed.case is not None and mismatch.case != observed.case
    with Session(roll) as s:
        assert s.count.table("000001")["state"] == "observed" and s.count.table("000002")["state"] == "observed"
        assert s.count.results()[0]["votes"] == {"PL": 0, "FP": 0}


def test_the_read_ahead_of_a_group_with_entries_names_their_tables() -> None:
    planned = read_ahead.plan([[]], {}, ["000002", "000001", "000002"])
    assert planned == read_ahead.Ahead(["000001", "000002"], [], ["000001", "000002"])


KILLED_BEFORE_COMMIT = """
import os, signal, sys
from escrutinio.app import Session
from escrutinio.domain.ids import TableId
from escrutinio.domain.roles import Principal, Role
from escrutinio.domain.sheet import TallySheet
from escrutinio.store import store

def killed(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGKILL)  # the entry is decided and sealed; its commit never comes

store.tally_digest.write = killed
with Session(sys.argv[1], Principal("ana", Role.CLERK)) as s:
    s.intake.submit_sheet(TallySheet(TableId("000001"), (115, 87), 0, 18, 0, 220), "k1")
"""


def test_a_kill_between_the_decision_and_its_commit_then_the_same_key_records_it_once(roll: str) -> None:
    with Session(roll) as s:
        head = s.store.head()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    done = subprocess.run([sys.executable, "-c", KILLED_BEFORE_COMMIT, roll], env=env, capture_output=True, timeout=120)
    assert done.returncode == -signal.SIGKILL, done.stderr.decode()[-2000:]
    with clerk(roll, "ana") as a:
        assert a.store.head() == head  # nothing of the killed write is in the log
        first = a.intake.submit_sheet(sheet(), "k1")  # the client resubmits with its key
        again = a.intake.submit_sheet(sheet(), "k1")
    assert (first.entry, first.state, first.already_done) == (1, "awaiting_second_entry", False)
    assert again.already_done and again.event == first.event
    with Session(roll) as s:
        assert [e["entry"] for e in s.intake.entries("000001")] == [1]
        assert s.store.head()[0] == head[0] + 1
