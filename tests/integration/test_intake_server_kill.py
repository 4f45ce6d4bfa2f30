"""The intake server SIGKILLed at random moments while clerks key sheets (PostgreSQL): it is
restarted, the clients resubmit with their keys, and no sheet is lost or counted twice.

Four clients each key their share of the first tables of the 2021 runoff twice (two clerks'
tokens), over HTTP, resubmitting any request that got no answer (a dropped connection, a 5xx
while the server was down) with the same Idempotency-Key. Meanwhile the server is killed with
SIGKILL several times and started again. At the end every table has exactly its two entries
and one processed sheet, and loading the file itself onto the keyed sheets in reject mode
succeeds (any figure that differed would refuse it): the results then equal the file's.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from tests.conftest import fresh_pg_database
from tests.integration.api.server import free_port
from tests.integration.intake_runs import assert_counted_once, entry_body, prepare

TABLES = 300
CLIENTS = 4
KILLS = 4

pytestmark = [pytest.mark.shared, pytest.mark.slow]


class Server:
    """``escrutinio serve`` on a fixed port, killed and started again at will."""

    def __init__(self, db: str) -> None:
        self.db, self.port = db, free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        command = [
            sys.executable,
            "-m",
            "escrutinio.cli",
            "--db",
            self.db,
            "serve",
            "--port",
            str(self.port),
            "--log-level",
            "critical",
        ]
        self.process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=dict(os.environ))
        for _ in range(600):
            try:
                if httpx.get(f"{self.url}/api/v1/health", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the server did not start")

    def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait()


def test_sigkill_during_intake_loses_and_doubles_nothing(tmp_path: Path) -> None:
    run = prepare(tmp_path, TABLES, fresh_pg_database(), fresh_pg_database(), 2 * CLIENTS)
    sheets, tokens = run.sheets, run.tokens
    server = Server(run.db)
    server.start()
    answers: list[dict[str, Any]] = []

    def submit(client: httpx.Client, sheet: dict[str, Any], token: str, key: str) -> None:
        body = entry_body(sheet)
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
        last, give_up = "no answer", time.monotonic() + 300
        while time.monotonic() < give_up:
            try:
                got = client.post(f"/api/v1/tables/{sheet['table']}/entries", json=body, headers=headers)
            except httpx.TransportError as exc:
                last = repr(exc)
                time.sleep(0.1)
                continue
            if got.status_code in (200, 201):
                answers.append(got.json())
                return
            assert got.status_code in (409, 500, 502, 503), got.text  # a refusal would be a bug here
            last = f"{got.status_code} {got.text}"
            time.sleep(0.1)
        raise AssertionError(f"table {sheet['table']}: no answer in 300 s (last: {last})")

    def client(i: int) -> None:
        with httpx.Client(base_url=server.url, timeout=30) as http:
            for sheet in sheets[i::CLIENTS]:
                submit(http, sheet, tokens[2 * i], f"{sheet['table']}:1")
                submit(http, sheet, tokens[2 * i + 1], f"{sheet['table']}:2")

    clients = [threading.Thread(target=client, args=(i,)) for i in range(CLIENTS)]
    for t in clients:
        t.start()
    rng = random.Random(2021)
    try:
        for _ in range(KILLS):
            time.sleep(rng.uniform(0.5, 3.0))
            server.kill()
            time.sleep(rng.uniform(0.0, 0.5))
            server.start()
        for t in clients:
            t.join()
    finally:
        server.kill()
    assert_counted_once(run, answers)
