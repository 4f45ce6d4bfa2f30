"""Entries written by one group commit, on SQLite and PostgreSQL: two entries that each open an
observation case in one group open two cases."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from tests.onpe_sample import write

from escrutinio.app import Session
from escrutinio.domain.ids import TableId
from escrutinio.domain.roles import Principal, Role
from escrutinio.domain.sheet import TallySheet
from escrutinio.store import group_commit
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

    def spy(self: Store, requests: Any) -> Any:
        sizes.append(len(requests))
        entered.set()
        return real(self, requests)

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
                    if committer._queue.qsize() == i + 1:
                        break
                    threading.Event().wait(0.01)
        for t in threads:
            t.join()
    return results, sizes


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
