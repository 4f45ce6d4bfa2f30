"""``serve --log-key``: the server signs the log's head as it starts and then periodically, so
heads follow the count without anyone running ``head sign``; a key that may not sign heads
stops it before it serves, in one line."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

from tests.integration.api.server import serving
from tests.onpe_sample import write
from tests.signers import registered_key

from escrutinio.app import Session
from escrutinio.ledger.pending import PendingEvent
from escrutinio.ledger.signing import save_private_key


def test_the_server_signs_heads_periodically_with_the_log_key(tmp_path: Path) -> None:
    db = str(tmp_path / "a.db")
    with Session(db) as session:
        session.count.load(write(tmp_path / "a.csv"), "peru-2021-runoff")
        save_private_key(registered_key(session, "administrator", "ONPE results centre"), tmp_path / "log.key")
        save_private_key(registered_key(session, "judge", "JEE Lima Centro"), tmp_path / "judge.key")
        started = session.store.head()[0]
    with serving(db, "--log-key", str(tmp_path / "log.key"), "--sign-every", "0.5") as server, server.client() as client:
        assert [h["size"] for h in client.get("/api/v1/heads").json()] == [started]  # signed as it starts
        with Session(db) as session:
            session.store.append([PendingEvent("note", {"n": 1})], "clerk")
        deadline = time.monotonic() + 60
        while client.get("/api/v1/heads/latest").json()["size"] == started and time.monotonic() < deadline:
            time.sleep(0.2)
        assert client.get("/api/v1/heads/latest").json()["size"] == started + 1
        time.sleep(1.5)  # nothing new: no new head
        assert [h["size"] for h in client.get("/api/v1/heads").json()] == [started, started + 1]
    with Session(db) as session:
        assert session.transparency.check().final_size == started + 1

    refused = subprocess.run(
        [sys.executable, "-m", "escrutinio.cli", "--db", db, "serve", "--port", "0", "--log-key", str(tmp_path / "judge.key")],
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert refused.returncode == 1 and refused.stderr.count("\n") == 1, refused.stderr
    assert "a tree_head is made by the administrator" in refused.stderr
