"""Schemathesis against the running server's OpenAPI document: for every operation, requests
drawn from the schema (valid ones and malformed ones) never get a 5xx, malformed ones get a 4xx,
every error is the JSON error shape naming field and rule (a 422 always names its field), and
every answer is one the document says the operation gives: its status code is documented, its
body holds to the schema documented for that code (and its Content-Type is one documented).
Once as the public (every write is then 401 before its body is read) and once with an
administrator's token, so that the write routes' bodies are drawn and judged too. Bounded: a few
examples per operation, so it finishes in a few minutes on a loaded machine."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.generation import GenerationMode
from tests.integration.api.server import Server

from escrutinio.app import Role, Session

STREAMS = {"/api/v1/events"}
"""Operations whose answer never ends (server-sent events): tested apart (test_api_live)."""
EXAMPLES = 10
CHECKS = [
    not_a_server_error,
    negative_data_rejection,
    status_code_conformance,
    response_schema_conformance,
    content_type_conformance,
]
"""What every answer is held to: no 5xx, a malformed request refused, and the document's word
(a status code the operation documents, a body of the schema and a media type it documents)."""


def check_errors(response: schemathesis.Response) -> None:
    """A 4xx or 5xx answer is always ``{"error": {"field", "rule", "message"}}`` (a HEAD's has
    no body: its status and headers are the GET's, ``test_api_head_method``)."""
    if response.status_code >= 400 and response.request.method != "HEAD":
        error = response.json()["error"]
        assert set(error) >= {"field", "rule", "message"}, error
        assert error["rule"] and error["message"], error
        if response.status_code == 422:
            assert isinstance(error["field"], str) and error["field"], error


@pytest.fixture(scope="module")
def admin_token(small_db: str) -> str:
    with Session(small_db, actor="schemathesis") as admin:
        return admin.users.add("schemathesis", Role.ADMINISTRATOR).token


@pytest.mark.parametrize("who", ["public", "administrator"])
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=["valid", "malformed"])
def test_no_server_errors(server: Server, mode: GenerationMode, who: str, admin_token: str) -> None:
    headers = {"Authorization": f"Bearer {admin_token}"} if who == "administrator" else {}
    schema = schemathesis.openapi.from_url(f"{server.url}/openapi.json")
    operations = [r.ok() for r in schema.get_all_operations()]
    operations = [op for op in operations if op.path not in STREAMS]
    assert len(operations) >= 10
    for operation in operations:
        if mode is GenerationMode.NEGATIVE and not list(operation.iter_parameters()):
            continue  # nothing to send malformed

        @settings(max_examples=EXAMPLES, deadline=None, database=None, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case: schemathesis.Case) -> None:
            response = case.call(base_url=server.url, timeout=30, headers=headers)
            case.validate_response(response, checks=CHECKS)
            check_errors(response)

        try:
            run()
        except Unsatisfiable:  # no malformed request of this operation gets past its own checks
            assert mode is GenerationMode.NEGATIVE, operation.label
