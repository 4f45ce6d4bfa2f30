"""``serve --read-db`` on a real PostgreSQL primary and streaming replica, both started by the test
on loopback (``pg_basebackup -R``), never the shared server: ``/health`` reports the replica's lag
in events and seconds; a read with ``?at_least=N`` never names a head older than N: while the
replica's replay is paused it waits, then the primary answers; a head no server holds is 409."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.integration.api.server import Server, serving
from tests.onpe_sample import sample_rows, write
from tests.pg_servers import Server as PgServer
from tests.pg_servers import as_postgres, create_database, start_replica, start_server

from escrutinio.app import Role, Session

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


def _sql(server: PgServer, sql: str) -> None:
    as_postgres([str(server.bin / "psql"), "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", "-c", sql])


@pytest.fixture(scope="module")
def centre(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, PgServer, str]]:
    """``serve`` on a primary with its replica for reads: (the API, the replica, a judge's token)."""
    primary = start_server("escrutinio-api-primary-")
    try:
        replica = start_replica(primary)
        try:
            url = create_database(primary)
            with Session(url, "admin") as admin:
                admin.count.load(write(tmp_path_factory.mktemp("replica") / "s.csv", sample_rows()), "peru-2021-runoff")
                token = admin.users.add("luis", Role.JUDGE, body="JEE").token
            with serving(url, "--read-db", replica.database_url(url.rsplit("/", 1)[1])) as server:
                yield server, replica, token
        finally:
            replica.stop()
    finally:
        primary.stop()


def caught_up(client: httpx.Client, timeout: float = 60) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        health = client.get("/api/v1/health").json()
        if health["replica"]["lag_events"] == 0 or time.monotonic() > deadline:
            return health


def own_motion(client: httpx.Client, token: str) -> int:
    """A write through the API; the last event it recorded, as its answer names it (what a
    client then asks ``at_least`` for, to read its own write)."""
    body = {"tables": ["000001"], "filer": "JEE", "kind": "own_motion", "grounds": "b"}
    got = client.post("/api/v1/cases", json=body, headers={"Authorization": f"Bearer {token}"})
    assert got.status_code == 201, got.text
    return max(int(r["event"]) for r in got.json()["receipts"])


def test_health_reports_the_lag_and_at_least_reads_never_go_back(centre: tuple[Server, PgServer, str]) -> None:
    server, replica, token = centre
    with server.client() as client:
        health = caught_up(client)
        assert health["replica"]["lag_events"] == 0 and health["replica"]["lag_seconds"] == 0
        assert health["events"] == health["replica"]["primary_events"] == health["replica"]["replica_events"]
        _sql(replica, "SELECT pg_wal_replay_pause()")
        try:
            written = max(own_motion(client, token) for _ in range(2))
            behind = client.get("/api/v1/health").json()
            assert behind["replica"]["lag_events"] >= 2, behind
            assert behind["replica"]["primary_events"] >= written > behind["replica"]["replica_events"] == behind["events"]
            assert behind["replica"]["lag_seconds"] is not None and behind["replica"]["lag_seconds"] >= 0
            stale = client.get("/api/v1/results").json()[0]["log"]["events"]
            assert stale < written  # the replica, as it stands, names its own (older) head
            started = time.monotonic()
            fresh = client.get("/api/v1/results", params={"at_least": str(written)})
            assert fresh.status_code == 200, fresh.text
            assert fresh.json()[0]["log"]["events"] >= written  # the primary answered, after the wait
            assert time.monotonic() - started >= 1.5
            listed = client.get("/api/v1/cases", params={"at_least": str(written)}).json()
            assert [c["filer"] for c in listed].count("JEE") == 2  # both writes, though the replica has neither
            assert client.get("/api/v1/results").json()[0]["log"]["events"] == stale  # the replica's answers stay its own
        finally:
            _sql(replica, "SELECT pg_wal_replay_resume()")
        assert caught_up(client)["replica"]["lag_events"] == 0
        again = client.get("/api/v1/results", params={"at_least": str(written)})
        assert again.json()[0]["log"]["events"] >= written
        ahead = client.get("/api/v1/results", params={"at_least": str(written + 1000)})
        assert ahead.status_code == 409, ahead.text
        assert ahead.json()["error"]["field"] == "at_least" and ahead.json()["error"]["rule"] == "not_recorded"
        bad = client.get("/api/v1/results", params={"at_least": "soon"})
        assert bad.status_code == 422 and bad.json()["error"]["field"] == "at_least"


def test_at_least_on_a_single_store(small_db: str, tmp_path: Path) -> None:
    """Without a replica the store holds every event: N it holds is served, N past its head is 409."""
    with Session(small_db) as s:
        events = int(s.log.head()["events"])
    with serving(small_db) as server, server.client() as client:
        assert client.get("/api/v1/status", params={"at_least": str(events)}).status_code == 200
        got = client.get("/api/v1/status", params={"at_least": str(events + 1)})
        assert got.status_code == 409 and got.json()["error"]["rule"] == "not_recorded"
        assert "replica" not in client.get("/api/v1/health").json()
