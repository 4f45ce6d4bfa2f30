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
from tests.signers import registered_key

from escrutinio.app import Role, Session
from escrutinio.ledger.signing import save_private_key

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


def test_a_dead_server_process_is_replaced_and_the_others_serve_on(tmp_path: Path) -> None:
    """``kill -9`` of one of the processes (a server process, or the head signer beside them)
    took the whole port down (review10c #4): now the others answer all along and a new process
    takes its place; the server still stops as a whole on SIGTERM."""
    db = fresh_pg_database()
    with Session(db, "admin") as admin:
        admin.intake.register_roll(write(tmp_path / "a.csv"), "peru-2021-runoff")
        save_private_key(registered_key(admin, "administrator", "ONPE results centre"), tmp_path / "log.key")
    key = ["--log-key", str(tmp_path / "log.key"), "--sign-every", "0.2"]
    with serving(db, "--workers", "2", *key) as server:
        first = _children(server.process.pid)
        assert len(first) == 3  # two server processes and the signer
        for victim in first:
            os.kill(victim, 9)
            deadline = time.monotonic() + 30
            while True:
                # Each request on a connection of its own (the kernel hands new connections to the
                # processes alive): none fails while one process is dead and the other serves.
                assert httpx.get(f"{server.url}/api/v1/health", timeout=30).status_code == 200
                now = _children(server.process.pid)
                if victim not in now and len([p for p in now if _alive(p)]) == 3:
                    break
                assert time.monotonic() < deadline, now
                time.sleep(0.1)
        last = _children(server.process.pid)
        assert not set(last) & set(first)
        with Session(db) as session:  # the signer that took the killed one's place signs on
            before = len(session.transparency.heads())
            with Session(db, "admin") as admin:  # the log moves: a new head to sign
                admin.cases.file(tables=["000001"], filer="FP", grounds="b", fee_receipt="R-w")
            deadline = time.monotonic() + 30
            while len(session.transparency.heads()) == before:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        server.process.terminate()
        assert server.process.wait(30) == 0
    assert not any(_alive(pid) for pid in last)


def test_sqlite_is_served_by_one_process(tmp_path: Path) -> None:
    command = [sys.executable, "-m", "escrutinio.cli", "--db", str(tmp_path / "s.db"), "serve", "--workers", "2"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120, env=dict(os.environ))
    assert done.returncode != 0
    assert done.stderr.strip().splitlines() == [
        "error: --workers: an SQLite store has one writer at a time; serve it with one process (or use PostgreSQL)"
    ]
