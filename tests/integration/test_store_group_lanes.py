"""The committer's two lanes on a real PostgreSQL server: one group writes and commits while
the next asks for the write lock. Nothing accepted is lost, counted twice or reordered against
the log; a key resubmitted while its first submission is in the other lane is recorded once;
groups reach the lock in the order they were taken; and a group whose joint write is refused
and written again apart commits after the group taken after it, each of its callers hearing
its own result, and the chain still verifies."""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.conftest import fresh_pg_database
from tests.onpe_sample import write
from tests.threads import run_together, until

from escrutinio.app import Session
from escrutinio.domain.errors import AlreadyDone, StaleState
from escrutinio.domain.ids import TableId
from escrutinio.domain.roles import Principal, Role
from escrutinio.domain.sheet import TallySheet
from escrutinio.ledger.events import EventType
from escrutinio.ledger.pending import PendingEvent
from escrutinio.ledger.verify import read_events
from escrutinio.store import group_commit, phases
from escrutinio.store.engine import lock_for_write, pipelined, run_many, writing
from escrutinio.store.group_commit import NO_TURN, Turn
from escrutinio.store.store import Store

THREADS = 16
EACH = 15


@pytest.fixture
def url(tmp_path: Path) -> Iterator[str]:
    """A PostgreSQL store holding a roll (so entries can be keyed)."""
    db = fresh_pg_database()
    with Session(db, "admin") as s:
        s.intake.register_roll(write(tmp_path / "a.csv"), "peru-2021-runoff")
        made = s.store.url
    yield made
    group_commit.stop_all()


class Groups:
    """A spy on :meth:`Store.write_group`: each group in the order it reached the store (the
    order it was taken), when it was granted the lock, its results, and how many were in
    the store at once."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.sizes: list[int] = []
        self.granted: list[int] = []
        """Groups by number, in the order they were granted the lock (a group written apart
        is granted twice)."""
        self.results: dict[int, list[Any]] = {}
        self.inside = 0
        self.most = 0
        self.lock = threading.Lock()
        self.on_granted: Callable[[int], None] = lambda n: None
        real = Store.write_group
        spy = self

        def write_group(store: Store, requests: Any, turn: Turn = NO_TURN) -> Any:
            with spy.lock:
                number = len(spy.sizes)
                spy.sizes.append(len(requests))
                spy.inside += 1
                spy.most = max(spy.most, spy.inside)
            try:
                results = real(store, requests, Told(spy, number, turn))
            finally:
                with spy.lock:
                    spy.inside -= 1
            spy.results[number] = results
            return results

        monkeypatch.setattr(Store, "write_group", write_group)


class Told:
    """A group's turn, seen by the spy on its way to the committer."""

    def __init__(self, spy: Groups, number: int, turn: Turn) -> None:
        self.spy, self.number, self.turn = spy, number, turn

    def granted(self) -> None:
        with self.spy.lock:
            self.spy.granted.append(self.number)
        self.spy.on_granted(self.number)
        self.turn.granted()

    def writing(self) -> None:
        self.turn.writing()


def test_keyed_appends_through_two_lanes_are_each_recorded_once_in_the_order_taken(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    groups = Groups(monkeypatch)
    store = Store(url)

    def work(i: int) -> list[tuple[str, Any]]:
        got: list[tuple[str, Any]] = []
        for n in range(EACH):
            # Its own key, then its neighbour's of the same round, which may be in a group of the
            # other lane right now: each recorded once, by whichever came first; the other
            # submission hears AlreadyDone, naming the event that recorded it.
            for t in (i, (i + 1) % THREADS):
                key = f"{t}:{n}"
                try:
                    written = store.append_grouped([PendingEvent("test.noted", {"t": t, "n": n})], f"clerk{i}", keys=[key])
                    assert Store(url).event_hash(written[0].seq) == written[0].hash  # heard once durable
                    got.append((key, written))
                except AlreadyDone as done:
                    got.append((key, done))
        return got

    results = run_together(THREADS, work)
    group_commit.stop_all()
    assert not [r for r in results if isinstance(r, BaseException)]
    log = list(read_events(store.event_lines()))  # the chain checks as it is read
    notes = [e for e in log if e.type == "test.noted"]
    assert len(notes) == THREADS * EACH  # every key once: none lost, none twice
    assert sorted((e.data["t"], e.data["n"]) for e in notes) == [(t, n) for t in range(THREADS) for n in range(EACH)]
    keys = store.known_keys([f"{t}:{n}" for t in range(THREADS) for n in range(EACH)])
    assert len(keys) == THREADS * EACH
    for e in notes:
        assert keys[f"{e.data['t']}:{e.data['n']}"] == e.seq
    for got in results:
        heard = [(key, a.seq if isinstance(a, AlreadyDone) else a[0].seq) for key, a in got]
        assert all(keys[key] == seq for key, seq in heard)  # what each caller heard is what the log holds
        mine = [a[0].seq for _, a in got if isinstance(a, list)]
        assert mine == sorted(mine)  # a caller's appends in its own order
    # Groups reach the lock in the order they were taken, and commit in it: each group's events
    # come after every event of the groups taken before it (none was written apart here).
    assert groups.granted == sorted(groups.granted) == list(range(len(groups.sizes)))
    firsts = [min(e[0].seq for e in r if isinstance(e, list) and e) for _, r in sorted(groups.results.items()) if _written(r)]
    assert firsts == sorted(firsts)
    assert groups.most <= 2


def _written(results: list[Any]) -> bool:
    return any(isinstance(r, list) and r for r in results)


def test_a_group_written_apart_commits_after_the_next_group_and_every_caller_hears_its_own(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Group 1 holds an entry already recorded (a decision taken on a stale state) and a note:
    its joint write is refused by the server at the write (``sheet_entries``' primary key, as
    its COMMIT goes), after group 2 asked for the lock. Group 2 is granted the lock first and
    commits; group 1 is then written apart: the stale entry refused alone, its note recorded
    after group 2's. No caller was answered before its group committed, every one hears its
    own result, and the chain verifies."""
    with Session(url, Principal("ana", Role.CLERK)) as ana:
        entered = ana.intake.submit_sheet(TallySheet(TableId("000001"), (115, 87), 0, 18, 0, 220), "k1")
        stale = ana.store.event_at(entered.event)
    assert stale.type == EventType.SHEET_ENTERED
    store = Store(url)
    committer = group_commit.committer(store.url, lambda: Store(store.url))
    answers: dict[str, Any] = {}
    threads: list[threading.Thread] = []

    def submit(name: str) -> None:
        try:
            answers[name] = got = store.append_grouped(events[name], "clerk:x", keys=[name])
            # Heard only once durable: another connection sees it committed.
            assert Store(url).event_hash(got[0].seq) == got[0].hash
        except BaseException as exc:
            answers[name] = exc

    def send(name: str) -> None:
        threads.append(threading.Thread(target=submit, args=(name,)))
        threads[-1].start()

    def queue(names: list[str]) -> None:
        """Submit these in this order, each queued (not taken) before the next is sent."""
        for name in names:
            before = committer.waiting()
            send(name)
            until(lambda before=before: committer.waiting() == before + 1)

    notes = {f"note{n}": [PendingEvent("test.noted", {"n": n})] for n in range(6)}
    events = {**notes, "stale": [PendingEvent(stale.type, stale.data)]}
    groups = Groups(monkeypatch)
    second_granted = threading.Event()

    def granted(n: int) -> None:
        if n == 1 and not threads[3:]:  # group 2's appends arrive once group 1 holds the lock (the first time)
            queue(["note2", "note3", "note4", "note5"])
        elif n == 2:
            second_granted.set()

    groups.on_granted = granted
    real_apart = Store._group_apart

    def apart(store: Store, requests: Any) -> Any:
        # Group 2's lock request was waiting at the server (sent as group 1's COMMIT went), so
        # it is granted before group 1 asks again; waiting for it here makes the order certain,
        # and a committer that did not overlap the two would never get here.
        assert second_granted.wait(60), "group 2 never asked for the lock while group 1 wrote"
        return real_apart(store, requests)

    monkeypatch.setattr(Store, "_group_apart", apart)
    with writing(store.engine) as conn, conn.begin():
        lock_for_write(conn)  # group 0 waits for the lock; group 1 queues behind it
        send("note0")
        until(lambda: groups.sizes)
        queue(["stale", "note1"])
    for t in threads:
        t.join(120)
    group_commit.stop_all()
    assert groups.sizes == [1, 2, 4]
    assert groups.granted == [0, 1, 2, 1]  # group 1 is granted again, apart, after group 2
    assert isinstance(answers["stale"], StaleState)  # refused alone
    heard = {name: answers[name] for name in notes}
    assert all(isinstance(a, list) and a[0].data == notes[name][0].data for name, a in heard.items()), heard
    log = list(read_events(store.event_lines()))  # the chain verifies
    assert [e.data["n"] for e in log if e.type == "test.noted"] == [0, 2, 3, 4, 5, 1]
    assert {name: a[0].seq for name, a in heard.items()} == store.known_keys(list(notes))
    assert [e for e in log if e.type == EventType.SHEET_ENTERED] == [stale]  # never recorded twice
    assert store.known_keys(["stale"]) == {}
    with Session(url) as s:
        assert [e["entry"] for e in s.intake.entries("000001")] == [1]


def test_round_trips_are_counted_on_the_connection_of_a_write_and_a_group_takes_two(
    url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``store.phases`` counts a write's round trips to the server (the ``trips`` column of
    ``benchmarks/intake.py --phases``): a statement alone is one, a pipeline of statements is
    one, and only inside the write's block. A group through the committer takes two: its BEGIN
    with the lock and the reads under it (``engine.begun_with_lock``; psycopg's own BEGIN was a
    third, sent and waited for before the lock's request), and the write with its COMMIT."""
    monkeypatch.setattr(phases, "ENABLED", True)
    store = Store(url)
    with writing(store.engine) as conn:
        timing = phases.start()
        with phases.watching(conn):
            conn.exec_driver_sql("SELECT 1")
            with pipelined(conn):
                run_many(conn, "SELECT %s", [(1,), (2,)])
                run_many(conn, "SELECT %s", [(3,)])
        conn.exec_driver_sql("SELECT 2")  # outside: not counted
        assert isinstance(timing, phases.Phases) and timing.trips == 2
        assert "wait" not in vars(conn.connection.driver_connection)  # the connection's own again
    trips: list[int] = []
    real_done = phases.Phases.done

    def done(timing: phases.Phases, size: int) -> None:
        trips.append(timing.trips)
        real_done(timing, size)

    monkeypatch.setattr(phases.Phases, "done", done)
    store.append_grouped([PendingEvent("test.noted", {"n": 1})], "clerk:x", keys=["note1"])
    group_commit.stop_all()
    assert trips == [2]
