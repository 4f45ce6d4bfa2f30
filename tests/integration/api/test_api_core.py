"""The server's core over real HTTP: health names the store's head, every error is JSON naming
the field and the rule, and a body over the limit is refused with 413."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
from tests.integration.api.server import Server, free_port, serving
from tests.onpe_sample import Row, write

from escrutinio.app import Session


def error_of(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json"), response.text
    error = response.json()["error"]
    assert set(error) >= {"field", "rule", "message"}, error
    return error


def test_health_names_the_store_head(server: Server, small_db: str) -> None:
    with Session(small_db) as session:
        head = session.log.head()
    with server.client() as client:
        got = client.get("/api/v1/health")
    assert got.status_code == 200
    assert got.json() == {"status": "ok", **head}
    assert head["events"] > 0


def test_unknown_path_is_json_404(server: Server) -> None:
    with server.client() as client:
        got = client.get("/api/v1/no-such-thing")
    assert got.status_code == 404
    assert error_of(got)["rule"] == "not_found"


def test_body_over_the_limit_is_413(small_db: str) -> None:
    with serving(small_db, "--max-body", "1000") as server, server.client() as client:
        declared = client.post("/api/v1/health", content=b"x" * 5000)
        assert declared.status_code == 413
        assert error_of(declared) == {
            "field": "body",
            "rule": "too_large",
            "message": "body: the body declares 5000 bytes; at most 1000 bytes are accepted",
        }

        small = client.get("/api/v1/health")
        assert small.status_code == 200


def test_unknown_query_parameters_are_refused(server: Server) -> None:
    """A typo (``levl``) is not ignored: it would answer another question than the one asked."""
    with server.client() as client:
        got = client.get("/api/v1/results", params={"levl": "department"})
        bare = client.get("/api/v1/health", params={"x": "1"})
    assert got.status_code == 422
    assert error_of(got) == {
        "field": "levl",
        "rule": "unknown_parameter",
        "message": "levl: not a parameter of this request (it takes area, at_least, format, level)",
    }
    assert bare.status_code == 422 and error_of(bare)["field"] == "x"


def test_a_repeated_query_parameter_is_refused(server: Server) -> None:
    """``?level=department&level=district`` is not answered with the last one (districts): the
    client may have meant either (every route refuses it alike: ``test_api_reads``)."""
    with server.client() as client:
        got = client.get("/api/v1/results?level=department&level=district")
        once = client.get("/api/v1/results?level=department")
    assert error_of(got) == {
        "field": "level",
        "rule": "repeated",
        "message": "level: sent 2 times ('department', 'district'); send it once",
    }
    assert got.status_code == 422 and once.status_code == 200


def test_a_read_store_that_is_not_a_replica_is_refused_at_start(small_db: str, tmp_path: Path) -> None:
    """``--read-db`` is a streaming replica of ``--db`` (``test_api_replica.py``: the public's
    reads come from it). Another store (here an SQLite copy of another record) was served, its
    figures in place of the primary's: it is refused at start, in one line naming ``--read-db``."""
    replica = str(tmp_path / "replica.db")
    with Session(replica) as session:
        session.count.load(write(tmp_path / "one.csv", [Row("000001")]), "peru-2021-runoff")
    port = str(free_port())
    command = [sys.executable, "-m", "escrutinio.cli", "--db", small_db, "serve", "--read-db", replica, "--port", port]
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    lines = done.stderr.strip().splitlines()
    assert done.returncode == 1 and len(lines) == 1 and lines[0].startswith("error: --read-db: "), done.stderr
