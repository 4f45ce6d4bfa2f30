"""What each kind of operation may answer, for the OpenAPI document: the one place that says it.

Why one place: the document is a contract a client (and Schemathesis) holds the server to. Written
route by route, it drifted: most routes documented only FastAPI's default ``422
HTTPValidationError`` (``{"detail": [...]}``), a shape this server never answers, and none of the
401/403/404/409/413/503 it does answer. Here each kind of operation names its answers once, and
:func:`install` gives every operation of the API the answers of its kind in the document FastAPI
builds, so a new route cannot forget them:

- a **read** (public): 404, 409, 422, 503;
- a **write with a role** (a bearer token, ``api/auth.py``): also 401 and 403, and 413 for its
  body;
- a **write with a key** (an ``Idempotency-Key`` header): also 200 for an action recorded before
  under the same key (the first answer, ``already_done: true``).

Every error is :data:`~escrutinio.api.errors.ERROR_SCHEMA`. A route's own ``responses`` (a 200's
shape, a 304) are kept over its kind's. :data:`ROWS` and :data:`RECORD` document the 200 of a
read answered as JSON or CSV (``api/representation.py``).
"""

from __future__ import annotations

import copy
from typing import Any

from fastapi import FastAPI
from pydantic import WithJsonSchema

from escrutinio.api.errors import ERROR_SCHEMA
from escrutinio.parsing import MAX_EVENT_NUMBER, names_of

Responses = dict[int | str, dict[str, Any]]


def _error(what: str) -> dict[str, Any]:
    return {"description": what, "content": {"application/json": {"schema": ERROR_SCHEMA}}}


READ: Responses = {
    404: _error("What the request names is not in the store"),
    409: _error("The store is not in a state to answer (e.g. nothing loaded yet; rule store_state)"),
    422: _error("A parameter is not what it should be: the error names it (field) and the rule"),
    503: _error("The store cannot be reached now (rule store_unavailable, retry: true, Retry-After)"),
}
"""What any operation of the API may answer (a route that names nothing still refuses an unknown
or repeated query parameter, 422)."""

WRITE: Responses = {
    **READ,
    401: _error("No token, or a malformed, unknown or revoked one (rule token or revoked)"),
    403: _error("The account's role or scope does not allow it (rule role, area, party or body)"),
    409: _error("Refused by the recorded state (the rule names it), or a concurrent write (stale_state: retry)"),
    413: _error("The request body is over the server's limit"),
    415: _error("A JSON body declared as another type (rule media_type, field content-type)"),
    422: _error("A parameter or body field is not what it should be, or a rule of the election refuses it"),
}
"""What a write with a role may answer."""

KEYED: Responses = {**WRITE, 200: {"description": "Recorded before under the same Idempotency-Key: the first answer"}}
"""What a write with an idempotency key may answer."""


def _object(what: str) -> dict[str, Any]:
    return {"type": "object", "description": what}


HEAD_HEADERS = {
    "Escrutinio-Head": {
        "description": "The log head the answer was computed at: the number of events, a space, the hash the log ends at",
        "schema": {"type": "string", "pattern": "^[0-9]+ [0-9a-f]+$"},
    },
    "ETag": {"description": "Names the head and the request: send it back in If-None-Match", "schema": {"type": "string"}},
}
"""The headers of every read's answer (``api/representation.py``)."""


def _read_ok(schema: dict[str, Any], csv: str) -> Responses:
    content = {"application/json": {"schema": schema}, "text/csv": {"schema": {"type": "string", "description": csv}}}
    return {
        200: {"description": "JSON, or CSV with ?format=csv (or Accept: text/csv)", "content": content, "headers": HEAD_HEADERS}
    }


ROWS = _read_ok({"type": "array", "items": _object("one row")}, "a header line, then one line a row")
"""The 200 of a read that lists rows (results of a level, the docket)."""
RECORD = _read_ok(_object("the answer"), "a header line, then the object's rows (the route says which)")
"""The 200 of a read that answers one object (progress, one table, one case, the stakes)."""


EVENT_NUMBER = WithJsonSchema({"type": "integer", "minimum": 0, "maximum": MAX_EVENT_NUMBER})
"""The documented schema of a query parameter the server reads as an event number
(``parsing.parse_event_number``: ``at_least``, ``since``). The route takes it as text so that a
bad one is refused in the parser's words (``since: expected an event number (0 to ...)``), not
pydantic's; the document says what it accepts, or a client (Schemathesis) drawing from a free
string sends ``?since=`` and is refused for a request the document called valid."""


def one_of(what: str) -> WithJsonSchema:
    """The documented schema of a name the server reads with one of ``parsing``'s choices
    (:func:`~escrutinio.parsing.names_of`): its ``enum``."""
    return WithJsonSchema({"type": "string", "enum": list(names_of(what))})


NAMED = WithJsonSchema({"type": "string", "pattern": r"\S"})
"""The documented schema of a text the server refuses blank (a resolution's number, a holder; an
id or code ``parsing.parse_code`` reads: a table's, an area's, a case's number, a filer, a rule).

Why no more for an id: the document must take every value the server takes (a client told a
value is invalid must find it refused), and the server strips an id before it judges it, so a
pattern or a length would refuse ids padded with spaces the server takes. What it refuses
besides blank (a space inside, a control or unprintable character, over 64 characters) stays
listed in ``test_api_documented`` with that reason."""


def kind_of(operation: dict[str, Any]) -> Responses:
    """The answers of an operation's kind: a write with a key when it takes ``Idempotency-Key``,
    a write with a role when it reads the bearer token (``Authorization``: only the routes that
    authenticate take it, ``api/auth.py``), else a read."""
    headers = {p["name"].lower() for p in operation.get("parameters", ()) if p.get("in") == "header"}
    return KEYED if "idempotency-key" in headers else WRITE if "authorization" in headers else READ


def _framework_default(response: dict[str, Any]) -> bool:
    """FastAPI's own 422 (``HTTPValidationError``), which this server never answers
    (``api/errors.py`` answers every refusal in the one error shape)."""
    return "HTTPValidationError" in str(response.get("content", {}))


def head_of(get: dict[str, Any]) -> dict[str, Any]:
    """The ``HEAD`` of a ``GET`` operation, as ``api/head_method.py`` answers it on every path
    (FastAPI documents none: the middleware, not a route, answers it): the GET's parameters and
    status codes, no body in any answer."""
    head = copy.deepcopy(get)
    head["operationId"] = f"{get.get('operationId', 'get')}_head"
    head["summary"] = f"The headers of GET: {get.get('summary', '')}".rstrip(": ")
    head["description"] = "The GET's status and headers (ETag, Cache-Control, Content-Type, Content-Length), no body."
    for response in head.get("responses", {}).values():
        response.pop("content", None)
    return head


def _answers(operation: dict[str, Any], code: int | str) -> bool:
    """Whether an operation may answer ``code`` of its kind: 413 only with a body, 415 only with
    a JSON body (``api/bodies.py``)."""
    body = operation.get("requestBody", {})
    if code == 415:
        return "application/json" in body.get("content", {})
    return code != 413 or bool(body)


def documented(document: dict[str, Any], prefix: str) -> dict[str, Any]:
    """``document`` (FastAPI's) with every operation under ``prefix`` answering its kind's
    errors, and a ``HEAD`` beside every ``GET``; its own responses (a 200's shape, a 304) are
    kept. Idempotent."""
    for path, operations in document.get("paths", {}).items():
        if not path.startswith(prefix):
            continue
        for method, operation in operations.items():
            if method == "head":
                continue
            own = {code: r for code, r in operation.get("responses", {}).items() if not _framework_default(r)}
            kind = {str(code): r for code, r in kind_of(operation).items() if _answers(operation, code)}
            operation["responses"] = dict(sorted({**kind, **own}.items()))
        if "get" in operations:
            operations["head"] = head_of(operations["get"])
    schemas = document.get("components", {}).get("schemas", {})
    for name in ("HTTPValidationError", "ValidationError"):
        if name in schemas and f"schemas/{name}" not in str(document.get("paths")):
            del schemas[name]
    return document


def install(app: FastAPI, prefix: str) -> None:
    """Serve the document with every operation under ``prefix`` answering its kind's errors
    (FastAPI builds it once and keeps it; this rewrites it before it is served)."""
    build = app.openapi
    app.openapi = lambda: documented(build(), prefix)  # type: ignore[method-assign]
