"""Public reads while clerks write, through a real ``escrutinio serve`` on SQLite and PostgreSQL.

Readers poll the national and department results (without ``If-None-Match``) while two clerks
key sheet after sheet; every answer must be exactly the figures of the head it names (its ETag,
and the nation's ``log``): a kept answer may be given for a moment after the log has moved
(``api/hot.py``), but never one older than the head it says it is of. And once the server's
head has moved past a write, the next read reflects it; ``?at_least=N`` reflects it at once.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import fresh_pg_database
from tests.integration.api.server import serving
from tests.onpe_sample import Row, write

from escrutinio.app import Session
from escrutinio.domain.roles import Role

TABLES = 24


def sheet(i: int) -> dict[str, Any]:
    """The entry of table ``i``: votes of its own, so that every head has figures of its own."""
    pl, fp = 10 + i, 40 + 3 * i
    return {"votes": {"PL": pl, "FP": fp}, "blank": 0, "null": 0, "challenged": 0, "cast": pl + fp}


def named(response: httpx.Response) -> int:
    """The head an answer names in its ETag (``"EVENTS-DIGEST"``)."""
    return int(response.headers["etag"].strip('"').split("-")[0])


def expected(writes: list[tuple[int, dict[str, int]]], head: int) -> dict[str, int]:
    """The votes of every sheet processed at or before event ``head``."""
    total = {"PL": 0, "FP": 0}
    for event, votes in writes:
        if event <= head:
            total = {k: total[k] + votes[k] for k in total}
    return total


@pytest.mark.postgres
@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
def test_every_read_is_of_the_head_it_names_and_follows_the_writes(engine: str, tmp_path: Path) -> None:
    db = str(tmp_path / "s.db") if engine == "sqlite" else fresh_pg_database()
    rows = [Row(f"2000{i:02d}") for i in range(TABLES)]
    with Session(db, "admin") as admin:
        admin.intake.register_roll(write(tmp_path / "roll.csv", rows), "peru-2021-runoff")
        tokens = [admin.users.add(name, Role.CLERK).token for name in ("ana", "beto")]

    writes: list[tuple[int, dict[str, int]]] = []  # (the last event of each processed sheet, its votes)
    seen: list[tuple[str, httpx.Response]] = []
    done = threading.Event()

    def poll(server_url: str) -> None:
        with httpx.Client(base_url=server_url, timeout=30) as client:
            n = 0
            while not done.is_set():
                path = ("/api/v1/results", "/api/v1/results?level=department")[n % 2]
                seen.append((path, client.get(path)))
                n += 1

    with serving(db) as server:
        readers = [threading.Thread(target=poll, args=(server.url,)) for _ in range(3)]
        for reader in readers:
            reader.start()
        try:
            with server.client() as client:
                for i, row in enumerate(rows):
                    body, events = sheet(i), []
                    for token, key in zip(tokens, ("1", "2"), strict=True):
                        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": f"{row.table}:{key}"}
                        got = client.post(f"/api/v1/tables/{row.table}/entries", json=body, headers=headers)
                        assert got.status_code == 201, got.text
                        events = [r["event"] for r in got.json()["receipts"]]
                    assert got.json()["state"] == "processed"
                    writes.append((max(events), body["votes"]))
                    # Read your write: at_least names it, and the answer holds it.
                    mine = client.get("/api/v1/results", params={"at_least": max(events)})
                    assert named(mine) >= max(events) and mine.json()[0]["votes"] == expected(writes, named(mine))
                    time.sleep(0.02)
                # Without at_least: the next reads follow the log once the server's head moves.
                last = writes[-1][0]
                deadline = time.monotonic() + 10
                while named(latest := client.get("/api/v1/results")) < last and time.monotonic() < deadline:
                    time.sleep(0.02)
        finally:
            done.set()
            for reader in readers:
                reader.join()

    assert named(latest) >= last and latest.json()[0]["votes"] == expected(writes, last)
    assert len(seen) > 2 * TABLES  # the readers read all along
    heads = set()
    for path, got in seen:
        assert got.status_code == 200, got.text
        head = named(got)
        heads.add(head)
        if path == "/api/v1/results":
            nation = got.json()[0]
            assert nation["log"]["events"] == head  # the body names the head its ETag names
            assert nation["votes"] == expected(writes, head), (head, nation)
        else:
            (lima,) = [r for r in got.json() if r["area"] == "14"]
            assert lima["votes"] == expected(writes, head), (head, lima)
    assert len(heads) > 2  # the readers saw the figures move
