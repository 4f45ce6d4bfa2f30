"""The server's core over real HTTP: health names the store's head, every error is JSON naming
the field and the rule, and a body over the limit is refused with 413."""

from __future__ import annotations

from typing import Any

import httpx
from tests.integration.api.server import Server, serving

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
