"""PostgreSQL restarted in the middle of a write: one line saying nothing was written and to
retry, the store as it was, and the retry lands. The test starts (and restarts) a throwaway
server of its own, as scripts/test starts one: the shared server is never touched."""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import polars as pl
import pytest
from tests.onpe_sample import changed, sample_rows, write
from tests.pg_servers import Server, create_database, start_server

from escrutinio.domain.errors import StoreUnavailable
from escrutinio.formats.definition import load_definition
from escrutinio.ledger.pending import PendingEvent
from escrutinio.store.engine import WRITE_LOCK_KEY, resolve_url
from escrutinio.store.store import Store

pytestmark = [pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    srv = start_server("escrutinio-restart-")
    try:
        yield srv
    finally:
        srv.stop()


def test_a_restart_during_an_append_writes_nothing_and_the_retry_lands(server: Server) -> None:
    url = resolve_url(create_database(server))
    store = Store.create(url, load_definition("peru-2021-runoff")[1], "clerk")
    head = store.head()

    def restart_then(frame: pl.DataFrame) -> dict[str, object]:
        server.restart()  # inside the write transaction, after the write lock was taken
        return {"n": frame.height}

    midway = PendingEvent("test.noted", frame=pl.DataFrame({"x": [1]}), make=restart_then)
    with pytest.raises(StoreUnavailable) as refused:
        store.append([PendingEvent("test.noted", {"n": 0}), midway], "clerk", keys=["the-action"])
    assert (
        str(refused.value) == f"{url.replace('+psycopg', '')}: the server went away during the write; nothing was written; retry"
    )
    assert store.head() == head
    assert store.known_keys(["the-action"]) == {}
    written = store.append([PendingEvent("test.noted", {"n": 0})], "clerk", keys=["the-action"], expect_seq=head[0])
    assert written[0].seq == head[0] + 1
    store.close()


def test_the_cli_says_retry_when_the_server_goes_away_mid_write(server: Server, tmp_path: Path) -> None:
    """The test holds the write lock, so the CLI's load waits inside its write transaction;
    the server restarts under it."""
    import sqlalchemy as sa

    db = create_database(server)
    first = write(tmp_path / "first.csv")
    later = write(tmp_path / "later.csv", changed(sample_rows(), "000007", status="CONTABILIZADA"))
    cli = [sys.executable, "-m", "escrutinio.cli", "--db", db]
    assert subprocess.run([*cli, "load", str(first), "--election", "peru-2021-runoff"], capture_output=True).returncode == 0
    store = Store.open(resolve_url(db))
    head = store.head()
    engine = sa.create_engine(resolve_url(db))
    holder = engine.connect()
    holder.exec_driver_sql(f"SELECT pg_advisory_lock({WRITE_LOCK_KEY})")
    loading = subprocess.Popen([*cli, "load", str(later)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            waiting = holder.exec_driver_sql(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
            ).scalar()
            holder.commit()
            if waiting or loading.poll() is not None:
                break
            time.sleep(0.05)
        assert loading.poll() is None, loading.communicate()
        server.restart()
        out, err = loading.communicate(timeout=60)
    finally:
        if loading.poll() is None:
            loading.kill()
        holder.invalidate()
        engine.dispose()
    assert loading.returncode == 1, out + err
    assert err == f"error: {db}: the server went away during the write; nothing was written; retry\n"
    assert store.head() == head
    rerun = subprocess.run([*cli, "load", str(later)], capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert store.head()[0] > head[0]
    store.close()
