"""``serve --read-db`` when the read store is not what it should be, on a real PostgreSQL primary
and streaming replicas started by the test on loopback (never the shared server):

- a ``--read-db`` that is not a streaming replica of ``--db`` (another database, a database of
  the primary itself, an SQLite primary) is refused at start in one line naming ``--read-db``;
- a replica that stops being one (promoted) is no longer read: ``/health`` says so, not "ok",
  and public reads go to the primary;
- a replica that goes away is left for the primary within a second (a read meanwhile is a
  retryable 503, never a 500), and read again once it is back; no body names the database's address;
- an idle replica that has replayed everything is 0 seconds behind; a paused one, by the age of
  the oldest event it has not replayed;
- the server's banner never shows the database's password.
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from tests.integration.api.server import free_port, serving
from tests.onpe_sample import sample_rows, write
from tests.pg_servers import Server, as_postgres, create_database, start_replica, start_server

from escrutinio.app import Session

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def primary(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, str, str]]:
    """A primary holding two stores: (the server, the store served, another store)."""
    server = start_server("escrutinio-faults-primary-")
    try:
        folder = tmp_path_factory.mktemp("faults")
        url, other = create_database(server), create_database(server)
        with Session(url, "admin") as admin:
            admin.count.load(write(folder / "s.csv", sample_rows()), "peru-2021-runoff")
        with Session(other, "admin") as admin:
            admin.count.load(write(folder / "o.csv", sample_rows()[:4]), "peru-2021-runoff")
        yield server, url, other
    finally:
        server.stop()


@pytest.fixture
def replica(primary: tuple[Server, str, str]) -> Iterator[Server]:
    server = start_replica(primary[0])
    try:
        yield server
    finally:
        with contextlib.suppress(subprocess.CalledProcessError):  # stopped by the test already
            server.stop()


def _copy(replica: Server, url: str) -> str:
    return replica.database_url(url.rsplit("/", 1)[1])


def _caught_up(session: Session, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if session.replica.lag().lag_events == 0:
                return
        except Exception:  # the database not yet replayed on the replica
            pass
        time.sleep(0.1)


def _sql(server: Server, sql: str) -> None:
    as_postgres([str(server.bin / "psql"), "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", "-c", sql])


def _serve(db: str, read_db: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "escrutinio.cli", "--db", db, "serve", "--read-db", read_db, "--port", str(free_port())]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=dict(os.environ))


def test_a_read_db_that_is_not_a_replica_of_db_is_refused_at_start(
    primary: tuple[Server, str, str], replica: Server, tmp_path: Path
) -> None:
    _server, url, other = primary
    _caught_up(Session(url, read_db=_copy(replica, url)))
    desk = str(tmp_path / "desk.db")
    Session(desk).count.load(write(tmp_path / "d.csv", sample_rows()), "peru-2021-runoff")
    cases = [
        ((url, other), "is not a replica of the primary"),  # a database of the primary itself
        ((url, _copy(replica, other)), "holds another log than the primary's store"),  # the replica's other store
        ((desk, _copy(replica, url)), "a streaming replica needs a PostgreSQL primary"),
    ]
    for (db, read_db), why in cases:
        done = _serve(db, read_db)
        lines = done.stderr.strip().splitlines()
        assert done.returncode == 1 and len(lines) == 1, done.stderr
        assert lines[0].startswith("error: --read-db: ") and why in lines[0], lines[0]


def test_a_replica_still_replaying_the_store_is_retried_not_refused(
    primary: tuple[Server, str, str], replica: Server, tmp_path: Path
) -> None:
    """Its database there, the store's tables not replayed yet (replay paused): retry
    (``StoreUnavailable``, what serve says and serves on), not "holds no escrutinio store"."""
    from escrutinio.app import StoreUnavailable
    from escrutinio.store.reader import Reader

    url = create_database(primary[0])
    copy = _copy(replica, url)
    deadline = time.monotonic() + 120
    while True:  # the new database replayed on the replica
        try:
            Reader(copy).rows("SELECT 1")
            break
        except StoreUnavailable:
            assert time.monotonic() < deadline
            time.sleep(0.1)
    _sql(replica, "SELECT pg_wal_replay_pause()")
    try:
        Session(url).count.load(write(tmp_path / "s.csv", sample_rows()), "peru-2021-runoff")
        with pytest.raises(StoreUnavailable, match="has not replayed the primary's store yet; retry"):
            Session(url, read_db=copy).replica.lag()
    finally:
        _sql(replica, "SELECT pg_wal_replay_resume()")
    session = Session(url, read_db=copy)
    _caught_up(session)
    assert session.replica.lag().lag_events == 0


def test_an_idle_replica_that_has_replayed_everything_is_not_behind(primary: tuple[Server, str, str], replica: Server) -> None:
    _server, url, _other = primary
    session = Session(url, read_db=_copy(replica, url))
    _caught_up(session)
    session.cases.file(tables=["000001"], filer="FP", grounds="b", fee_receipt="R-idle")  # a transaction to replay
    _caught_up(session)
    time.sleep(1.5)  # nothing written meanwhile: the last replayed transaction grows old
    lag = session.replica.lag()
    assert lag.lag_events == 0 and lag.lag_bytes == 0, lag
    assert lag.lag_seconds == 0 and lag.replayed_ago_seconds is not None and lag.replayed_ago_seconds > 0


def _reaches(client: Any, path: str, events: int, timeout: float = 10) -> dict[str, Any]:
    """The JSON of ``path`` once it names ``events`` (polled: the server looks at its replica once
    a second); fails if it never does within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        got = client.get(path)
        body = got.json() if got.status_code == 200 else {}
        row = body[0] if isinstance(body, list) and body else body  # results: the national row names the head
        named = row.get("events", row.get("log", {}).get("events")) if isinstance(row, dict) else None
        if named == events:
            return dict(row)
        assert time.monotonic() < deadline, (path, got.status_code, named, events)
        time.sleep(0.2)


def test_a_paused_replica_is_behind_by_the_age_of_its_oldest_unreplayed_event(
    primary: tuple[Server, str, str], replica: Server
) -> None:
    """Not by the time since it last replayed: after a quiet spell, a write one second old
    was said to be as far behind as the spell was long, and a replica that had replayed no
    transaction yet had no lag in seconds at all (review10c #15)."""
    _server, url, _other = primary
    session = Session(url, read_db=_copy(replica, url))
    _caught_up(session)
    _sql(replica, "SELECT pg_wal_replay_pause()")
    try:
        time.sleep(3.0)  # quiet: nothing written, nothing to replay
        session.cases.file(tables=["000003"], filer="FP", grounds="b", fee_receipt="R-paused")
        time.sleep(1.0)
        lag = session.replica.lag()
    finally:
        _sql(replica, "SELECT pg_wal_replay_resume()")
    assert lag.lag_events >= 1, lag
    assert lag.lag_seconds is not None and 0.9 <= lag.lag_seconds < 2.5, lag  # was None, or 4 s and more


def test_a_promoted_replica_is_no_longer_read(primary: tuple[Server, str, str], replica: Server) -> None:
    """Without anyone asking ``/health``: the answers kept for the polled reads (computed before
    the promotion, from the replica) follow the primary's head. They stayed at the head the
    replica had when it parted, computed again and again from it (review10c #1)."""
    _server, url, _other = primary
    _caught_up(Session(url, read_db=_copy(replica, url)))
    with serving(url, "--read-db", _copy(replica, url)) as server, server.client() as client:
        for _ in range(3):  # asked for more than once: kept and kept fresh (``api.hot``)
            before = client.get("/api/v1/status").json()["events"]
            assert client.get("/api/v1/results").json()[0]["log"]["events"] == before
        replica.ctl("promote")
        with Session(url, "admin") as admin:  # written on the primary alone, now that they part
            admin.cases.file(tables=["000001"], filer="FP", grounds="b", fee_receipt="R-after-promotion")
            events = admin.reader.head()[0]
        assert events > before
        _reaches(client, "/api/v1/status", events)  # the primary answers now
        _reaches(client, "/api/v1/results", events)
        health = client.get("/api/v1/health").json()
        assert health["status"] == "replica_refused" and "is not a replica of the primary" in health["replica"]["problem"], health
        assert health["events"] == events


def test_a_replica_that_goes_away_is_left_for_the_primary_until_it_is_back(
    primary: tuple[Server, str, str], replica: Server
) -> None:
    """Reads answered while it is gone are a retryable 503 for a moment at most (never a 500,
    never the database's address), then the primary's; ``/health`` says ``replica_unavailable``
    with the primary's head (it was a 503 as a whole); once the replica is back, it is read again."""
    _server, url, _other = primary
    _caught_up(Session(url, read_db=_copy(replica, url)))
    number = Session(url).cases.listing()[0]["number"]
    name = url.rsplit("/", 1)[1]
    paths = ["/api/v1/cases", f"/api/v1/cases/{number}", "/api/v1/tables/000001", "/api/v1/status"]
    with serving(url, "--read-db", _copy(replica, url)) as server, server.client() as client:
        for path in paths:  # warmed up
            assert client.get(path).status_code == 200, path
        replica.ctl("-m", "fast", "stop")
        with Session(url, "admin") as admin:  # the primary moves on meanwhile
            admin.cases.file(tables=["000002"], filer="FP", grounds="b", fee_receipt="R-replica-gone")
            events = admin.reader.head()[0]
        deadline = time.monotonic() + 10
        for path in [*paths, "/api/v1/tables/000003", "/api/v1/results?level=district", f"/api/v1/status?at_least={events}"]:
            while True:
                got = client.get(path)
                assert got.status_code in (200, 503), (path, got.status_code, got.text)
                assert name not in got.text and str(replica.port) not in got.text and "postgres" not in got.text, got.text
                if got.status_code == 200:
                    break
                error = got.json()["error"]
                assert error["rule"] == "store_unavailable" and error["retry"] is True, got.text
                assert time.monotonic() < deadline, path
                time.sleep(0.2)
        assert _reaches(client, "/api/v1/status", events)
        health = client.get("/api/v1/health")
        assert health.status_code == 200 and health.json()["status"] == "replica_unavailable", health.text
        assert health.json()["events"] == events and name not in health.text and "postgres" not in health.text
        replica.ctl("start")
        deadline = time.monotonic() + 60
        # "ok" comes once the replica answers within the lag allowed, which may be before it has
        # replayed the last events: wait for both, then it holds every event the primary wrote.
        while (health := client.get("/api/v1/health").json())["status"] != "ok" or (
            health["replica"]["replica_events"] != events
        ):
            assert time.monotonic() < deadline, health
            time.sleep(0.2)
        assert health["status"] == "ok" and health["replica"]["replica_events"] == events


def test_the_banner_never_shows_the_password(primary: tuple[Server, str, str]) -> None:
    server, url, _other = primary
    secret = url.replace("postgresql://postgres@", "postgresql://postgres:S3cretPW@")  # trust: any password is taken
    port = free_port()
    command = [sys.executable, "-m", "escrutinio.cli", "--db", secret, "serve", "--port", str(port)]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True, env=dict(os.environ))
    try:
        assert process.stderr is not None
        err = process.stderr.readline()  # the banner, printed once the store is checked
    finally:
        process.terminate()
        err += process.communicate(timeout=30)[1]
    assert f"serving postgresql://postgres:***@127.0.0.1:{server.port}/" in err, err
    assert "S3cretPW" not in err
