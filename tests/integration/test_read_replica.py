"""Public reads from a real PostgreSQL streaming replica, writes to its primary: both started
by the test on loopback (``pg_basebackup -R``), never the shared server. A write on the
primary is read on the replica once replayed; the lag is reported in events and WAL bytes;
no read names a head older than the one the client asked for, nor figures older than the
head it names."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.onpe_sample import sample_rows, write
from tests.pg_servers import Server, as_postgres, create_database, start_replica, start_server

from escrutinio.app import Session
from escrutinio.domain.errors import EscrutinioError

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def cluster() -> Iterator[tuple[Server, Server]]:
    primary = start_server("escrutinio-primary-")
    try:
        replica = start_replica(primary)
        try:
            yield primary, replica
        finally:
            replica.stop()
    finally:
        primary.stop()


@pytest.fixture
def store(cluster: tuple[Server, Server], tmp_path: Path) -> tuple[str, str]:
    """A store on the primary, the sample loaded; (primary URL, the same database on the replica)."""
    primary, replica = cluster
    url = create_database(primary)
    Session(url).count.load(write(tmp_path / "sample.csv", sample_rows()), "peru-2021-runoff")
    copy = replica.database_url(url.rsplit("/", 1)[1])
    _replayed(copy)
    return url, copy


def _replayed(replica_url: str, timeout: float = 60) -> None:
    """Wait until the replica has replayed the new database and its schema: the tests are about
    a store's reads, not about how soon a CREATE DATABASE reaches a replica (on a quiet machine
    a test could otherwise open the replica's copy before it exists)."""
    from escrutinio.store.reader import Reader

    deadline = time.monotonic() + timeout
    while True:
        reader = Reader(replica_url)
        try:
            reader.revision()
            return
        except EscrutinioError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.05)
        finally:
            reader.close()


def _caught_up(session: Session, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while session.replica.lag().lag_events and time.monotonic() < deadline:
        time.sleep(0.05)


def test_a_write_on_the_primary_is_read_on_the_replica_once_replayed(store: tuple[str, str]) -> None:
    primary_url, replica_url = store
    session = Session(primary_url, read_db=replica_url)
    _caught_up(session)
    before = session.count.results()[0]
    session.cases.file(tables=["000001"], filer="FP", grounds="b", fee_receipt="R-1")
    head = session.reader.head()
    read = session.replica.reads(at_least=head[0], wait=60)  # a loaded test machine may replay slowly
    assert read.server == "replica" and read.events >= head[0]
    assert read.session.url.endswith(replica_url.rsplit("/", 1)[1]) and read.session.url != session.url
    assert read.session.reader.head() == head
    assert read.session.cases.listing() == session.cases.listing()
    assert read.session.count.results()[0]["log"]["events"] == head[0] > before["log"]["events"]
    with pytest.raises(EscrutinioError):  # the replica reads only
        read.session.cases.file(tables=["000002"], filer="FP", grounds="b", fee_receipt="R-2")
    assert session.reader.head() == head
    read.session.close()


def test_the_lag_is_reported_in_events_and_bytes(cluster: tuple[Server, Server], store: tuple[str, str]) -> None:
    """Replay paused on the replica: writes on the primary show as lag, and a read that needs
    them goes to the primary after the wait; replay resumed, the lag is gone."""
    _primary, replica = cluster
    primary_url, replica_url = store
    session = Session(primary_url, read_db=replica_url)
    _caught_up(session)
    assert session.replica.lag().lag_events == 0
    _sql(replica, "SELECT pg_wal_replay_pause()")
    try:
        for i in range(3):
            session.cases.file(tables=["000001"], filer="FP", grounds="b", fee_receipt=f"R-{i}")
        lag = session.replica.lag()
        head = session.reader.head()
        assert (lag.primary_events, lag.primary_head) == head
        assert lag.lag_events == head[0] - lag.replica_events >= 3
        assert lag.lag_bytes is not None and lag.lag_bytes > 0
        stale = session.replica.reads()  # nothing asked: the replica as it stands, naming its own head
        assert stale.server == "replica" and stale.session.count.results()[0]["log"]["events"] == lag.replica_events
        started = time.monotonic()
        fresh = session.replica.reads(at_least=head[0], wait=0.3)
        assert fresh.server == "primary" and time.monotonic() - started >= 0.3
        assert fresh.session.count.results()[0]["log"]["events"] == head[0]
    finally:
        _sql(replica, "SELECT pg_wal_replay_resume()")
    _caught_up(session)
    lag = session.replica.lag()
    assert lag.lag_events == 0 and (lag.replica_events, lag.replica_head) == session.reader.head()


def test_no_read_names_a_head_older_than_asked_while_writes_go_on(store: tuple[str, str]) -> None:
    """A writer files cases on the primary; readers ask the replica for the head they last saw
    and check that each result names at least that head and holds every case up to it."""
    primary_url, replica_url = store
    session = Session(primary_url, read_db=replica_url)
    _caught_up(session)
    done = threading.Event()
    problems: list[str] = []

    def writer() -> None:
        writing = Session(primary_url)
        for i in range(15):
            writing.cases.file(tables=["000001"], filer="FP", grounds="b", fee_receipt=f"W-{i}")
        done.set()

    def reader() -> None:
        mine = Session(primary_url, read_db=replica_url)
        seen = 0
        while not done.is_set():
            known = len(mine.cases.listing())  # what the client has seen on the primary ...
            asked = mine.reader.head()[0]  # ... at this head or before
            mine.close()
            read = mine.replica.reads(at_least=asked, wait=1.0)
            named = read.session.count.results()[0]["log"]["events"]
            cases = len(read.session.cases.listing())
            read.session.close()
            if named < asked or named < seen:
                problems.append(f"asked {asked}, saw {seen}, got a result naming {named} from the {read.server}")
            if cases < known:
                problems.append(f"the {read.server} at head {named} lists {cases} cases; {known} were known at {asked}")
            seen = max(seen, named)

    threads = [threading.Thread(target=writer), *(threading.Thread(target=reader) for _ in range(2))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=300)
    assert not problems, problems[:3]


def test_a_replica_must_be_a_postgresql_replica(store: tuple[str, str], tmp_path: Path) -> None:
    primary_url, _replica_url = store
    with pytest.raises(EscrutinioError, match="read_db: a read replica is a PostgreSQL server"):
        Session(primary_url, read_db=str(tmp_path / "x.db")).replica.reads()
    with pytest.raises(EscrutinioError, match="is not a replica of the primary"):
        Session(primary_url, read_db=primary_url).replica.lag()
    with pytest.raises(EscrutinioError, match="this session has no read replica"):
        Session(primary_url).replica.lag()


def _sql(server: Server, sql: str) -> None:
    as_postgres([str(server.bin / "psql"), "-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres", "-c", sql])
