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
        if method == "HEAD":
            continue  # its GET's answers without their bodies (test_api_head_method)
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


STILL_REFUSED = {
    ("GET /api/v1/results", "level"): "a level is the election's word: the document cannot list every election's",
    ("GET /api/v1/results", "area"): "an area code of no area (422, as /cases says: the code is the bad input)",
    ("GET /api/v1/cases", "area"): "an area code of no area (422, as /cases says: the code is the bad input)",
    ("GET /api/v1/proofs/consistency", "first"): "a tree size past the log's (first, second: the pair is refused)",
    **{
        (f"GET /api/v1/{path}", name): "an id the server takes stripped, printable, no spaces inside, up to 64: a pattern "
        "saying so would refuse the padded ids it takes (documented: not blank, api/documented.NAMED)"
        for path, name in [
            ("cases", "table"),
            ("cases", "filer"),
            ("cases", "rule"),
            ("cases/{number}", "number"),
            ("tables/{table}", "table"),
            ("tables/{table}/entries", "table"),
        ]
    },
}
"""The parameters of a read whose valid-looking values the server may still refuse, and why:
each depends on the store's content, which a document written for every store cannot state."""


@pytest.mark.parametrize(
    ("path", "name"),
    [
        ("/api/v1/cases", "filer"),
        ("/api/v1/cases", "rule"),
        ("/api/v1/cases", "table"),
        ("/api/v1/cases", "area"),
        ("/api/v1/results", "area"),
        ("/api/v1/cases/{number}", "number"),
        ("/api/v1/tables/{table}", "table"),
    ],
)
def test_an_id_s_rules_are_documented(document: dict[str, Any], server: Server, path: str, name: str) -> None:
    """An id or code (``parsing.parse_code``): the document says it is not blank, as the server
    refuses it, so a client drawing from the document is not refused for a blank one it called
    valid (ST202: ``?filer=``, ``?rule=``, ``?area=`` were); what the document calls invalid,
    the server refuses (ST201)."""
    import jsonschema

    (schema,) = [p["schema"] for p in document["paths"][path]["get"]["parameters"] if p["name"] == name]
    schema = schema.get("anyOf", [schema])[0]  # an optional query parameter: the string, or null
    for bad in ["", " ", "\t\n"]:
        assert not jsonschema.Draft202012Validator(schema).is_valid(bad), (name, bad, schema)
        if "{" not in path:  # and the server refuses it (a path's own refusals come from the router too)
            with server.client() as client:
                got = client.get(path, params={name: bad})
            assert got.status_code == 422 and got.json()["error"]["field"] == name, (name, bad, got.text)
    for good in ["NUL-000001", " 052235 "]:  # the server strips an id: padded, it is taken
        assert jsonschema.Draft202012Validator(schema).is_valid(good)


def test_a_read_the_document_calls_valid_is_accepted(server: Server) -> None:
    """Schemathesis's ``positive_data_acceptance`` (ST202) over every read: a query the document
    calls valid is answered (2xx, 304, 404, 409), not refused as malformed; ``?at_least=`` was
    documented as any string and refused as no event number on 22 reads."""
    import schemathesis
    from hypothesis import HealthCheck, given, settings
    from schemathesis.checks import positive_data_acceptance
    from schemathesis.core.failures import FailureGroup
    from schemathesis.generation import GenerationMode

    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    reads = [op for op in (r.ok() for r in schema.get_all_operations()) if op.method == "get" and op.path != "/api/v1/events"]
    refused: dict[tuple[str, str], str] = {}
    for operation in reads:

        @settings(max_examples=25, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=GenerationMode.POSITIVE))
        def run(case: schemathesis.Case) -> None:
            response = case.call(base_url=server.url, timeout=30)
            try:
                case.validate_response(response, checks=[positive_data_acceptance])
            except (AssertionError, FailureGroup):
                field = response.json()["error"]["field"]
                if (case.operation.label, field) not in STILL_REFUSED:
                    refused[(case.operation.label, field)] = response.json()["error"]["message"]

        run()
    assert not refused, refused
