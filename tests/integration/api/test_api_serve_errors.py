"""``serve`` refused before it serves: a port another server holds, or a host that is no address
of this machine, is one line naming ``--port`` or ``--host``, exit status 1 (JSON with ``--errors
json``), and no banner; it was Uvicorn's multi-line log after the banner, exit status 3."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest
from tests.onpe_sample import write

from escrutinio.app import Session


@pytest.fixture(scope="module")
def desk(tmp_path_factory: pytest.TempPathFactory) -> str:
    folder = tmp_path_factory.mktemp("serve-errors")
    db = str(folder / "desk.db")
    with Session(db, "admin") as admin:
        admin.intake.register_roll(write(Path(folder) / "a.csv"), "peru-2021-runoff")
    return db


def _serve(db: str, *args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "escrutinio.cli", *args[:2], "--db", db, "serve", *args[2:]]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, env=dict(os.environ))


def test_a_port_taken_is_one_line_naming_port(desk: str) -> None:
    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = str(taken.getsockname()[1])
        done = _serve(desk, "--errors", "text", "--port", port)
        assert done.returncode == 1, done
        assert done.stderr.splitlines() == [
            f"error: --port: cannot listen on 127.0.0.1:{port} (Address already in use); "
            "another server listens there: stop it or choose another --port"
        ]
        done = _serve(desk, "--errors", "json", "--port", port)
        assert done.returncode == 1, done
        error = json.loads(done.stderr)["error"]
        assert error["field"] == "port" and error["message"].startswith("--port: cannot listen"), error


@pytest.mark.parametrize(
    ("host", "why"),
    [("999.1.1.1", "'999.1.1.1' is not an address to listen on"), ("10.255.255.254", "is not an address of this machine")],
)
def test_a_host_that_cannot_be_listened_on_is_one_line_naming_host(desk: str, host: str, why: str) -> None:
    done = _serve(desk, "--errors", "text", "--host", host, "--port", "0")
    assert done.returncode == 1, done
    lines = done.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: --host: ") and why in lines[0], lines
