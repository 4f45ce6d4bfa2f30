"""The OpenAPI document says what the server answers (``api/documented.py``), read from a real
server on loopback: every operation documents the API's one error shape for its errors (never
FastAPI's ``HTTPValidationError``, which the server never answers), a write its 401/403, and a
read's 200 the JSON it is (an array or an object) and its CSV. Schemathesis holds the server to
the document request by request (``test_api_schemathesis.py``); this says at once which
operation drifted."""

from __future__ import annotations

from typing import Any

import pytest
from tests.integration.api.server import Server

from escrutinio.api.errors import ERROR_SCHEMA


@pytest.fixture(scope="module")
def document(server: Server) -> dict[str, Any]:
    with server.client() as client:
        return dict(client.get("/openapi.json").json())


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [(m.upper(), p, op) for p, ops in document["paths"].items() if p.startswith("/api/v1/") for m, op in ops.items()]


def test_every_error_is_the_api_error_shape(document: dict[str, Any]) -> None:
    assert "HTTPValidationError" not in str(document)
    for method, path, operation in operations(document):
        errors = {code: r for code, r in operation["responses"].items() if int(code) >= 400}
        assert {"404", "409", "422", "503"} <= set(errors), (method, path, sorted(errors))
        for code, response in errors.items():
            assert response["content"]["application/json"]["schema"] == ERROR_SCHEMA, (method, path, code)


def test_writes_document_their_refusals(document: dict[str, Any]) -> None:
    writes = [(m, p, op) for m, p, op in operations(document) if m in ("POST", "PUT")]
    assert len(writes) >= 15
    for method, path, operation in writes:
        assert {"401", "403", "413"} <= set(operation["responses"]), (method, path)
    draft = document["paths"]["/api/v1/certificate/draft"]["get"]["responses"]  # authenticated, no body
    assert {"401", "403"} <= set(draft) and "413" not in draft
    assert "401" not in document["paths"]["/api/v1/results"]["get"]["responses"]  # a public read


@pytest.mark.parametrize(
    ("path", "shape"),
    [
        ("/api/v1/results", "array"),
        ("/api/v1/cases", "array"),
        ("/api/v1/status", "object"),
        ("/api/v1/contest", "object"),
        ("/api/v1/changes", "object"),
        ("/api/v1/stakes", "object"),
        ("/api/v1/tables/{table}", "object"),
        ("/api/v1/health", "object"),
        ("/api/v1/keys", "array"),
    ],
)
def test_a_read_documents_the_json_it_answers(document: dict[str, Any], server: Server, path: str, shape: str) -> None:
    ok = document["paths"][path]["get"]["responses"]["200"]["content"]
    assert ok["application/json"]["schema"]["type"] == shape, ok
    if "{" not in path and path not in ("/api/v1/health", "/api/v1/keys"):
        assert ok["text/csv"]["schema"]["type"] == "string"
        with server.client() as client:
            answered = client.get(path).json()
        assert isinstance(answered, list if shape == "array" else dict)
