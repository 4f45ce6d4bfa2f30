"""``serve --workers N`` on PostgreSQL: N processes on one port, each with its own group commit,
take entries from many clerks at once; the log stays one chain, every sheet is counted once,
and nothing outlives the server. On SQLite it is refused in one line."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from tests.conftest import fresh_pg_database
from tests.integration.api.server import serving
from tests.onpe_sample import write

from escrutinio.app import Role, Session

pytestmark = pytest.mark.postgres

ENTRY = {"votes": {"PL": 115, "FP": 87}, "blank": 0, "null": 18, "challenged": 0, "cast": 220}
LIMA = ["000001", "000002", "000003", "000007", "000010"]
"""Tables of area 14 in the sample roll (their figures need not be the file's: both clerks agree)."""


def _children(pid: int) -> list[int]:
    found = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in found.read_text().split()] if found.exists() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return not (stat.exists() and stat.read_text().rsplit(")", 1)[1].split()[0] == "Z")


def test_two_processes_take_double_entries_into_one_chain(tmp_path: Path) -> None:
    db = fresh_pg_database()
    with Session(db, "admin") as admin:
        admin.intake.register_roll(write(tmp_path / "a.csv"), "peru-2021-runoff")
        tokens = [admin.users.add(f"clerk{i}", Role.CLERK, area="14").token for i in range(4)]
        start = admin.store.head()[0]

    def key(client: httpx.Client, table: str, clerk: int) -> int:
        headers = {"Authorization": f"Bearer {tokens[clerk]}", "Idempotency-Key": f"{table}:{clerk}"}
        return client.post(f"/api/v1/tables/{table}/entries", json=ENTRY, headers=headers).status_code

    with serving(db, "--workers", "2") as server:
        workers = _children(server.process.pid)
        assert len(workers) == 2
        # Each entry on a connection of its own: the kernel hands the connections to both processes.
        jobs = [(t, c) for i, t in enumerate(LIMA) for c in (i % 2, 2 + i % 2)]
        with ThreadPoolExecutor(8) as pool:
            codes = list(pool.map(lambda job: key(httpx.Client(base_url=server.url, timeout=60), *job), jobs))
        assert codes == [201] * len(jobs)
        with server.client() as client:  # the same keys again, on any process: already done
            assert [key(client, t, c) for t, c in jobs] == [200] * len(jobs)
    assert all(not _alive(pid) for pid in workers)  # stopped with the server
    with Session(db) as session:
        assert session.store.head()[0] == start + 2 * len(LIMA) + len(LIMA)  # two entries and a sheet a table
        assert session.count.results(None, "14")[0]["tables"]["counted"] >= len(LIMA)
        log = tmp_path / "log.jsonl"
        session.log.export(log)
        assert session.log.verify(log).ok


def test_a_killed_server_leaves_no_process_on_its_port(tmp_path: Path) -> None:
    db = fresh_pg_database()
    with Session(db, "admin") as admin:
        admin.intake.register_roll(write(tmp_path / "a.csv"), "peru-2021-runoff")
    with serving(db, "--workers", "2") as server:
        workers = _children(server.process.pid)
        assert len(workers) == 2
        server.process.kill()  # SIGKILL: the server cannot stop them itself
        server.process.wait()
        deadline = time.monotonic() + 30
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not any(_alive(pid) for pid in workers)
        with pytest.raises(httpx.TransportError):
            httpx.get(f"{server.url}/api/v1/health", timeout=5)


def test_sqlite_is_served_by_one_process(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "escrutinio.cli", "--db", str(tmp_path / "s.db"), "serve", "--workers", "2"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "error: --workers: an SQLite store has one writer at a time; serve it with one process (or use PostgreSQL)"
    ]
