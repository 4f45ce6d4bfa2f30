"""``HEAD`` wherever ``GET`` is allowed (``api/head_method.py``), over a real server on loopback:
the GET's status and headers (ETag, Cache-Control, Content-Type, Content-Length), no body; a 304
to the ETag sent back; a stream's headers, then the end."""

from __future__ import annotations

import pytest
from tests.integration.api.server import Server

SAME = ("etag", "cache-control", "content-type", "content-length")


@pytest.mark.parametrize(
    "path", ["/api/v1/results", "/api/v1/status", "/api/v1/tables/000003", "/api/v1/results?format=csv", "/api/v1/health"]
)
def test_head_answers_the_gets_headers_without_its_body(server: Server, path: str) -> None:
    with server.client() as client:
        got = client.get(path)
        headed = client.head(path)
        again = client.head(path, headers={"If-None-Match": got.headers.get("etag", '"none"')})
    assert got.status_code == headed.status_code == 200, headed.text
    assert headed.content == b""
    assert {h: headed.headers.get(h) for h in SAME} == {h: got.headers.get(h) for h in SAME}
    assert int(headed.headers["content-length"]) == len(got.content) > 0
    if "etag" in got.headers:
        assert again.status_code == 304 and again.content == b""


def test_head_of_a_refused_read_is_its_refusal(server: Server) -> None:
    with server.client() as client:
        assert client.head("/api/v1/results?level=bogus").status_code == 422
        assert client.head("/api/v1/tables/999999").status_code == 404


def test_head_of_the_event_stream_ends_after_its_headers(server: Server) -> None:
    with server.client() as client:
        headed = client.head("/api/v1/events")
    assert headed.status_code == 200 and headed.headers["content-type"].startswith("text/event-stream")
    assert headed.content == b""


def test_the_document_names_a_head_beside_every_get(server: Server) -> None:
    """The OpenAPI document says what the server answers: ``HEAD`` wherever ``GET`` (no body in
    any of its answers), the GET's parameters and status codes."""
    with server.client() as client:
        paths = client.get("/openapi.json").json()["paths"]
    gets = {p: ops for p, ops in paths.items() if p.startswith("/api/v1/") and "get" in ops}
    assert len(gets) >= 15
    for path, operations in gets.items():
        head = operations.get("head")
        assert head is not None, path
        assert head.get("parameters", []) == operations["get"].get("parameters", []), path  # /health takes none
        assert set(head["responses"]) == set(operations["get"]["responses"]), path
        assert not any("content" in r for r in head["responses"].values()), path
    assert len({op["operationId"] for ops in paths.values() for op in ops.values()}) == sum(len(ops) for ops in paths.values())
