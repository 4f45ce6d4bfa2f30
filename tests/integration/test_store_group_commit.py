"""Group commit under real concurrency: many threads append at once through one committer, on
SQLite and PostgreSQL. Nothing is lost, duplicated or reordered within a caller; each caller
hears its own result (a resubmitted key is AlreadyDone for that caller alone); appends that
wait together are committed together; and two clerks keying the same tables at once each
get a consistent double entry."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from tests.onpe_sample import sample_rows, write
from tests.threads import run_together

from escrutinio.app import Session
from escrutinio.domain.errors import AlreadyDone, RuleError
from escrutinio.domain.ids import TableId
from escrutinio.domain.sheet import TallySheet
from escrutinio.formats.definition import load_definition
from escrutinio.ledger.pending import PendingEvent
from escrutinio.ledger.verify import read_events
from escrutinio.store import group_commit
from escrutinio.store.engine import lock_for_write, resolve_url, writing
from escrutinio.store.store import Store

THREADS = 16
EACH = 12


@pytest.fixture
def store(db_url: str) -> Store:
    _, definition = load_definition("peru-2021-runoff")
    made = Store.create(resolve_url(db_url), definition, "tester")
    yield made
    group_commit.stop_all()
    made.close()


def test_concurrent_appends_are_all_kept_each_caller_hearing_its_own(store: Store) -> None:
    def work(i: int) -> list[Any]:
        mine = Store(store.url)
        got = []
        for n in range(EACH):
            got.append(mine.append_grouped([PendingEvent("test.noted", {"t": i, "n": n})], f"clerk{i}", keys=[f"{i}:{n}"]))
        try:
            mine.append_grouped([PendingEvent("test.noted", {"t": i, "n": -1})], f"clerk{i}", keys=[f"{i}:0"])
        except AlreadyDone as exc:
            got.append(exc)
        mine.close()
        return got

    results = run_together(THREADS, work)
    log = list(read_events(store.event_lines()))  # the chain checks as it is read
    notes = [e for e in log if e.type == "test.noted"]
    assert len(notes) == THREADS * EACH
    for i, got in enumerate(results):
        *written, refused = got
        assert isinstance(refused, AlreadyDone) and refused.seq == written[0][0].seq
        seqs = [w[0].seq for w in written]
        assert seqs == sorted(seqs)  # a caller's appends in its own order
        assert [log[s - 1].data for s in seqs] == [{"t": i, "n": n} for n in range(EACH)]
        assert all(log[s - 1].actor == f"clerk{i}" for s in seqs)
    assert len(store.known_keys([f"{i}:{n}" for i in range(THREADS) for n in range(EACH)])) == THREADS * EACH


def test_appends_that_wait_together_are_committed_together(store: Store, monkeypatch: pytest.MonkeyPatch) -> None:
    sizes: list[int] = []
    real = Store.write_group

    def spy(self: Store, requests: Any, *turn: Any) -> Any:
        sizes.append(len(requests))
        return real(self, requests, *turn)

    monkeypatch.setattr(Store, "write_group", spy)
    committer = group_commit.committer(store.url, lambda: Store(store.url))
    # Another writer holds the write lock while the appends arrive: they queue behind it.
    with writing(store.engine) as conn, conn.begin():
        lock_for_write(conn)
        waiting = threading.Thread(
            target=lambda: run_together(THREADS, lambda i: store.append_grouped([PendingEvent("test.noted", {"t": i})], "c"))
        )
        waiting.start()
        while committer.waiting() + sum(sizes) < THREADS:  # the committer holds the first (or first few)
            threading.Event().wait(0.01)
    waiting.join()
    assert sum(sizes) == THREADS and len(sizes) <= 2  # those it held, then all the rest together
    assert len([e for e in read_events(store.event_lines()) if e.type == "test.noted"]) == THREADS


def test_clerks_keying_the_same_tables_at_once_make_consistent_double_entries(db_url: str, tmp_path: Path) -> None:
    with Session(db_url, "admin") as s:
        s.intake.register_roll(write(tmp_path / "a.csv"), "peru-2021-runoff")
    rows = [r for r in sample_rows() if isinstance(r.p1, int) and isinstance(r.p2, int)]

    def figures(r: Any) -> TallySheet:
        blank = r.blank if isinstance(r.blank, int) else 0
        return TallySheet(TableId(r.table), (r.p1, r.p2), blank, r.null, 0, r.cast)

    def work(i: int) -> list[str]:
        out = []
        with Session(db_url, f"clerk:{i}") as clerk:
            for r in rows:
                try:
                    out.append(clerk.intake.submit_sheet(figures(r), r.table).state)
                except RuleError as exc:
                    assert "both entries are in" in str(exc)
                    out.append("refused")
        return out

    results = run_together(4, work)  # four clerks race for the two entries of every table
    group_commit.stop_all()
    for n, _row in enumerate(rows):
        states = sorted(result[n] for result in results)
        assert states == ["awaiting_second_entry", "processed", "refused", "refused"]
    with Session(db_url) as s:
        for r in rows:
            entries = [e for e in s.intake.entries(r.table) if e["type"] == "sheet.entered"]
            assert [e["entry"] for e in entries] == [1, 2] and entries[0]["clerk"] != entries[1]["clerk"]
            assert entries[1]["outcome"] == "processed"
        votes = s.count.results()[0]["votes"]
    assert votes == {"PL": sum(r.p1 for r in rows), "FP": sum(r.p2 for r in rows)}
