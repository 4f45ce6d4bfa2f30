"""PostgreSQL restarted (and crashed) under intake over HTTP: clients get a clear, retryable
503 naming the rule, never a traceback; the server recovers by itself (the same process goes
on); and after the clients resubmit with their Idempotency-Keys every sheet is counted once.

The test starts a PostgreSQL server of its own (as ``scripts/test`` does: the postgres user, a
free port, a temporary folder), never the shared one. Four clients key their share of the
first tables of the 2021 runoff twice (two clerks), over HTTP to one ``escrutinio serve``;
meanwhile the database server is restarted once cleanly (``-m fast``) and once as after a crash
(``-m immediate``: no shutdown checkpoint, recovery from the write-ahead log on start).
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.integration.api.server import serving
from tests.integration.intake_runs import assert_counted_once, entry_body, prepare
from tests.pg_servers import Server, create_database, start_server

TABLES = 120
CLIENTS = 4
RETRYABLE = {409, 503}

pytestmark = [pytest.mark.shared, pytest.mark.postgres, pytest.mark.slow]


@pytest.fixture
def server() -> Iterator[Server]:
    srv = start_server("escrutinio-intake-restart-")
    try:
        yield srv
    finally:
        srv.stop()


def test_postgresql_restarted_under_intake_loses_and_doubles_nothing(server: Server, tmp_path: Path) -> None:
    run = prepare(tmp_path, TABLES, create_database(server), create_database(server), 2 * CLIENTS)
    sheets, tokens = run.sheets, run.tokens

    statuses: Counter[int] = Counter()
    refusals: list[dict[str, Any]] = []
    answers: list[dict[str, Any]] = []
    done = Counter[str]()
    lock = threading.Lock()

    with serving(run.db) as running:

        def submit(http: httpx.Client, sheet: dict[str, Any], token: str, key: str) -> None:
            headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
            give_up = time.monotonic() + 300
            while time.monotonic() < give_up:
                # The HTTP server itself never goes away here: a dropped connection fails the test.
                got = http.post(f"/api/v1/tables/{sheet['table']}/entries", json=entry_body(sheet), headers=headers)
                with lock:
                    statuses[got.status_code] += 1
                if got.status_code in (200, 201):
                    with lock:
                        answers.append(got.json())
                        done["entries"] += 1
                    return
                with lock:
                    refusals.append({"status": got.status_code, **got.json()})
                assert got.status_code in RETRYABLE, got.text  # anything else is a bug: no 500, no 4xx refusal
                time.sleep(0.05)
            raise AssertionError(f"table {sheet['table']}: not accepted within 300 s")

        def client(i: int) -> None:
            with running.client() as http:
                for sheet in sheets[i::CLIENTS]:
                    submit(http, sheet, tokens[2 * i], f"{sheet['table']}:1")
                    submit(http, sheet, tokens[2 * i + 1], f"{sheet['table']}:2")

        failures: list[BaseException] = []

        def guarded(i: int) -> None:
            try:
                client(i)
            except BaseException as exc:
                failures.append(exc)

        threads = [threading.Thread(target=guarded, args=(i,)) for i in range(CLIENTS)]
        for t in threads:
            t.start()
        for mode, after in (("fast", 0.2), ("immediate", 0.5)):
            deadline = time.monotonic() + 120
            while done["entries"] < after * 2 * len(sheets) and time.monotonic() < deadline:
                time.sleep(0.02)
            server.ctl("-m", mode, "restart")  # the clients are still keying: load is on
        for t in threads:
            t.join()
        assert not failures, failures
        assert running.process.poll() is None  # the same server process went on: it recovered by itself
        health = httpx.get(f"{running.url}/api/v1/health", timeout=10)
        assert health.status_code == 200

    # Clear, retryable errors: a 503 naming the rule (and a 409 for a write that raced another).
    assert statuses[503] > 0, statuses
    clear = {(503, "store_unavailable", True), (409, "stale_state", True)}
    unclear = [r for r in refusals if (r["status"], r["error"].get("rule"), r["error"].get("retry")) not in clear]
    assert not unclear, unclear
    assert all("\n" not in r["error"]["message"] and "Traceback" not in r["error"]["message"] for r in refusals)
    assert_counted_once(run, answers)  # exactly once: two entries per table, the file's figures
